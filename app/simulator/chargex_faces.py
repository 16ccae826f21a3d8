"""How a charger whose firmware follows the ChargeX Minimum Required Error Codes reports a fault.

The faces are EVerest's, the widely used open-source charger stack that implements MREC
(its OCPP modules' documentation, "Global Errors and Error Reporting" and "Error Handling"):

- OCPP 1.6: a StatusNotification whose ``errorCode`` is the code's 1.6 error code, ``status``
  the connector's present status, ``vendorId`` the ChargeX namespace, ``vendorErrorCode``
  ``CXnnn`` and ``info`` the error's name; the status becomes ``Faulted`` only through a
  second error, the EVSE manager's "Inoperative", sent at once as Faulted / OtherError with
  ``info`` naming its cause.
- OCPP 2.0.1: a NotifyEvent on component ``ChargingStation`` (no EVSE) or ``EVSE``, variable
  ``Problem`` (the only variable the module maps errors to), trigger ``Alerting``,
  ``actualValue`` "true" ("false" when cleared), ``techCode`` ``CXnnn``, ``techInfo`` the
  description; a ``Faulted`` StatusNotification only while the EVSE is inoperative.

The codes, their 1.6 error codes and meanings come from the fault-code catalogue
(``knowledge_base/fault_codes/chargex.yaml``). A fault the MREC has no code for is reported
with the model's own vendor code, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from app.fault_codes import load_catalogue

# The sample models whose (fictional) firmware is built on EVerest and so reports ChargeX codes:
# one 1.6-only and one 2.0.1-only model, so a fleet meets both versions' real faces. What the
# CLI's fleet and the remote-resolution benchmark run with (``FleetConfig.chargex_models``).
MREC_MODELS: tuple[str, ...] = ("voltara_wb22", "kestrel_kx300")


def parse_models(text: str) -> tuple[str, ...]:
    """Comma-separated model keys, or 'none' (every model sends its vendor codes)."""
    if text.strip().lower() == "none":
        return ()
    return tuple(k.strip() for k in text.split(",") if k.strip())


@dataclass(frozen=True)
class ChargeXFace:
    code: str  # CXnnn
    name: str  # the MREC name, EVerest's error type
    ocpp16: str  # the 1.6 errorCode sent with it
    meaning: str


@cache
def namespace() -> str:
    """The 1.6 ``vendorId`` sent with a ChargeX code."""
    return load_catalogue().chargex_namespace


@cache
def face_for_fault(fault_key: str) -> ChargeXFace | None:
    """The ChargeX code a MREC charger sends for a fault key (the lowest, if several)."""
    catalogue = load_catalogue()
    codes = sorted(catalogue.standard_codes_for_fault(fault_key))
    if not codes:
        return None
    entry = catalogue.chargex[codes[0]]
    return ChargeXFace(entry.code, entry.name, entry.ocpp16, entry.meaning)


def inoperative_info(face: ChargeXFace) -> str:
    """The 1.6 ``info`` of the follow-up Faulted / OtherError: the error that caused it."""
    return f"caused_by:{face.name}"[:50]
