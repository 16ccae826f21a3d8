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


def test_signed_values_are_kept_as_sent_and_bounded() -> None:
    """2.0.1 signedMeterValue and 1.6 SignedData are kept with the reading; one over the
    SignedMeterValueType bounds (2500 characters) is dropped, not cut short."""
    from app.csms.meter import latest_reading

    stamp = datetime.now(UTC).isoformat()
    signed_201 = {
        "signed_meter_data": "QUJD",
        "signing_method": "ECDSA-secp256r1-SHA256",
        "encoding_method": "OCMF",
        "public_key": "S0VZ",
    }
    reading = latest_reading(
        [
            {
                "timestamp": stamp,
                "sampled_value": [
                    {"value": 10, "signed_meter_value": signed_201},
                    {"value": 11, "signed_meter_value": {**signed_201, "public_key": "x" * 2501}},
                ],
            }
        ]
    )
    assert reading is not None and reading.energy_wh == 11  # the value itself is kept
    assert [s.public_key for s in reading.signed] == ["S0VZ"]
    v16 = latest_reading(
        [
            {
                "timestamp": stamp,
                "sampled_value": [
                    {
                        "value": "OCMF|{...}|{...}",
                        "format": "SignedData",
                        "context": "Transaction.End",
                    },
                    {"value": "42", "format": "Raw"},
                ],
            }
        ]
    )
    assert v16 is not None and v16.energy_wh == 42
    assert [(s.signed_meter_data, s.context) for s in v16.signed] == [
        ("OCMF|{...}|{...}", "Transaction.End")
    ]


def test_seqno_holes_open_and_fill() -> None:
    """TransactionTrail: a jump opens a hole, a late seqNo splits it, duplicates change nothing;
    only changes are announced (TransactionNoted)."""
    from app.fleet.events import TransactionNoted

    live = FleetStore()
    seen: list[FleetEvent] = []
    live.add_listener(seen.append)
    for seq_no in (0, 1, 6, 3, 3, 1):
        trail = live.note_transaction_event("CP-1", "t", seq_no, offline=False)
    assert trail.missing() == [[2, 2], [4, 5]]
    live.note_transaction_event("CP-1", "t", 7, offline=True)
    notes = [e for e in seen if isinstance(e, TransactionNoted)]
    assert [(n.trail.missing(), n.trail.offline_events) for n in notes] == [
        ([[2, 5]], 0),
        ([[2, 2], [4, 5]], 0),
        ([[2, 2], [4, 5]], 1),
    ]
    # a first event that is not seqNo 0: the ones before it are missing
    assert live.note_transaction_event("CP-1", "u", 2, offline=False).missing() == [[0, 1]]
