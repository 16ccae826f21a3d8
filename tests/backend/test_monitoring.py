"""Monitoring (OCPP 2.0.1 block N): SetVariableMonitoring (N04), ClearVariableMonitoring (N06),
SetMonitoringBase (N03), SetMonitoringLevel (N05) and GetMonitoringReport (N02) as catalogue
commands through the gateway (audited, bounded per the 2.0.1 schemas), and the
NotifyMonitoringReport parts stored as the charger's monitors; real sockets, real database."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from typer.testing import CliRunner

from app.cli.main import cli
from app.db.models import CommandRow
from tests.chargers import connected


def monitored(component: str, variable: str, *monitors: dict, evse: int | None = None) -> dict:
    comp: dict = {"name": component}
    if evse is not None:
        comp["evse"] = {"id": evse}
    return {
        "component": comp,
        "variable": {"name": variable},
        "variable_monitoring": list(monitors),
    }


MONITORS = [
    monitored(
        "EVSE",
        "Power",
        {"id": 11, "transaction": False, "value": 160000, "type": "UpperThreshold", "severity": 4},
        {"id": 12, "transaction": True, "value": 500, "type": "Delta", "severity": 7},
        evse=1,
    ),
    monitored(
        "ChargingStation",
        "Temperature",
        {"id": 13, "transaction": False, "value": 70, "type": "UpperThreshold", "severity": 2},
    ),
    monitored(
        "OCPPCommCtrlr",
        "HeartbeatInterval",
        {"id": 14, "transaction": False, "value": 900, "type": "Periodic", "severity": 8},
    ),
]


async def test_monitoring_commands_and_the_monitoring_report(backend, api_client):
    cid = "SITE-017-MON-01"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        url = f"/api/chargers/{cid}/commands"
        r = await api_client.post(
            f"{url}/set_variable_monitoring",
            json={
                "monitors": [
                    {
                        "component": "EVSE",
                        "evse_id": 1,
                        "connector_id": 1,
                        "variable": "Power",
                        "type": "UpperThreshold",
                        "value": 160000,
                        "severity": 4,
                        "transaction": True,
                    },
                    {
                        "id": 13,
                        "component": "TempSensor",
                        "component_instance": "cabinet",
                        "variable": "Temperature",
                        "variable_instance": "max",
                        "type": "Delta",
                        "value": 5,
                        "severity": 2,
                    },
                ]
            },
        )
        assert r.status_code == 200, r.text
        sent = [p["data"] for a, p in charger.received if a == "SetVariableMonitoring"][-1]
        assert sent == [
            {
                "value": 160000,
                "type": "UpperThreshold",
                "severity": 4,
                "component": {"name": "EVSE", "evse": {"id": 1, "connector_id": 1}},
                "variable": {"name": "Power"},
                "transaction": True,
            },
            {
                "value": 5,
                "type": "Delta",
                "severity": 2,
                "component": {"name": "TempSensor", "instance": "cabinet"},
                "variable": {"name": "Temperature", "instance": "max"},
                "id": 13,
            },
        ]
        r = await api_client.post(f"{url}/clear_variable_monitoring", json={"ids": [11, 0]})
        assert r.status_code == 200, r.text
        assert r.json()["response"]["clearMonitoringResult"][1]["status"] == "Rejected"
        assert charger.received[-1] == ("ClearVariableMonitoring", {"id": [11, 0]})
        r = await api_client.post(
            f"{url}/set_monitoring_base", json={"monitoring_base": "FactoryDefault"}
        )
        assert r.status_code == 200 and r.json()["status"] == "Accepted"
        assert charger.received[-1] == ("SetMonitoringBase", {"monitoring_base": "FactoryDefault"})
        r = await api_client.post(f"{url}/set_monitoring_level", json={"severity": 5})
        assert r.status_code == 200 and r.json()["status"] == "Accepted"
        assert charger.received[-1] == ("SetMonitoringLevel", {"severity": 5})

        # N02: the report in parts (2 + 1 monitoring data), one row per monitor
        charger.monitors = MONITORS
        r = await api_client.post(f"{url}/get_monitoring_report", json={})
        assert r.status_code == 200, r.text
        await charger.wait_report(r.json()["request"]["requestId"])
        await backend.state.recorder.flush()
        r = await api_client.get(f"/api/chargers/{cid}/monitors")
        assert r.status_code == 200, r.text
        (report,) = r.json()["reports"]
        assert report["selection"] == "All" and not report["truncated"]
        assert [m["monitor_id"] for m in report["monitors"]] == [11, 12, 13, 14]
        delta = report["monitors"][1]
        assert (delta["evse_id"], delta["type"], delta["value"], delta["transaction"]) == (
            1,
            "Delta",
            500,
            True,
        )
        # a filtered report is stored beside it; the next full report replaces the full one
        charger.monitors = MONITORS[1:2]
        r = await api_client.post(
            f"{url}/get_monitoring_report",
            json={
                "monitoring_criteria": ["ThresholdMonitoring"],
                "component_variables": [{"component": "ChargingStation"}],
            },
        )
        assert r.status_code == 200, r.text
        sent = [p for a, p in charger.received if a == "GetMonitoringReport"][-1]
        assert sent["monitoring_criteria"] == ["ThresholdMonitoring"]
        assert sent["component_variable"] == [{"component": {"name": "ChargingStation"}}]
        await charger.wait_report(r.json()["request"]["requestId"])
        charger.monitors = MONITORS[2:]
        r = await api_client.post(f"{url}/get_monitoring_report", json={})
        await charger.wait_report(r.json()["request"]["requestId"])
        await backend.state.recorder.flush()
        r = await api_client.get(f"/api/chargers/{cid}/monitors")
        reports = {rep["selection"]: rep for rep in r.json()["reports"]}
        assert [m["monitor_id"] for m in reports["All"]["monitors"]] == [14]
        assert [m["monitor_id"] for m in reports["Custom"]["monitors"]] == [13]
    runner = CliRunner()
    args = ["monitors", cid, "--api-url", backend.api_url, "--token", backend.admin_token]
    result = await asyncio.to_thread(runner.invoke, cli, args)
    assert result.exit_code == 0, result.output
    assert "#14 OCPPCommCtrlr.HeartbeatInterval Periodic 900.0 severity 8" in result.output
    assert "#13 ChargingStation.Temperature UpperThreshold 70.0 severity 2" in result.output
    await backend.state.recorder.flush()
    commands = list(
        backend.state.session_factory().scalars(
            select(CommandRow.command).where(CommandRow.charger_id == cid)
        )
    )
    for name in (
        "clear_variable_monitoring",
        "set_monitoring_base",
        "set_monitoring_level",
    ):
        assert commands.count(name) == 1, name
    assert commands.count("get_monitoring_report") == 3


async def test_bad_monitoring_parameters_are_named(backend, api_client):
    cid = "SITE-017-MON-02"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        url = f"/api/chargers/{cid}/commands"
        cases = [
            ("set_monitoring_level", {"severity": 10}, "severity"),
            ("set_monitoring_base", {"monitoring_base": "Some"}, "monitoring_base"),
            ("clear_variable_monitoring", {"ids": []}, "ids"),
            ("clear_variable_monitoring", {"ids": [3, 3]}, "each monitor id once"),
            ("get_monitoring_report", {"monitoring_criteria": ["Nope"]}, "monitoring_criteria"),
            (
                "set_variable_monitoring",
                {
                    "monitors": [
                        {
                            "component": "EVSE",
                            "variable": "Power",
                            "connector_id": 1,
                            "type": "Delta",
                            "value": 1,
                            "severity": 1,
                        }
                    ]
                },
                "connector_id needs evse_id",
            ),
            (
                "set_variable_monitoring",
                {
                    "monitors": [
                        {
                            "component": "E" * 51,
                            "variable": "Power",
                            "type": "Delta",
                            "value": 1,
                            "severity": 1,
                        }
                    ]
                },
                "monitors.0.component",
            ),
        ]
        for command, params, words in cases:
            r = await api_client.post(f"{url}/{command}", json=params)
            assert r.status_code == 422, (command, r.text)
            assert words in r.text, (command, r.text)
        # nothing reached the charger (self-diagnosis sets its own monitors at boot)
        ours = {"SetMonitoringLevel", "SetMonitoringBase", "ClearVariableMonitoring"}
        assert not [a for a, _ in charger.received if a in ours | {"GetMonitoringReport"}]
        assert not [
            p
            for a, p in charger.received
            if a == "SetVariableMonitoring"
            and any(d["variable"]["name"] == "Power" for d in p["data"])
        ]


async def test_monitoring_is_201_only(backend, api_client):
    cid = "SITE-017-MON-03"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "1.6") as charger:
        await charger.boot()
        r = await api_client.post(
            f"/api/chargers/{cid}/commands/set_monitoring_level", json={"severity": 3}
        )
        assert r.status_code in (400, 422) and "2.0.1 only" in r.text, r.text


def test_monitoring_report_parts_are_bounded():
    from app.csms.inventory import ReportAssembler
    from app.csms.monitoring import MONITORS_PER_VARIABLE, read_monitors
    from app.db.base import utcnow

    many = [
        {"id": i, "value": 1, "type": "Delta", "severity": 5}
        for i in range(MONITORS_PER_VARIABLE + 10)
    ]
    rows = read_monitors(monitored("EVSE", "Power", *many, {"value": 2}))
    assert len(rows) == MONITORS_PER_VARIABLE  # and the one without an id is never read
    assert read_monitors({"component": {"name": "X"}, "variable": {}}) == []
    assembler = ReportAssembler(read_monitors, max_items=3)
    assembler.requested(5, "All")
    done = assembler.part(5, 0, False, utcnow(), [monitored("EVSE", "Power", *many[:5])])
    assert done is not None and done.truncated and len(done.items) == 3
