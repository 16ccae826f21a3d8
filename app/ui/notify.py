"""The desk's browser notification when a new handoff arrives (the Notification API).

Every few seconds the desk renders a small script with the handoffs waiting now. The browser
decides what is new: it keeps the ids it has already been told about in ``sessionStorage``
(this tab only), so the first load notifies nothing (those are not new) and each handoff is
announced once, whichever rerun's script reaches the page. The decision is kept in the
browser on purpose: remembered on the server, a handoff was marked as seen by a run whose
script the page never drew (a whole-page rerun replaced it first), and no notification came.
A notification says the charger and urgency only (``tag``, so a browser never stacks two for
one handoff). If the person has not answered the permission prompt yet, the script asks
once; a browser that refuses shows nothing, and the queue still lists the handoff.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

STORE_KEY = "chargefix-desk-seen-handoffs"
REMEMBERED = 500  # ids kept in the tab's memory; the oldest are forgotten first

_SCRIPT = """
(function () {
  var items = %(items)s, key = %(key)s, keep = %(keep)d;
  var store = window.sessionStorage, raw = store.getItem(key), seen = null;
  try { seen = raw === null ? null : JSON.parse(raw); } catch (e) { seen = null; }
  if (!Array.isArray(seen)) { seen = null; }
  var fresh = seen === null ? [] : items.filter(function (h) { return seen.indexOf(h.id) < 0; });
  var all = (seen || []).concat(items.map(function (h) { return h.id; }).filter(
    function (id) { return !seen || seen.indexOf(id) < 0; }));
  store.setItem(key, JSON.stringify(all.slice(-keep)));
  var N = window.Notification;
  if (!N || !fresh.length) return;
  function show() {
    fresh.forEach(function (h) {
      var n = new N('New handoff ' + h.id + ' (' + h.urgency + ')', {
        body: h.charger + ' at site ' + h.site, tag: 'chargefix-handoff-' + h.id
      });
      n.onclick = function () { window.focus(); n.close(); };
    });
  }
  if (N.permission === 'granted') { show(); }
  else if (N.permission !== 'denied') {
    N.requestPermission().then(function (p) { if (p === 'granted') show(); });
  }
})();
"""


def waiting_items(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a notification may say about each waiting handoff: id, urgency, charger, site."""
    return [
        {
            "id": int(row["id"]),
            "urgency": str(row.get("priority") or "normal"),
            "charger": str(row.get("charger_id") or "?"),
            "site": str(row.get("site_id") or "?"),
        }
        for row in rows
        if row.get("status") == "waiting"
    ]


def notification_script(rows: list[dict[str, Any]]) -> str:
    """The script for this queue; json.dumps of plain ids and names, with "</" escaped so no
    value can close the script tag."""
    data = json.dumps(waiting_items(rows)).replace("</", "<\\/")
    return _SCRIPT % {"items": data, "key": json.dumps(STORE_KEY), "keep": REMEMBERED}


def notify_new(rows: list[dict[str, Any]]) -> None:
    """Render the script that notifies, in this browser, the handoffs it has not seen yet."""
    st.html(f"<script>{notification_script(rows)}</script>", unsafe_allow_javascript=True)
