"""A meter sample names its connector: listeners must not pin it on the first transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from app.fleet.events import FleetEvent, MeterSampled
from app.fleet.model import ActiveTransaction, MeterReading
from app.fleet.store import FleetStore


def test_meter_sample_carries_the_connector_of_its_transaction() -> None:
    live = FleetStore()
    seen: list[FleetEvent] = []
    live.add_listener(seen.append)
    started = datetime.now(UTC)
    for tx_id, connector in (("1", 1), ("2", 2)):
        live.start_transaction(
            "CP-1",
            ActiveTransaction(transaction_id=tx_id, connector_id=connector, started_at=started),
        )
    reading = MeterReading(at=datetime.now(UTC), energy_wh=1234.0)
    live.apply_meter("CP-1", "2", 2, reading)  # by transaction id
    live.apply_meter("CP-1", None, 2, reading)  # by connector (2.0.1 without a transaction)
    samples = [e for e in seen if isinstance(e, MeterSampled)]
    assert [e.connector_id for e in samples] == [2, 2]
    assert live.get("CP-1").transactions["2"].last_meter == reading
    assert live.get("CP-1").transactions["1"].last_meter is None
