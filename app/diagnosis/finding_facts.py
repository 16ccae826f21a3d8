"""What a finding's diagnosis row and notes say about it: the catalogue's entry and class, a
failed firmware update's versions, the vehicle it was raised under, its evidence rows."""

from __future__ import annotations

from typing import Any

from app.diagnosis.engine import BOOT, FIRMWARE, Finding, fault_key_of
from app.fleet.model import ChargerLiveState, OpenFault


def catalogue_fields(finding: Finding) -> dict[str, Any]:
    """What the diagnosis row says about the catalogue: entry, standard code, class, who."""
    cls = finding.classification if finding.rule.subject == "fault" else None
    return {
        "catalogue_entry": cls.entry_id if cls else None,
        "standard_code": cls.standard_code if cls else None,
        "safety_class": (cls.safety_class if cls else None) or "unknown",
        "responsible": finding.responsible,
    }


def firmware_facts(finding: Finding, live: ChargerLiveState | None) -> str:
    """A failed update's versions: before it began (its first status report) and now."""
    reports = [o for o in finding.evidence if o.kind in (FIRMWARE, BOOT)]
    before = reports[0].data.get("firmware") if reports else None
    now = live.firmware_version if live else None
    last = reports[-1] if reports else None
    failed = (
        "rolled back (rebooted on the old version)"
        if last is not None and last.kind == BOOT
        else (last.data.get("status") if last else None)
    )
    outcome = "unchanged (still the old image or rolled back)" if before == now else "changed"
    return (
        f"Firmware update {failed}: version before the update {before or 'unknown'}, "
        f"now {now or 'unknown'} ({outcome})."
    )


def token_of(finding: Finding, live: ChargerLiveState) -> str | None:
    """The idToken the finding's fault was raised under (a vehicle), if any."""
    if finding.rule.subject != "fault" or not finding.fault_uids:
        return None
    fault = next((f for f in live.open_faults if f.uid == finding.fault_uids[0]), None)
    return fault.id_token if fault is not None else None


def evidence_rows(finding: Finding) -> list[dict[str, Any]]:
    out = [o.evidence() for o in finding.evidence][-20:]
    if finding.group:
        out.append({"kind": "group", "chargers": list(finding.group)})
    if finding.history:
        out.append({"kind": "history", "occurrences": finding.history[:20]})
    return out


def fault_data(state: ChargerLiveState, fault: OpenFault) -> dict[str, Any]:
    return {
        "uid": fault.uid,
        "error_code": fault.error_code,
        "vendor_error_code": fault.vendor_error_code or fault.tech_code,
        "fault_key": fault_key_of(state, fault),
        "source": fault.source,
    }
