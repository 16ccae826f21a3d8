"""Editor: procedures with status and effectiveness; YAML beside a live graph; versions."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.ui.common import api, auth, call
from app.ui.dot import editor_dot
from app.ui.graph_nav import go_to_node, highlight, listen_for_clicks, node_lines
from app.ui.wording import plain
from app.ui.yaml_editor import code_box, error_at_line, kept_picker

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


def overview(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every procedure with how it is used; the statistics, by procedure id, for the page."""
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
                "used": eff.get(r["procedure_id"], {}).get("runs"),
                "fixed %": pct(eff.get(r["procedure_id"], {}).get("resolution_rate")),
                "consultant %": pct(eff.get(r["procedure_id"], {}).get("escalation_rate")),
                "median min": eff.get(r["procedure_id"], {}).get("median_minutes"),
                "most left at": eff.get(r["procedure_id"], {}).get("most_left_step"),
            }
            for r in rows
        ]
    )
    with st.expander(f"All procedures ({len(rows)})", expanded=False):
        st.dataframe(table, hide_index=True, height=300)
    return eff


def statistics(stats: dict[str, Any] | None) -> None:
    """How the open procedure is used: runs, fixes, and where partners leave or call for help."""
    if not stats or not stats.get("runs"):
        st.caption("Not used in a session yet.")
        return
    c1, c2, c3 = st.columns(3)
    c1.metric("Used", f"{stats['runs']}×", help="Troubleshooting sessions started with it.")
    fixed = stats.get("resolution_rate")
    c2.metric(
        "Fixed the fault",
        f"{stats['resolved']} of {stats['finished']}" if stats["finished"] else "–",
        delta=None if fixed is None else f"{pct(fixed)} %",
        delta_color="off",
        help="Finished sessions whose outcome was resolved.",
    )
    top = stats.get("most_left_step")
    c3.metric(
        "Most left or called a consultant at",
        top or "–",
        delta=f"{stats.get('most_left_count', 0)}×" if top else None,
        delta_color="off",
        help="Abandoned sessions by their last step, and consultant calls by step.",
    )
    left = {x["node_id"]: x["count"] for x in stats.get("left_at") or []}
    called = {x["node_id"]: x["count"] for x in stats.get("consultant_called_at") or []}
    if left or called:
        st.caption(
            "By step: "
            + "; ".join(
                f"{plain(n)}: left {left.get(n, 0)}, consultant {called.get(n, 0)}"
                for n in sorted(
                    {*left, *called}, key=lambda n: -(left.get(n, 0) + called.get(n, 0))
                )
            )
        )


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


GRAPH_CSS = """<style>
.st-key-ed_graph {overflow: auto !important;}
.st-key-ed_graph [data-testid="stGraphVizChart"] svg {max-width: none !important;
  width: auto !important; height: auto !important;}
</style>"""


