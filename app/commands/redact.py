"""Passwords never leave the gateway in clear: not in the recorded OCPP frames, not in the
audit, not in the API's answer. A password is the charger's Basic-auth secret: OCPP 2.0.1
``SecurityCtrlr.BasicAuthPassword`` (A01) and the 1.6 security whitepaper's
``AuthorizationKey``; the value of either is replaced by ``REDACTED`` wherever it travels.
So are the VPN and APN passwords of a 2.0.1 SetNetworkProfile (B09: VPNType.password,
APNType.apnPassword) and the SIM PIN."""

from __future__ import annotations

from typing import Any

PASSWORD_VARIABLES = frozenset({"basicauthpassword", "authorizationkey"})
REDACTED = "***"


def is_password(name: Any) -> bool:
    return isinstance(name, str) and name.rsplit(".", 1)[-1].strip().lower() in PASSWORD_VARIABLES


def redact_call(action: str | None, payload: Any) -> Any:
    """A CALL's payload (camelCase, as on the wire) with password values replaced; the same
    object when there is none (so callers can tell whether anything changed)."""
    if not isinstance(payload, dict):
        return payload
    if action == "SetNetworkProfile" and isinstance(payload.get("connectionData"), dict):
        data = _redact_profile(payload["connectionData"], "password", "apnPassword", "simPin")
        if data is not payload["connectionData"]:
            return {**payload, "connectionData": data}
        return payload
    if action == "ChangeConfiguration" and is_password(payload.get("key")):
        return {**payload, "value": REDACTED}
    if action == "SetVariables" and isinstance(payload.get("setVariableData"), list):
        data = payload["setVariableData"]
        if any(_password_item(d) for d in data):
            return {
                **payload,
                "setVariableData": [
                    {**d, "attributeValue": REDACTED} if _password_item(d) else d for d in data
                ],
            }
    return payload


def redact_params(command: str, params: dict[str, Any]) -> dict[str, Any]:
    """A command's parameters as the audit keeps them (change_configuration / set_variables of
    a password: the value is not kept)."""
    if command == "change_configuration" and is_password(params.get("key")):
        return {**params, "value": REDACTED}
    if command == "set_network_profile":
        return _redact_profile(params, "password", "apn_password", "sim_pin")
    variables = params.get("variables")
    if command == "set_variables" and isinstance(variables, list):
        return {
            **params,
            "variables": [
                {**v, "value": REDACTED}
                if isinstance(v, dict) and is_password(v.get("variable"))
                else v
                for v in variables
            ],
        }
    return params


def _password_item(item: Any) -> bool:
    return isinstance(item, dict) and is_password((item.get("variable") or {}).get("name"))


def _redact_profile(data: dict[str, Any], vpn_key: str, apn_key: str, pin_key: str) -> Any:
    """A network connection profile with its VPN password, APN password and SIM PIN
    replaced; the same object when it holds none."""
    vpn, apn = data.get("vpn"), data.get("apn")
    out = dict(data)
    if isinstance(vpn, dict) and vpn.get(vpn_key) is not None:
        out["vpn"] = {**vpn, vpn_key: REDACTED}
    if isinstance(apn, dict) and (apn.get(apn_key) is not None or apn.get(pin_key) is not None):
        out["apn"] = {
            **apn,
            **{k: REDACTED for k in (apn_key, pin_key) if apn.get(k) is not None},
        }
    return out if out != data else data
