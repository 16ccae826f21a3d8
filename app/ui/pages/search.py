"""Search playground: a query or a charger's state, ranked hits with scores and why."""

from __future__ import annotations

import streamlit as st

from app.ui.api_client import ApiError, BackendUnavailable
from app.ui.common import api, auth, kept, remember
from app.ui.wording import plain, why

KINDS = {"procedure": "Procedures", "manual": "Manual passages", "ticket": "Past tickets"}


def main() -> None:
    if auth() is None:
        st.stop()
    st.title("Search")
    key = kept("search_q")
    st.text_input("Query", key=key, placeholder="e.g. cable stuck after charging E-204")
    remember(key)
    c1, c2, c3 = st.columns([2, 2, 1])
    charger = c1.text_input("Charger state (id, optional)", key="search_charger")
    kinds = c2.multiselect(
        "Kinds", list(KINDS), default=list(KINDS), key="search_kinds", format_func=KINDS.get
    )
    k = c3.number_input("Hits", 1, 20, 5, key="search_k")
    query = st.session_state.get(key, "").strip()
    if not query and not charger:
        st.caption("Type a query or a charger id.")
        return
    try:
        results = api().get(
            "/api/knowledge/search",
            q=query,
            charger=charger or None,
            kind=kinds,
            k=int(k),
            timeout=30.0,
        )
    except BackendUnavailable:
        raise
    except ApiError as error:
        if error.status == 503:
            st.info("The search index is not built yet: run a re-index on Manuals & tickets.")
        else:
            st.error(f"Search failed: {plain(error.message)}. {plain(error.hint)}")
        return
    info = results.get("query") or {}
    understood = [
        x
        for x in (
            info.get("vendor"),
            info.get("model"),
            " ".join(info.get("codes") or []),
            " ".join(info.get("fault_keys") or []),
        )
        if x
    ]
    st.caption(
        f"{results.get('took_ms', 0):.0f} ms · index generation {results.get('generation')}"
        + (f" · understood: {plain(', '.join(understood))}" if understood else "")
    )
    for kind, title in KINDS.items():
        hits = results.get(f"{kind}s") or []
        if not hits:
            continue
        st.subheader(title)
        for rank, hit in enumerate(hits, 1):
            with st.container(border=True):
                st.text(f"{rank}. {hit['title']}   score {hit['score']:.2f}")
                where = hit.get("citation") or " · ".join(
                    str(x) for x in (hit.get("source"), hit.get("section"), hit.get("page")) if x
                )
                st.caption(f"{plain(where)} · why: {plain(why(hit))}")
                st.text(hit.get("snippet") or "")


main()
