"""Editor: vendor fault-code tables. List them with their published version and draft, pick
one, edit its YAML (checked against the catalogue, the error at its line), save a draft,
publish it, and see every version with who and when. Talks only to the REST API."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pandas as pd
import streamlit as st

from app.ui.common import api, auth, call
from app.ui.wording import plain
from app.ui.yaml_editor import code_box, error_at_line, kept_picker

NEW = "+ New table"
TEMPLATE = """vendor: New vendor
models: [Model-1]
codes:
  - code: E-001
    fault: firmware_hang
    meaning: What the vendor's manual says the code means
"""
BASE = "/api/fault-codes/vendors"


def overview(rows: list[dict[str, Any]]) -> None:
    table = pd.DataFrame(
        [
            {
                "vendor": r["vendor"],
                "models": ", ".join(r["models"]),
                "codes": r["codes"],
                "in use": r["source"],
                "published": f"v{r['published_version']}" if r.get("published_version") else "–",
                "draft": f"v{r['draft_version']}" if r.get("draft_version") else "–",
            }
            for r in rows
        ]
    )
    st.dataframe(table, hide_index=True)


def picker(vendors: list[str]) -> str:
    return kept_picker("Table", "ft_choice", NEW, vendors)


def issue_line(issue: dict[str, Any]) -> str:
    where = f"line {issue['line']}" if issue.get("line") else "file"
    entry = f", entry {issue['entry']}" if issue.get("entry") else ""
    return plain(f"{where}{entry}: {issue['message']}")


def done(message: str, select: str | None) -> None:
    st.session_state["ft_flash"] = message
    if select:
        st.session_state["ft_select_next"] = select  # applied before the picker is drawn
    for key in [k for k in st.session_state if str(k).startswith(("ft_yaml_", "ft_base_"))]:
        del st.session_state[key]
    st.session_state["ft_rev"] = st.session_state.get("ft_rev", 0) + 1  # a fresh Ace editor
    st.rerun()


def actions(vendor: str | None, table: dict[str, Any] | None, text: str, bad: bool) -> None:
    c1, c2 = st.columns(2)
    if c1.button("Save draft", key="ft_save", icon=":material/save:", width="stretch"):
        saved = call("save the draft", api().post, BASE, {"yaml": text})
        if saved:
            done(f"Saved {saved['vendor']} v{saved['version']} (draft).", saved["vendor"])
    if c2.button(
        "Publish",
        key="ft_publish",
        type="primary",
        icon=":material/publish:",
        disabled=bad,
        width="stretch",
        help="Publishes the text shown: saved as a draft first if it is not one yet.",
    ):
        drafts = [v for v in (table or {}).get("versions", []) if v["status"] == "draft"]
        draft = drafts[0] if drafts and drafts[0]["yaml_text"] == text else None
        if draft is None:
            draft = call("save the draft", api().post, BASE, {"yaml": text})
        if draft:
            where = f"{BASE}/{quote(draft['vendor'], safe='')}/versions/{draft['version']}"
            published = call("publish", api().post, f"{where}/publish")
            if published:
                done(f"Published {published['vendor']} v{published['version']}.", vendor)


def editor(vendor: str | None, table: dict[str, Any] | None) -> None:
    name = vendor or "new"
    key, base = f"ft_yaml_{name}", f"ft_base_{name}"
    if key not in st.session_state:
        st.session_state[key] = (table or {}).get("yaml") or TEMPLATE
        st.session_state[base] = st.session_state[key]
    text = st.session_state[key]
    report = call("check the table", api().post, f"{BASE}/validate", {"yaml": text}) or {}
    issues = report.get("issues") or []
    left, right = st.columns([3, 2])
    with left:
        code_box(key, issues, name=f"ft_{name}", rev_key="ft_rev")
        if text != st.session_state.get(base):
            st.caption("Unsaved changes.", help="Save a draft or publish to keep them.")
    with right:
        if issues:
            st.error(
                f"{len(issues)} error(s): fix them to save or publish.\n\n"
                + "\n\n".join(issue_line(i) for i in issues[:8]),
                icon=":material/error:",
            )
            error_at_line(text, issues)
        elif report:
            st.success(f"Valid: a table for {report['vendor']}.", icon=":material/check_circle:")
    actions(vendor, table, text, bool(issues) or not report)


def when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else ""


def history(table: dict[str, Any]) -> None:
    versions = table.get("versions") or []
    with st.expander(f"History ({len(versions)} versions)", icon=":material/history:"):
        if not versions:
            st.caption("No editor's version yet: the shipped table is in use.")
            return
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "version": v["version"],
                        "status": v["status"],
                        "saved by": v["created_by"],
                        "saved at (UTC)": when(v["created_at"]),
                        "published by": v.get("published_by") or "",
                        "published at (UTC)": when(v.get("published_at")),
                    }
                    for v in versions
                ]
            ),
            hide_index=True,
        )


def main() -> None:
    if auth() is None:
        st.stop()
    st.title("Fault-code tables")
    st.caption(
        "Vendor error codes and the fault each one means. A published table is what the "
        "fleet, self-diagnosis and the safety interlock use at once (open faults are renamed)."
    )
    flash = st.session_state.pop("ft_flash", None)
    if flash:
        st.success(flash)
    rows = call("load the tables", api().get, BASE) or []
    overview(rows)
    choice = picker([r["vendor"] for r in rows])
    vendor = None if choice == NEW else choice
    table = None
    if vendor:
        table = call("load the table", api().get, f"{BASE}/{quote(vendor, safe='')}")
    if table:
        row = next((r for r in rows if r["vendor"] == vendor), {})
        draft = f" · draft v{row['draft_version']}" if row.get("draft_version") else ""
        st.caption(f"In use: {table['source']}{draft}")
    editor(vendor, table)
    if table:
        history(table)


main()
