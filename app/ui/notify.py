"""The desk's browser notification when a new handoff arrives (the Notification API).

The desk remembers the handoff ids it has shown in this browser session. When the queue
reloads (it checks every few seconds) and an id it has not seen appears, a small script asks
the browser to show a notification: one per handoff (``tag``, so a reload does not repeat it),
saying the charger and urgency only. The first load notifies nothing (those are not new), and
if the person has not answered the permission prompt yet, the script asks once; a browser
that refuses it shows nothing, and the queue still lists the handoff.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

SEEN = "desk_seen_handoffs"

_SCRIPT = """
(function () {
  var items = %s;
  var N = window.Notification;
  if (!N) return;
  function show() {
    items.forEach(function (h) {
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


def new_handoffs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The waiting handoffs this browser session has not seen yet (none on the first load)."""
    ids = {int(row["id"]) for row in rows}
    seen: set[int] | None = st.session_state.get(SEEN)
    st.session_state[SEEN] = ids | (seen or set())
    if seen is None:
        return []
    return [row for row in rows if int(row["id"]) not in seen and row["status"] == "waiting"]


def notify_new(rows: list[dict[str, Any]]) -> list[int]:
    """Render the notification script for the new handoffs; returns their ids."""
    fresh = new_handoffs(rows)
    if not fresh:
        return []
    items = [
        {
            "id": int(row["id"]),
            "urgency": str(row.get("priority") or "normal"),
            "charger": str(row.get("charger_id") or "?"),
            "site": str(row.get("site_id") or "?"),
        }
        for row in fresh
    ]
    # json.dumps of plain ids and names; "</" escaped so no value can close the script tag
    data = json.dumps(items).replace("</", "<\\/")
    st.html(f"<script>{_SCRIPT % data}</script>", unsafe_allow_javascript=True)
    return [item["id"] for item in items]