def editor(procedure_id: str | None, meta: dict[str, Any] | None) -> None:
    key = f"ed_yaml_{procedure_id or 'new'}"
    if key not in st.session_state:
        if procedure_id:
            data = load_version(procedure_id, meta["version"] if meta else None)
            st.session_state[key] = (data or {}).get("yaml", "")
        else:
            st.session_state[key] = TEMPLATE
        st.session_state[f"ed_base_{procedure_id or 'new'}"] = st.session_state[key]
    st.markdown(GRAPH_CSS, unsafe_allow_html=True)
    text = st.session_state[key]
    report = call("validate", api().post, "/api/procedures/validate", {"yaml": text}) or {}
    issues = report.get("issues") or []
    errors = [i for i in issues if i.get("severity", "error") == "error"]
    left, right = st.columns([1, 1])
    with left:
        code_box(key, issues, name=key.removeprefix("ed_yaml_"), rev_key="ed_rev")
        if text != st.session_state.get(f"ed_base_{procedure_id or 'new'}"):
            st.caption("Unsaved changes.", help="Save a draft or publish to keep them.")
    with right:
        if errors:
            st.error(
                f"{len(errors)} error(s): fix them to publish.\n\n"
                + "\n\n".join(issue_line(i) for i in errors[:8]),
                icon=":material/error:",
            )
            error_at_line(text, errors)
        elif issues:
            st.warning("\n\n".join(issue_line(i) for i in issues[:8]))
        else:
            st.success("Valid.", icon=":material/check_circle:")
        dot = editor_dot(text, issues)
        if dot:
            jump_key = f"ed_jump_{procedure_id or 'new'}"
            listen_for_clicks(key, jump_key)  # a clicked node becomes the picked one
            # natural size in a scrolling box: shrunk to the column its text was ~6 px
            with st.container(height=600, key="ed_graph"):
                st.graphviz_chart(highlight(dot, st.session_state.get(jump_key)), width="content")
            go_to_node(key, jump_key, node_lines(text))
        else:
            st.warning("The text is not a procedure yet (no node list), so there is no graph.")
    actions(procedure_id, meta, text, bool(errors))


def saved_message(verb: str, saved: dict[str, Any]) -> str:
    message = f"{verb} {saved['procedure_id']} v{saved['version']} ({saved['status']})."
    notices = saved.get("notices") or []
    return " ".join([message, *(f"Note: {n}." for n in notices)])


def actions(
    procedure_id: str | None, meta: dict[str, Any] | None, text: str, has_errors: bool
) -> None:
    c1, c2, c3 = st.columns(3)
    # the procedure saved is the text's id; the server refuses it if it is not the open one
    body = {"yaml": text, "procedure_id": procedure_id}
    if c1.button("Save draft", key="ed_save", icon=":material/save:", width="stretch"):
        saved = call("save the draft", api().post, "/api/procedures", body)
        if saved:
            done(saved_message("Saved", saved), select=saved["procedure_id"])
    if c2.button(
        "Publish",
        key="ed_publish",
        type="primary",
        icon=":material/publish:",
        disabled=has_errors,
        width="stretch",
    ):
        saved = call("publish", api().post, "/api/procedures", {**body, "publish": True})
        if saved:
            done(saved_message("Published", saved), select=saved["procedure_id"])
    if (
        procedure_id
        and meta
        and meta["status"] != "retired"
        and c3.button("Retire", key="ed_retire", icon=":material/archive:", width="stretch")
    ):
        retired = call("retire", api().post, f"/api/procedures/{procedure_id}/retire")
        if retired:
            done(f"Retired {procedure_id} v{retired['version']}.", select=procedure_id)
    if procedure_id and meta and meta["status"] == "draft":
        review(procedure_id, meta)


def review(procedure_id: str, meta: dict[str, Any]) -> None:
    """Four eyes: another editor approves a draft; an approved draft can then be published
    (the server requires it when the procedure has hazardous steps)."""
    version = int(meta["version"])
    where = f"/api/procedures/{procedure_id}"
    me = (auth() or {}).get("name")
    c1, c2 = st.columns(2)
    if meta.get("approved_by"):
        c1.caption(f"v{version} approved by {meta['approved_by']}.")
        if c2.button(
            f"Publish approved v{version}",
            key="ed_publish_approved",
            type="primary",
            icon=":material/verified:",
            width="stretch",
        ):
            published = call("publish", api().post, f"{where}/publish", params={"version": version})
            if published:
                done(f"Published {procedure_id} v{version}.", select=procedure_id)
    elif meta["created_by"] == me:
        c1.caption(
            f"v{version} is your draft: with hazardous steps, another editor approves it "
            "before it can be published."
        )
    elif c2.button(
        f"Approve v{version} (by {meta['created_by']})",
        key="ed_approve",
        icon=":material/task_alt:",
        width="stretch",
    ):
        approved = call("approve", api().post, f"{where}/approve", params={"version": version})
        if approved:
            done(f"Approved {procedure_id} v{version}.", select=procedure_id)


