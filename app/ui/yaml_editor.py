"""The YAML code editor the editor pages share (procedures, fault-code tables): Ace with line
numbers, YAML highlighting and a monospace font; an issue's line marked in the margin and
shaded, and the first error shown at its numbered lines."""

from __future__ import annotations

from typing import Any

import streamlit as st
from code_editor import code_editor

from app.ui.common import kept, remember
from app.ui.wording import plain

# the code editor (Ace, in its own frame): a monospace font at a size readable on a tablet,
# line numbers, YAML highlighting; the line of an error is marked in its margin and shaded
EDITOR_OPTIONS = {
    "fontSize": 14,
    "fontFamily": "ui-monospace, 'DejaVu Sans Mono', monospace",
    "showLineNumbers": True,
    "showGutter": True,
    "tabSize": 2,
    "useSoftTabs": True,
    # no soft wrap: with it, this component drew the line numbers out of step with the lines
    "wrap": False,
    "displayIndentGuides": True,
    # no syntax worker: Ace's YAML mode runs one whose "annotate" message replaces the
    # editor's annotations with its own (none for text that parses), so our margin marks
    # vanished whenever it answered after they were set
    "useWorker": False,
}
ERROR_LINE_CSS = ".cf-error-line {position: absolute; background: rgba(255, 43, 43, 0.18);}"


def excerpt(text: str, line: int, around: int = 3) -> str:
    """The lines around ``line`` (1-based), numbered, the line itself marked with '>'."""
    lines = text.splitlines()
    first, last = max(1, line - around), min(len(lines), line + around)
    width = len(str(last))
    return "\n".join(
        f"{'>' if n == line else ' '} {n:>{width}} | {lines[n - 1]}" for n in range(first, last + 1)
    )


def error_at_line(text: str, errors: list[dict[str, Any]]) -> None:
    """The first error shown where it is: the numbered lines around it."""
    located = [e for e in errors if e.get("line")]
    if not located:
        return
    first = located[0]
    st.caption(f"At line {first['line']}: {plain(first['message'])}")
    st.code(excerpt(text, int(first["line"])), language="yaml", wrap_lines=False)


def line_marks(issues: list[dict[str, Any]], line_count: int) -> dict[str, list[dict[str, Any]]]:
    """Ace annotations (a red or yellow mark in the line-number margin, the message on hover)
    and markers (the whole line shaded) for every issue that names a line (1-based; Ace's rows
    are 0-based). Lines past the end of the text (it was edited since) are left out."""
    annotations, markers = [], []
    for issue in issues:
        line = issue.get("line")
        if not isinstance(line, int) or not 1 <= line <= max(line_count, 1):
            continue
        error = issue.get("severity", "error") == "error"
        annotations.append(
            {
                "row": line - 1,
                "column": 0,
                "type": "error" if error else "warning",
                "text": f"line {line}: {issue.get('message', '')}",  # plain text, no Markdown
            }
        )
        if error:
            markers.append(
                {
                    "startRow": line - 1,
                    "startCol": 0,
                    "endRow": line - 1,
                    "endCol": 1,
                    "className": "cf-error-line",
                    "type": "fullLine",
                }
            )
    return {"annotations": annotations, "markers": markers}


def code_box(key: str, issues: list[dict[str, Any]], *, name: str, rev_key: str) -> None:
    """The YAML in a code editor; its text is kept in ``st.session_state[key]`` (the source
    of truth: the component only reports edits, each with a new id). ``name`` tells editors
    apart; bumping ``st.session_state[rev_key]`` draws the editor afresh (Ace keeps the text it
    was first given)."""
    text = st.session_state[key]
    revision = st.session_state.get(rev_key, 0)
    result = code_editor(
        text,
        lang="yaml",
        height=[24, 34],  # lines: about 600 px at 14 px
        response_mode="debounce",
        options=EDITOR_OPTIONS,
        props=line_marks(issues, text.count("\n") + 1),
        component_props={"css": ERROR_LINE_CSS},
        key=f"ed_code_{name}_{revision}",
    )
    seen = f"ed_seen_{name}"
    if result and result.get("id") and result["id"] != st.session_state.get(seen):
        st.session_state[seen] = result["id"]
        if result.get("text") != text:
            st.session_state[key] = result["text"]
            st.rerun()


def kept_picker(label: str, key: str, new: str, names: list[str]) -> str:
    """The open document (procedure, vendor table), kept across saves and reruns; after a
    save the page puts the saved one in ``{key}_select_next``. The options are the names
    alone: Streamlit keeps a selectbox's value as its formatted text, so a label carrying the
    version ("v2 published") changed on every save and the picker fell back to the first."""
    options = [new, *names]
    kept(key, names[0] if names else new)
    pending = st.session_state.pop(f"{key.removesuffix('_choice')}_select_next", None)
    if pending in options:
        st.session_state[key] = pending
    if st.session_state.get(key) not in options:
        st.session_state[key] = names[0] if names else new
    choice = st.selectbox(label, options, key=key)
    remember(key)
    return str(choice)
