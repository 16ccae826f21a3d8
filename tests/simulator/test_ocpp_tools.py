"""The simulator answers the troubleshooter's OCPP tools (issue 17): ExtendedTriggerMessage
(1.6 security), GetTransactionStatus (2.0.1 E14), UpdateFirmware (1.6, 2.0.1 L01)."""

from __future__ import annotations

import pytest
from ocpp.exceptions import OccurrenceConstraintViolationError
from ocpp.v16 import call as c16
from ocpp.v201 import call as c201

from tests.simulator.conftest import plan
from tests.simulator.mini_csms import MiniCSMS


async def test_16_extended_trigger_sends_log_status(csms: MiniCSMS, make_fleet) -> None:
    p = plan("northwind_duo", "1.6")
    await make_fleet([p])
    await csms.wait_message(p.charger_id, "BootNotification")
    mark = csms.mark(p.charger_id)
    answer = await csms.command(
        p.charger_id, c16.ExtendedTriggerMessage(requested_message="LogStatusNotification")
    )
    assert answer.status == "Accepted"
    await csms.wait_message(p.charger_id, "LogStatusNotification", after=mark)
    mark = csms.mark(p.charger_id)
    signed = await csms.command(
        p.charger_id, c16.ExtendedTriggerMessage(requested_message="SignChargePointCertificate")
    )
    assert signed.status == "Accepted"  # A02: a new key pair, its CSR in SignCertificate
    request = await csms.wait_message(p.charger_id, "SignCertificate", after=mark)
    assert request["csr"].startswith("-----BEGIN CERTIFICATE REQUEST-----")


async def test_201_transaction_status(csms: MiniCSMS, make_fleet) -> None:
    p = plan("helion_hx150", "2.0.1")
    fleet = await make_fleet([p])
    ch = fleet.charger(p.charger_id)
    ch.start_transaction(1, "TAG-1")
    started = await csms.wait_message(p.charger_id, "TransactionEvent")
    tx_id = started["transaction_info"]["transaction_id"]
    answer = await csms.command(p.charger_id, c201.GetTransactionStatus(transaction_id=tx_id))
    assert answer.ongoing_indicator is True and answer.messages_in_queue is False
    unknown = await csms.command(p.charger_id, c201.GetTransactionStatus(transaction_id="nope"))
    assert unknown.ongoing_indicator is False
    anything = await csms.command(p.charger_id, c201.GetTransactionStatus())
    assert anything.ongoing_indicator is None and anything.messages_in_queue is False


CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


async def test_201_signed_update_reports_every_state_and_boots_the_new_version(
    csms: MiniCSMS, make_fleet
) -> None:
    p = plan("helion_hx150", "2.0.1")
    await make_fleet([p])
    await csms.wait_message(p.charger_id, "BootNotification")
    mark = csms.mark(p.charger_id)
    firmware = {
        "location": "https://fw.example.com/hx-5.3.0.bin",
        "retrieve_date_time": "2026-12-01T02:00:00Z",
        "signing_certificate": CERT,
        "signature": "c2lnbmF0dXJl",
    }
    answer = await csms.command(p.charger_id, c201.UpdateFirmware(request_id=9, firmware=firmware))
    assert answer.status == "Accepted"
    booted = await csms.wait_message(p.charger_id, "BootNotification", after=mark)
    assert booted["reason"] == "FirmwareUpdate"
    assert booted["charging_station"]["firmware_version"] == "hx-5.3.0"
    states = [m["status"] for m in csms.of(p.charger_id, "FirmwareStatusNotification")]
    assert states == [
        "Downloading",
        "Downloaded",
        "SignatureVerified",
        "Installing",
        "InstallRebooting",
        "Installed",
    ]
    bad = {**firmware, "signing_certificate": "not a certificate"}
    refused = await csms.command(p.charger_id, c201.UpdateFirmware(request_id=10, firmware=bad))
    assert refused.status == "InvalidCertificate"


async def test_16_update_that_fails_to_install(csms: MiniCSMS, make_fleet) -> None:
    p = plan("northwind_duo", "1.6")
    await make_fleet([p])
    await csms.wait_message(p.charger_id, "BootNotification")
    mark = csms.mark(p.charger_id)
    await csms.command(
        p.charger_id,
        c16.UpdateFirmware(
            location="ftp://fw.example.com/nw-install-fails.bin",
            retrieve_date="2026-12-01T02:00:00Z",
        ),
    )
    await csms.wait_message(
        p.charger_id,
        "FirmwareStatusNotification",
        lambda m: m["status"] == "InstallationFailed",
        after=mark,
    )
    states = [m["status"] for m in csms.of(p.charger_id, "FirmwareStatusNotification")]
    assert states == ["Downloading", "Downloaded", "Installing", "InstallationFailed"]
    assert csms.connections[p.charger_id] == 1  # no reboot: the old firmware keeps running