def done(message: str, select: str | None = None) -> None:
    st.session_state["ed_flash"] = message
    if select:
        # applied before the picker is drawn on the next run (a drawn widget's state is fixed)
        st.session_state["ed_select_next"] = select
    st.cache_data.clear()
    for key in [k for k in st.session_state if str(k).startswith(("ed_yaml_", "ed_base_"))]:
        del st.session_state[key]
    # a new editor instance: Ace keeps the text it was first given, so a saved or rolled back
    # version is shown only by an editor drawn afresh
    st.session_state["ed_rev"] = st.session_state.get("ed_rev", 0) + 1
    st.rerun()


def when(iso: str) -> str:
    return iso[:16].replace("T", " ")


def versions(procedure_id: str) -> None:
    """Every version with who and when, a diff between any two, and roll back (as a draft)."""
    with st.expander("History and compare", icon=":material/history:"):
        history = call("load the history", api().get, f"/api/procedures/{procedure_id}/versions")
        if not history:
            return
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "version": h["version"],
                        "status": h["status"],
                        "saved by": h["created_by"],
                        "saved at (UTC)": when(h["created_at"]),
                        "valid": "yes" if h["valid"] else "NO",
                        "since": "; ".join(
                            f"{e['action'].removeprefix('procedure.')} by {e['by']} {when(e['at'])}"
                            for e in h.get("events", [])
                        ),
                    }
                    for h in history
                ]
            ),
            hide_index=True,
        )
        numbers = [h["version"] for h in history]  # newest first
        if len(numbers) >= 2:
            c1, c2 = st.columns(2)
            a = c1.selectbox("From", numbers, index=1, key=f"ed_diff_a_{procedure_id}")
            b = c2.selectbox("To", numbers, index=0, key=f"ed_diff_b_{procedure_id}")
            diff = call(
                "compare", api().get, f"/api/procedures/{procedure_id}/diff", **{"from": a, "to": b}
            )
            if diff is not None:
                st.code(diff or "(no difference)", language="diff")
            c3, c4 = st.columns([2, 1], vertical_alignment="bottom")
            back = c3.selectbox(
                "Roll back to",
                numbers[1:],
                key=f"ed_back_{procedure_id}",
                format_func=lambda v: f"v{v}",
            )
            if c4.button("Roll back (new draft)", key="ed_rollback", icon=":material/undo:"):
                saved = call(
                    "roll back",
                    api().post,
                    f"/api/procedures/{procedure_id}/rollback",
                    params={"version": int(back)},
                )
                if saved:
                    done(saved_message("Rolled back: saved", saved), select=procedure_id)


def picker(ids: list[str]) -> str:
    return kept_picker("Procedure", "ed_choice", NEW, ids)


def main() -> None:
    if auth() is None:
        st.stop()
    st.title("Procedures")
    flash = st.session_state.pop("ed_flash", None)
    if flash:
        st.success(flash)
    rows = call("load procedures", api().get, "/api/procedures") or []
    stats = overview(rows)
    if not rows and st.button("Import the knowledge base procedures", key="ed_import"):
        result = call("import", api().post, "/api/procedures/import")
        if result:
            done(f"Imported {len(result.get('imported', []))} procedures.")
    metas = {r["procedure_id"]: r for r in rows}
    choice = picker(sorted(metas))
    procedure_id = None if choice == NEW else choice
    meta = metas.get(procedure_id) if procedure_id else None
    if meta:
        st.caption(
            f"{meta['title']} · v{meta['version']} {meta['status']} · saved by "
            f"{meta['created_by']} {when(meta['created_at'])} UTC"
        )
        statistics(stats.get(procedure_id))
    editor(procedure_id, meta)
    if procedure_id and meta:
        versions(procedure_id)


main()
