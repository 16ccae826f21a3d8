"""Interoperability: a charger written with npm `ocpp-rpc` in strict mode (schemas enforced by a
library we did not write) talks to our backend, and our commands pass its validation."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from app.commands.catalogue import TRIGGERABLE, TRIGGERABLE_201
from tests.pki import root_pem

INTEROP = Path(__file__).resolve().parent.parent / "interop"
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (INTEROP / "node_modules" / "ocpp-rpc").exists(),
    reason="node and tests/interop/node_modules (npm ci in tests/interop) are needed",
)

CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
ROOT = root_pem()
HASH_DATA = {
    "issuer_name_hash": "ab" * 32,
    "issuer_key_hash": "cd" * 32,
    "serial_number": "1A2B",
}
CERTIFICATES = [
    ("install_certificate", {"certificate_type": "CSMSRootCertificate", "certificate": ROOT}),
    ("delete_certificate", HASH_DATA),
    ("certificate_signed", {"certificate_chain": ROOT}),
]
COMMANDS = {
    "1.6": [
        ("reset", {"type": "soft"}),
        ("unlock_connector", {"connector_id": 1}),
        ("change_availability", {"connector_id": 1, "type": "inoperative"}),
        ("trigger_message", {"message": "StatusNotification", "connector_id": 1}),
        ("get_configuration", {"keys": ["HeartbeatInterval"]}),
        ("change_configuration", {"key": "HeartbeatInterval", "value": "120"}),
        ("clear_cache", {}),
        ("get_diagnostics", {}),
        ("remote_start", {"id_token": "TAG-1", "connector_id": 1}),
        ("update_firmware", {"location": "https://fw.example.com/vt.bin", "retries": 2}),
        *(("trigger_message", {"message": m}) for m in TRIGGERABLE),
        ("data_transfer", {"vendor_id": "org.test", "message_id": "Ping", "data": {"n": 1}}),
        ("rotate_basic_auth_password", {}),
        ("get_installed_certificate_ids", {}),
        *CERTIFICATES,
    ],
    "2.0.1": [
        ("reset", {"type": "hard"}),
        ("unlock_connector", {"connector_id": 1}),
        ("change_availability", {"connector_id": 0, "type": "operative"}),
        ("trigger_message", {"message": "Heartbeat"}),
        ("get_configuration", {}),
        ("change_configuration", {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "120"}),
        ("clear_cache", {}),
        ("get_diagnostics", {}),
        ("get_diagnostics", {"log_type": "SecurityLog", "oldest": "2026-11-01T00:00:00Z"}),
        ("remote_start", {"id_token": "TAG-1", "connector_id": 1}),
        ("get_transaction_status", {"transaction_id": "T-1"}),
        ("get_transaction_status", {}),
        ("get_base_report", {"report_base": "FullInventory"}),
        (
            "set_variable_monitoring",
            {
                "monitors": [
                    {
                        "id": 4,
                        "component": "EVSE",
                        "evse_id": 1,
                        "connector_id": 1,
                        "variable": "Power",
                        "variable_instance": "Offered",
                        "type": "UpperThreshold",
                        "value": 23000.5,
                        "severity": 4,
                        "transaction": True,
                    }
                ]
            },
        ),
        ("clear_variable_monitoring", {"ids": [1, 2]}),
        ("set_monitoring_base", {"monitoring_base": "HardWiredOnly"}),
        ("set_monitoring_level", {"severity": 0}),
        (
            "set_network_profile",
            {
                "configuration_slot": 1,
                "ocpp_csms_url": "wss://csms-b.example.com/ocpp",
                "security_profile": 3,
                "ocpp_interface": "Wireless1",
                "apn": {"apn": "m2m.example", "sim_pin": 1234, "apn_authentication": "AUTO"},
            },
        ),
        (
            "customer_information",
            {"report": True, "clear": True, "id_token": "RFID-1", "id_token_type": "ISO14443"},
        ),
        (
            "customer_information",
            {
                "clear": True,
                "customer_certificate": {
                    "hash_algorithm": "SHA256",
                    "issuer_name_hash": "a1b2",
                    "issuer_key_hash": "c3d4",
                    "serial_number": "0F",
                },
            },
        ),
        (
            "get_monitoring_report",
            {
                "monitoring_criteria": ["ThresholdMonitoring", "DeltaMonitoring"],
                "component_variables": [{"component": "EVSE", "evse_id": 1}],
            },
        ),
        (
            "get_report",
            {
                "component_criteria": ["Problem"],
                "component_variables": [{"component": "EVSE", "evse_id": 1, "variable": "Power"}],
            },
        ),
        ("data_transfer", {"vendor_id": "org.test", "message_id": "Ping", "data": {"n": 1}}),
        ("change_availability", {"evse_id": 1, "connector_id": 1, "type": "inoperative"}),
        ("rotate_basic_auth_password", {}),
        ("get_installed_certificate_ids", {"certificate_types": ["CSMSRootCertificate"]}),
        *CERTIFICATES,
        (
            "certificate_signed",
            {"certificate_chain": ROOT, "certificate_type": "ChargingStationCertificate"},
        ),
        *(("trigger_message", {"message": m, "evse_id": 1}) for m in TRIGGERABLE_201),
        (
            "get_variables",
            {
                "variables": [
                    {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval"},
                    {
                        "component": "OCPPCommCtrlr",
                        "variable": "MessageTimeout",
                        "instance": "Default",
                    },
                    {
                        "component": "Connector",
                        "evse_id": 1,
                        "connector_id": 1,
                        "variable": "Available",
                    },
                ]
            },
        ),
        (
            "set_variables",
            {
                "variables": [
                    {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval", "value": "90"},
                    {"component": "TxCtrlr", "variable": "EVConnectionTimeOut", "value": "60"},
                ]
            },
        ),
        (
            "update_firmware",
            {
                "location": "https://fw.example.com/hx.bin",
                "install_date": "2026-12-01T03:00:00Z",
                "signing_certificate": CERT,
                "signature": "c2lnbmF0dXJl",
                "retries": 1,
                "retry_interval": 30,
            },
        ),
    ],
}


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_strict_ocpp_rpc_charger(backend, api_client, version):
    charger_id = f"SITE-020-AC-{version.replace('.', '')}"
    await backend.register(charger_id)
    process = await asyncio.create_subprocess_exec(
        "node",
        str(INTEROP / "charger.mjs"),
        backend.ocpp_url,
        charger_id,
        "test-password-0123456789",
        version,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=INTEROP,
    )
    lines: list[dict] = []

    async def read_until(event: str, **fields: str) -> None:
        assert process.stdout is not None
        if fields and any(
            line["event"] == event and fields.items() <= line.items() for line in lines
        ):
            return  # a one-off line already read while waiting for something else
        while True:
            raw = await asyncio.wait_for(process.stdout.readline(), 20)
            if not raw:
                raise AssertionError(f"node exited early: {lines}")
            lines.append(json.loads(raw))
            if lines[-1]["event"] == event and fields.items() <= lines[-1].items():
                return

    try:
        await read_until("ready")
        calls = [line for line in lines if line["event"] == "call"]
        assert calls and all(line["ok"] for line in calls), calls
        for command, params in COMMANDS[version]:
            response = await api_client.post(
                f"/api/chargers/{charger_id}/commands/{command}", json=params
            )
            assert response.status_code == 200, (command, response.text)
            await read_until("command")
        if version == "2.0.1":  # B07/B08: the reports in two parts each, stored
            await read_until("reported", reportBase="FullInventory")
            await read_until("reported", reportBase="Custom")
            await backend.state.recorder.flush()
            r = await api_client.get(f"/api/chargers/{charger_id}/inventory")
            reports = {rep["report_base"]: rep for rep in r.json()["reports"]}
            assert len(reports["FullInventory"]["items"]) == 3
            assert len(reports["Custom"]["items"]) == 3
            await read_until("reported", reportBase="Monitors")  # N02
            await backend.state.recorder.flush()
            r = await api_client.get(f"/api/chargers/{charger_id}/monitors")
            (monitors,) = r.json()["reports"]
            assert monitors["selection"] == "Custom" and len(monitors["monitors"]) == 2
            await read_until("reported", reportBase="Customer")  # N09
            await backend.state.recorder.flush()
            r = await api_client.get(f"/api/chargers/{charger_id}/customer-information")
            assert [c["data"] for c in r.json()] == ["sessions: 3, 41.2 kWh"]
    finally:
        assert process.stdin is not None
        process.stdin.close()
        await asyncio.wait_for(process.wait(), 10)
    failures = [
        line for line in lines if line["event"] in ("strictValidationFailure", "badMessage")
    ]
    assert failures == []
    assert all(line["ok"] for line in lines if line["event"] == "call")
    # self-diagnosis sets its monitors at boot, before the charger says it is ready
    ready = next(i for i, line in enumerate(lines) if line["event"] == "ready")
    commands = [line for line in lines[ready:] if line["event"] == "command"]
    assert len(commands) == len(COMMANDS[version])
