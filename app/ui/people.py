"""People are shown as people: a chat line by a person carries their name and a person's
avatar; only the system and self-diagnosis keep a machine's (Streamlit's "assistant" role
would draw a robot for a consultant)."""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

PERSON = ":material/person:"
CONSULTANT = ":material/support_agent:"
MACHINE = ":material/smart_toy:"


def avatar(message: dict[str, Any]) -> str:
    if not message.get("person", True):
        return MACHINE
    return PERSON if message.get("role") == "partner" else CONSULTANT


def speaker(message: dict[str, Any]) -> DeltaGenerator:
    """The chat bubble for one message of the session."""
    name = str(message.get("name") or message.get("from") or "?")
    return st.chat_message(name, avatar=avatar(message))


def on_it(handoff: dict[str, Any] | None) -> str | None:
    """The partner's line about who has the handoff: "Casey is on it"."""
    if not handoff or handoff.get("status") == "closed":
        return None
    if handoff.get("claimed_by"):
        return f"{handoff.get('claimed_by_name') or handoff['claimed_by']} is on it."
    return "Waiting for a consultant to take over."
