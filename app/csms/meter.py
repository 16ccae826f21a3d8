"""Reading OCPP MeterValues (1.6 and 2.0.1, snake_case payloads) into one MeterReading."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from app.db.base import utcnow
from app.fleet.model import MAX_SIGNED_PER_READING, MeterReading, SignedMeterValue

log = logging.getLogger(__name__)

_ENERGY = "Energy.Active.Import.Register"


def parse_timestamp(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return utcnow()


def latest_reading(meter_values: list[dict[str, Any]] | None) -> MeterReading | None:
    """The newest reading in a MeterValues list, in Wh / W / A / V / %."""
    if not meter_values:
        return None
    newest = max(meter_values, key=lambda mv: str(mv.get("timestamp", "")))
    reading = MeterReading(at=parse_timestamp(newest.get("timestamp")))
    for sample in newest.get("sampled_value") or []:
        measurand = sample.get("measurand") or _ENERGY
        signed = signed_value(sample)
        if signed is not None and len(reading.signed) < MAX_SIGNED_PER_READING:
            reading.signed.append(signed)
        try:
            value = float(sample.get("value"))
        except (TypeError, ValueError):
            continue
        unit = sample.get("unit")
        unit_of_measure = sample.get("unit_of_measure") or {}
        if isinstance(unit_of_measure, dict):
            unit = unit_of_measure.get("unit", unit)
            value *= 10 ** int(unit_of_measure.get("multiplier", 0) or 0)
        if unit in ("kWh", "kW"):
            value *= 1000
        if sample.get("phase") and measurand != _ENERGY:
            continue  # keep totals; per-phase values are in the event log
        if measurand == _ENERGY:
            reading.energy_wh = value
        elif measurand == "Power.Active.Import":
            reading.power_w = value
        elif measurand == "Current.Import":
            reading.current_a = value
        elif measurand == "Voltage":
            reading.voltage_v = value
        elif measurand == "SoC":
            reading.soc_percent = value
    return reading


def signed_value(sample: dict[str, Any]) -> SignedMeterValue | None:
    """A sampled value's signature, as sent (not verified): OCPP 2.0.1 ``signedMeterValue``
    (SignedMeterValueType), or an OCPP 1.6 value of format ``SignedData``. One over the
    schema's bounds (2500 / 50 characters) is dropped and logged, never stored cut short."""
    context = {"measurand": sample.get("measurand"), "context": sample.get("context")}
    raw = sample.get("signed_meter_value")
    try:
        if isinstance(raw, dict):
            return SignedMeterValue(
                signed_meter_data=str(raw.get("signed_meter_data") or ""),
                signing_method=str(raw.get("signing_method") or ""),
                encoding_method=str(raw.get("encoding_method") or ""),
                public_key=str(raw.get("public_key") or ""),
                **context,
            )
        if sample.get("format") == "SignedData" and sample.get("value"):
            return SignedMeterValue(signed_meter_data=str(sample["value"]), **context)
    except ValidationError as error:
        log.warning("signed meter value dropped: %s", error.errors()[0].get("msg"))
    return None
