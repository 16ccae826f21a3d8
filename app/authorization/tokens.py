"""Id tokens: validation, the authorization decision, and its answer per OCPP version.

Plain functions over plain values; storage and the cache are in ``app/authorization/store.py``.

What the standards say (field meanings as in the OCPP specifications):
- OCPP 1.6 ``IdToken`` is a CiString20Type: at most 20 printable ASCII characters, compared
  case-insensitively. ``IdTagInfo`` = {status, expiryDate, parentIdTag}; status is one of
  Accepted, Blocked, Expired, Invalid, ConcurrentTx.
- OCPP 2.0.1 ``IdTokenType`` = {idToken: string[0..36], type: IdTokenEnumType}; the idToken is
  case insensitive. ``IdTokenInfoType`` = {status, cacheExpiryDateTime ("after which the token
  must be considered invalid"), groupIdToken (an IdTokenType), ...}.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from app.errors import InvalidInput

MAX_TOKEN_LENGTH = 36  # OCPP 2.0.1 idToken string[0..36]
MAX_TOKEN_LENGTH_16 = 20  # OCPP 1.6 IdToken is CiString20Type
TOKEN_TYPES = (  # OCPP 2.0.1 IdTokenEnumType
    "Central",
    "eMAID",
    "ISO14443",
    "ISO15693",
    "KeyCode",
    "Local",
    "MacAddress",
    "NoAuthorization",
)
NO_AUTHORIZATION = "NoAuthorization"  # a start button, no token to check
GROUP_TOKEN_TYPE = "Central"  # a group id is made by the operator, not read from a card


class TokenStatus(StrEnum):
    """The statuses an operator stores; both versions' AuthorizationStatus enums have them."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"


@dataclass(frozen=True)
class IdToken:
    """One stored token, as the cache holds it."""

    token: str
    token_type: str | None
    status: TokenStatus
    expires_at: datetime | None
    group_id: str | None


@dataclass(frozen=True)
class Authorization:
    """The decision for one presented token (IdTagInfo / IdTokenInfo before formatting)."""

    status: TokenStatus
    expires_at: datetime | None = None
    group_id: str | None = None


def token_key(token: str) -> str:
    """The case-insensitive key both versions compare tokens by (printable ASCII only)."""
    return token.lower()


def validate_token(value: str, field: str = "id_token") -> str:
    """A token as entered by an operator: 1..36 printable ASCII characters."""
    token = value.strip()
    if not 1 <= len(token) <= MAX_TOKEN_LENGTH:
        raise InvalidInput(
            f"{field} must be 1 to {MAX_TOKEN_LENGTH} characters (OCPP 2.0.1 idToken; "
            f"1.6 chargers present at most {MAX_TOKEN_LENGTH_16}), got {len(token)}"
        )
    if not all(" " <= ch <= "~" for ch in token):
        raise InvalidInput(f"{field} must be printable ASCII (OCPP CiString), got {value!r}")
    return token


def validate_type(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if value not in TOKEN_TYPES:
        raise InvalidInput(
            f"token type must be one of {', '.join(TOKEN_TYPES)} (OCPP 2.0.1 IdTokenEnumType), "
            f"got {value[:40]!r}"
        )
    return value


def authorize(
    record: IdToken | None,
    now: datetime,
    *,
    accept_unknown: bool = False,
    presented_type: str | None = None,
) -> Authorization:
    """The answer for a presented token: unknown is Invalid (unless ``accept_unknown``),
    a stored status other than Accepted stands, and an Accepted token past its expiry is
    Expired. A stored type must match the type a 2.0.1 station presents.

    A 2.0.1 ``NoAuthorization`` token is Accepted: the IdTokenEnumType defines it as
    "Transaction is started and no authorization possible. Charging Station only has a start
    button or mechanical key etc. IdToken field SHALL be left empty" - there is nothing to
    check, and an Invalid answer would make a station configured with StopTxOnInvalidId end
    a charge it started by design (E05)."""
    if presented_type == NO_AUTHORIZATION:
        return Authorization(TokenStatus.ACCEPTED)
    if record is None:
        return Authorization(TokenStatus.ACCEPTED if accept_unknown else TokenStatus.INVALID)
    if presented_type is not None and record.token_type not in (None, presented_type):
        return Authorization(TokenStatus.INVALID)
    status = record.status
    if (
        status is TokenStatus.ACCEPTED
        and record.expires_at is not None
        and now >= record.expires_at
    ):
        status = TokenStatus.EXPIRED
    return Authorization(status, record.expires_at, record.group_id)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def id_tag_info_v16(decision: Authorization) -> dict[str, Any]:
    """OCPP 1.6 IdTagInfo: status, expiryDate, parentIdTag (an IdToken, so at most 20)."""
    info: dict[str, Any] = {"status": decision.status.value}
    if decision.expires_at is not None:
        info["expiry_date"] = _iso(decision.expires_at)
    if decision.group_id is not None and len(decision.group_id) <= MAX_TOKEN_LENGTH_16:
        info["parent_id_tag"] = decision.group_id
    return info


def id_token_info_v201(decision: Authorization) -> dict[str, Any]:
    """OCPP 2.0.1 IdTokenInfoType: status, cacheExpiryDateTime, groupIdToken."""
    info: dict[str, Any] = {"status": decision.status.value}
    if decision.expires_at is not None:
        info["cache_expiry_date_time"] = _iso(decision.expires_at)
    if decision.group_id is not None:
        info["group_id_token"] = {"id_token": decision.group_id, "type": GROUP_TOKEN_TYPE}
    return info
