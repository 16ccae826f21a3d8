"""What the admin tabs share: a message kept over a rerun, a DELETE that reports success,
times and free-form details as short plain text."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.ui.api_client import ApiError, BackendUnavailable
from app.ui.common import api, show_error
from app.ui.wording import plain


def flash(key: str) -> None:
    message = st.session_state.pop(key, None)
    if message:
        st.success(plain(message))


def removed(doing: str, path: str) -> bool:
    """DELETE ``path``; True when done (a 204 has no body, so ``call``'s None cannot tell)."""
    try:
        api().delete(path)
    except BackendUnavailable:
        raise
    except ApiError as error:
        show_error(error, doing)
        return False
    return True


def detail_words(detail: dict[str, Any] | None) -> str:
    return ", ".join(f"{k}: {v}" for k, v in (detail or {}).items())


def when(value: Any) -> str:
    return str(value or "")[:19].replace("T", " ")