async def test_16_security_log_uploads(csms: MiniCSMS, make_fleet, uploads) -> None:
    p = plan("northwind_duo", "1.6")
    await make_fleet([p])
    await csms.wait_message(p.charger_id, "BootNotification")
    r = await csms.command(
        p.charger_id,
        c16.GetLog(
            log={"remote_location": f"{uploads.url}/put/"}, log_type="SecurityLog", request_id=5
        ),
    )
    assert r.status == "Accepted" and "SecurityLog" in r.filename
    await csms.wait_message(
        p.charger_id, "LogStatusNotification", lambda m: m["status"] == "Uploaded"
    )
    statuses = [
        (m["status"], m["request_id"]) for m in csms.of(p.charger_id, "LogStatusNotification")
    ]
    assert statuses == [("Uploading", 5), ("Uploaded", 5)]
    assert r.filename in uploads.files


async def test_201_data_transfer_unknown_vendor(csms: MiniCSMS, make_fleet) -> None:
    p = plan("helion_hx150", "2.0.1")
    await make_fleet([p])
    await csms.wait_message(p.charger_id, "BootNotification")
    answer = await csms.command(p.charger_id, c201.DataTransfer(vendor_id="com.example"))
    assert answer.status == "UnknownVendorId" and answer.data is None


async def test_201_refuses_more_than_items_per_message(csms: MiniCSMS, make_fleet) -> None:
    p = plan("helion_hx150", "2.0.1")
    await make_fleet([p])
    await csms.wait_message(p.charger_id, "BootNotification")
    item = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
    ok = await csms.command(p.charger_id, c201.GetVariables(get_variable_data=[item] * 16))
    assert len(ok.get_variable_result) == 16
    with pytest.raises(OccurrenceConstraintViolationError):
        await csms.command(p.charger_id, c201.GetVariables(get_variable_data=[item] * 17))


@pytest.mark.parametrize(
    ("version", "event"),
    [("1.6", "InvalidChargePointCertificate"), ("2.0.1", "InvalidChargingStationCertificate")],
)
async def test_a_refused_signed_certificate_is_a_security_event(
    csms: MiniCSMS, make_fleet, version: str, event: str
) -> None:
    """A02.FR.07 (1.6 security whitepaper, 2.0.1): a certificate it cannot take is reported,
    each protocol by its own name."""
    p = plan("northwind_duo", version)
    await make_fleet([p])
    await csms.wait_message(p.charger_id, "BootNotification")
    mark = csms.mark(p.charger_id)
    payload = c16.CertificateSigned if version == "1.6" else c201.CertificateSigned
    answer = await csms.command(p.charger_id, payload(certificate_chain="not a certificate"))
    assert answer.status == "Rejected"
    await csms.wait_message(
        p.charger_id, "SecurityEventNotification", lambda m: m["type"] == event, after=mark
    )


async def test_201_monitors_kept_across_a_reboot_are_duplicates(csms: MiniCSMS, make_fleet) -> None:
    """N04 as EVerest's libocpp answers it: a station keeps its custom monitors across a
    reboot, and a monitor set again without an id, of a type and severity the variable already
    has, is a Duplicate that gets no id; one with its id replaces it."""
    p = plan("helion_hx150", "2.0.1")
    await make_fleet([p])
    await csms.wait_message(p.charger_id, "BootNotification")
    upper = {
        "component": {"name": "ElectricalFeed"},
        "variable": {"name": "ACVoltage"},
        "type": "UpperThreshold",
        "value": 253.0,
        "severity": 4,
    }
    first = await csms.command(p.charger_id, c201.SetVariableMonitoring([upper]))
    (given,) = first.set_monitoring_result
    assert given["status"] == "Accepted" and given["id"] is not None
    mark = csms.mark(p.charger_id)
    rebooted = await csms.command(p.charger_id, c201.Reset(type="Immediate"))
    assert rebooted.status == "Accepted"
    await csms.wait_message(p.charger_id, "BootNotification", after=mark)
    again = await csms.command(
        p.charger_id,
        c201.SetVariableMonitoring([upper, upper | {"severity": 2}]),
    )
    duplicate, other_severity = again.set_monitoring_result
    assert duplicate["status"] == "Duplicate" and duplicate.get("id") is None
    assert other_severity["status"] == "Accepted" and other_severity["id"] != given["id"]
    replaced = await csms.command(
        p.charger_id, c201.SetVariableMonitoring([upper | {"id": given["id"], "value": 250.0}])
    )
    assert [(r["status"], r["id"]) for r in replaced.set_monitoring_result] == [
        ("Accepted", given["id"])
    ]
