"""Keyword tokeniser shared by the BM25 index and queries.

Codes stay whole tokens: ``E-101``, ``NW-0x11``, ``HX-1104``, ``K7-PW-101`` and
``GroundFailure`` each give one token (lower case); hyphenated plain words also give their
parts (``re-seat`` -> ``re-seat``, ``re``, ``seat``). A light suffix stripper folds plurals and
``-ing``/``-ed`` forms so "tripping" finds "tripped". Every code-like string also gives its
squashed form (``F.214``, ``f 214`` -> ``f214``; see ``app.fault_codes.text.code_forms``), so a
code of a vendor the catalogue does not know matches however it is typed.
"""

from __future__ import annotations

import re

from app.fault_codes.text import code_forms

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:[-_./][a-z0-9]+)*")

STOPWORDS = frozenset(
    """a an and are as at be been but by can did do does for from had has have how i if in into
    is it its me my no not of on or our so than that the their them then there these they this
    to too was we were what when where which while who why will with you your after before
    again also just any all some very""".split()  # noqa: SIM905
)


def _stem(token: str) -> str:
    if len(token) <= 4 or any(c.isdigit() for c in token):
        return token
    for suffix in ("ing", "ed", "es", "s"):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            stem = token[: -len(suffix)]
            if suffix in ("ing", "ed") and len(stem) > 3 and stem[-1] == stem[-2]:
                stem = stem[:-1]  # tripped -> trip, stopping -> stop
            return stem
    return token


def tokenize(text: str) -> list[str]:
    """Lower-case tokens of ``text`` for BM25, codes kept whole, stop words dropped."""
    tokens: list[str] = []
    for raw in _TOKEN_RE.findall(text.lower()):
        token = raw.strip("-_./")
        if not token or token in STOPWORDS:
            continue
        has_digit = any(c.isdigit() for c in token)
        if has_digit or not re.search(r"[-_./]", token):
            tokens.append(_stem(token))
            continue
        tokens.append(token)
        tokens.extend(_stem(p) for p in re.split(r"[-_./]", token) if p and p not in STOPWORDS)
    seen = set(tokens)
    tokens.extend(form for form in dict.fromkeys(code_forms(text)) if form not in seen)
    return tokens
