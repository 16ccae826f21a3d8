"""The hazard banner of a step: shown when the session view's directive says ``hazard``.

The procedure-safety work (engine and session service) marks hazardous steps in the directive
(``hazard: true``, optional ``hazard_text``) and takes the person's acknowledgement as an
answer of kind ``hazard_ack`` (``hazard_acknowledged: true`` in the directive once given).
Until then the step's own buttons are not drawn: the person first confirms, in so many words,
that the equipment is isolated and proven dead. One function, so the step UI has one place
for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

ACK_LABEL = "I have isolated and proven dead"
ACK_KIND = "hazard_ack"


def hazard_gate(
    session: dict[str, Any],
    directive: dict[str, Any],
    send: Callable[[dict[str, Any], str, Any], None],
) -> bool:
    """Draw the hazard banner when the directive is hazardous; True when the step may be
    shown (no hazard, or already acknowledged)."""
    if not directive.get("hazard"):
        return True
    text = directive.get("hazard_text") or (
        "Danger: this step works on parts that can be live. Isolate the supply, lock it off, "
        "wait for the discharge time and prove dead with a tester before you go on."
    )
    with st.container(key="ts_hazard"):
        st.error(text, icon=":material/electric_bolt:")
        if directive.get("hazard_acknowledged"):
            st.caption(f"Acknowledged: {ACK_LABEL.lower()}.")
            return True
        if st.button(ACK_LABEL, key="ts_hazard_ack", type="primary", width="stretch"):
            send(session, ACK_KIND, True)
    return False
