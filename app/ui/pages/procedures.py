"""Editor: procedures with status and effectiveness; YAML beside a live graph; versions."""

from __future__ import annotations

import difflib
from typing import Any

import pandas as pd
import streamlit as st

from app.ui.common import api, auth, call
from app.ui.dot import editor_dot
from app.ui.wording import plain

NEW = "+ New procedure"
TEMPLATE = """id: my-new-procedure
title: New procedure
status: draft
applies_to: {error_codes: [InternalError]}
start: first
nodes:
  - id: first
    type: question
    kind: yes_no
    title: Is the charger online?
    on_yes: done
    on_no: done
  - id: done
    type: terminal
    title: Done
    outcome: resolved
"""


@st.cache_data(ttl=60, show_spinner=False)
def effectiveness(token_hint: str, procedure_ids: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    del token_hint
    out = {}
    for procedure_id in procedure_ids:
        try:
            out[procedure_id] = api().get(f"/api/procedures/{procedure_id}/effectiveness")
        except Exception:
            out[procedure_id] = {}
    return out


def overview(rows: list[dict[str, Any]]) -> None:
    token = (auth() or {}).get("token", "")[-6:]
    eff = effectiveness(token, tuple(r["procedure_id"] for r in rows))
    table = pd.DataFrame(
        [
            {
                "procedure": r["procedure_id"],
                "title": r["title"],
                "version": r["version"],
                "status": r["status"],
                "valid": "yes" if r["valid"] else "NO",
                "runs": eff.get(r["procedure_id"], {}).get("runs"),
                "resolved %": pct(eff.get(r["procedure_id"], {}).get("resolution_rate")),
                "escalated %": pct(eff.get(r["procedure_id"], {}).get("escalation_rate")),
                "median min": eff.get(r["procedure_id"], {}).get("median_minutes"),
                "most left at": eff.get(r["procedure_id"], {}).get("most_left_step"),
            }
            for r in rows
        ]
    )
    with st.expander(f"All procedures ({len(rows)})", expanded=False):
        st.dataframe(table, hide_index=True, height=300)


def pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def load_version(procedure_id: str, version: int | None = None) -> dict[str, Any] | None:
    return call(
        "load the procedure",
        api().get,
        f"/api/procedures/{procedure_id}",
        version=version,
    )


def issue_line(issue: dict[str, Any]) -> str:
    where = f"line {issue['line']}" if issue.get("line") else "file"
    node = f", node {issue['node_id']}" if issue.get("node_id") else ""
    field = f", {issue['field']}" if issue.get("field") else ""
    return plain(f"{where}{node}{field}: {issue['message']}")


def editor(procedure_id: str | None, meta: dict[str, Any] | None) -> None:
    key = f"ed_yaml_{procedure_id or 'new'}"
    if key not in st.session_state:
        if procedure_id:
            data = load_version(procedure_id, meta["version"] if meta else None)
            st.session_state[key] = (data or {}).get("yaml", "")
        else:
            st.session_state[key] = TEMPLATE
    left, right = st.columns([1, 1])
    with left:
        st.text_area("YAML", key=key, height=600, label_visibility="collapsed")
    text = st.session_state[key]
    report = call("validate", api().post, "/api/procedures/validate", {"yaml": text}) or {}
    issues = report.get("issues") or []
    errors = [i for i in issues if i.get("severity", "error") == "error"]
    with right:
        if errors:
            st.error(
                f"{len(errors)} error(s): fix them to publish.\n\n"
                + "\n\n".join(issue_line(i) for i in errors[:8]),
                icon=":material/error:",
            )
        elif issues:
            st.warning("\n\n".join(issue_line(i) for i in issues[:8]))
        else:
            st.success("Valid.", icon=":material/check_circle:")
        dot = editor_dot(text, issues)
        if dot:
            st.graphviz_chart(dot, width="stretch")
        else:
            st.warning("The text is not a procedure yet (no node list), so there is no graph.")
    actions(procedure_id, meta, text, bool(errors))


def actions(
    procedure_id: str | None, meta: dict[str, Any] | None, text: str, has_errors: bool
) -> None:
    c1, c2, c3 = st.columns(3)
    if c1.button("Save draft", key="ed_save", icon=":material/save:", width="stretch"):
        saved = call("save the draft", api().post, "/api/procedures", {"yaml": text})
        if saved:
            done(f"Saved {saved['procedure_id']} v{saved['version']} ({saved['status']}).")
    if c2.button(
        "Publish",
        key="ed_publish",
        type="primary",
        icon=":material/publish:",
        disabled=has_errors,
        width="stretch",
    ):
        saved = call("publish", api().post, "/api/procedures", {"yaml": text, "publish": True})
        if saved:
            done(f"Published {saved['procedure_id']} v{saved['version']}.")
    if (
        procedure_id
        and meta
        and meta["status"] != "retired"
        and c3.button("Retire", key="ed_retire", icon=":material/archive:", width="stretch")
    ):
        retired = call("retire", api().post, f"/api/procedures/{procedure_id}/retire")
        if retired:
            done(f"Retired {procedure_id} v{retired['version']}.")


def done(message: str) -> None:
    st.session_state["ed_flash"] = message
    st.cache_data.clear()
    for key in [k for k in st.session_state if str(k).startswith("ed_yaml_")]:
        del st.session_state[key]
    st.rerun()


def versions(procedure_id: str, latest: int) -> None:
    if latest < 2:
        return
    with st.expander("Compare versions", icon=":material/difference:"):
        c1, c2 = st.columns(2)
        numbers = list(range(1, latest + 1))
        a = c1.selectbox("From", numbers, index=latest - 2, key="ed_diff_a")
        b = c2.selectbox("To", numbers, index=latest - 1, key="ed_diff_b")
        old, new = load_version(procedure_id, a), load_version(procedure_id, b)
        if old and new:
            diff = difflib.unified_diff(
                old["yaml"].splitlines(),
                new["yaml"].splitlines(),
                f"v{a} ({old['status']})",
                f"v{b} ({new['status']})",
                lineterm="",
            )
            text = "\n".join(diff)
            st.code(text or "(no difference)", language="diff")


def main() -> None:
    if auth() is None:
        st.stop()
    st.title("Procedures")
    flash = st.session_state.pop("ed_flash", None)
    if flash:
        st.success(flash)
    rows = call("load procedures", api().get, "/api/procedures") or []
    overview(rows)
    if not rows and st.button("Import the knowledge base procedures", key="ed_import"):
        result = call("import", api().post, "/api/procedures/import")
        if result:
            done(f"Imported {len(result.get('imported', []))} procedures.")
    metas = {r["procedure_id"]: r for r in rows}
    labels = {
        r["procedure_id"]: f"{r['procedure_id']} · v{r['version']} {r['status']}" for r in rows
    }
    choice = st.selectbox(
        "Procedure",
        [NEW, *labels],
        index=1 if rows else 0,
        key="ed_choice",
        format_func=lambda value: labels.get(value, value),
    )
    procedure_id = None if choice == NEW else choice
    meta = metas.get(procedure_id) if procedure_id else None
    editor(procedure_id, meta)
    if procedure_id and meta:
        versions(procedure_id, int(meta["version"]))


main()
