"""The hazard banner of a step: shown when the session view says the current step is a hazard.

The engine marks hazardous steps (``session["hazard"]``: safety level, the qualifications it
needs, the isolation statement to acknowledge, whether it was) and holds the step in its
``acknowledge`` phase until the person answers with kind ``acknowledge`` (logged as its own
session step). Until then the step's own buttons are not drawn: the person first confirms,
in so many words, that the equipment is isolated and proven dead. One function, so the step UI
has one place for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app.ui.wording import plain

ACK_LABEL = "I have isolated and proven dead"
ACK_KIND = "acknowledge"


def hazard_gate(
    session: dict[str, Any],
    directive: dict[str, Any],
    send: Callable[[dict[str, Any], str, Any], None],
) -> bool:
    """Draw the hazard banner when the current step is hazardous; True when the step may be
    shown (no hazard, or already acknowledged)."""
    hazard = session.get("hazard") or ({"acknowledged": False} if directive.get("hazard") else None)
    if not hazard:
        return True
    text = (
        hazard.get("acknowledgement")
        or directive.get("text")
        or (
            "Danger: this step works on parts that can be live. Isolate the supply, lock it off, "
            "wait for the discharge time and prove dead with a tester before you go on."
        )
    )
    with st.container(key="ts_hazard"):
        level = str(hazard.get("safety_level") or "hazard").replace("_", " ")
        st.error(f"Danger ({plain(level)}): {plain(text)}", icon=":material/electric_bolt:")
        if hazard.get("acknowledged"):
            st.caption(f"Acknowledged: {ACK_LABEL.lower()}.")
            return True
        if st.button(ACK_LABEL, key="ts_hazard_ack", type="primary", width="stretch"):
            send(session, ACK_KIND, True)
    return False
