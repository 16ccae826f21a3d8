"""Inventory (OCPP 2.0.1 B07 GetBaseReport, B08 GetReport + NotifyReport): the report's parts
(seqNo, tbc) gathered and stored as the charger's inventory, replaced per complete report of
the same base; read through the API (partners only their sites) and the CLI; real sockets and
a real database."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from app.cli.main import cli
from app.csms.inventory import MAX_ITEMS_PER_REPORT, VALUE_CHARS, ReportAssembler
from app.db.base import utcnow
from app.db.models import CommandRow
from tests.chargers import connected


def item(name: str, var: str, value: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "component": {"name": name},
        "variable": {"name": var},
        "variable_attribute": [{"type": "Actual", "value": value, "mutability": "ReadWrite"}],
    }
    data.update(extra)
    return data


INVENTORY = [
    item("OCPPCommCtrlr", "HeartbeatInterval", "300"),
    item(
        "DeviceDataCtrlr",
        "ItemsPerMessage",
        "25",
        variable={"name": "ItemsPerMessage", "instance": "GetVariables"},
    ),
    item(
        "Connector",
        "ConnectorType",
        "cCCS2",
        component={"name": "Connector", "evse": {"id": 1, "connector_id": 1}},
        variable_characteristics={"data_type": "string", "supports_monitoring": False},
    ),
    item(
        "EVSE",
        "Power",
        "150000",
        component={"name": "EVSE", "evse": {"id": 1}},
        variable_characteristics={
            "unit": "W",
            "data_type": "decimal",
            "max_limit": 150000,
            "supports_monitoring": True,
        },
    ),
    item("TokenReader", "Enabled", "true", component={"name": "TokenReader", "instance": "front"}),
]


async def _report(backend, api, charger, cid: str, command: str, params: dict) -> dict:
    r = await api.post(f"/api/chargers/{cid}/commands/{command}", json=params)
    assert r.status_code == 200, r.text
    await charger.wait_report(r.json()["request"]["requestId"])
    await backend.state.recorder.flush()
    r = await api.get(f"/api/chargers/{cid}/inventory")
    assert r.status_code == 200, r.text
    return {rep["report_base"]: rep for rep in r.json()["reports"]}


async def test_full_report_in_parts_is_the_inventory_and_replaced_per_report(backend, api_client):
    cid = "SITE-017-INV-01"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        charger.inventory = INVENTORY
        reports = await _report(
            backend, api_client, charger, cid, "get_base_report", {"report_base": "FullInventory"}
        )
        full = reports["FullInventory"]
        assert not full["truncated"]
        # three parts (2 + 2 + 1 items), every item in the order reported
        names = [(i["component"], i["variable"]) for i in full["items"]]
        assert names == [(d["component"]["name"], d["variable"]["name"]) for d in INVENTORY]
        ipm = full["items"][1]
        assert ipm["variable_instance"] == "GetVariables"
        assert ipm["attributes"][0] == {
            "type": "Actual",
            "value": "25",
            "mutability": "ReadWrite",
            "persistent": False,
            "constant": False,
        }
        connector = full["items"][2]
        assert (connector["evse_id"], connector["connector_id"]) == (1, 1)
        power = full["items"][3]["characteristics"]
        assert power["unit"] == "W" and power["max_limit"] == 150000
        assert power["supports_monitoring"] is True
        assert full["items"][4]["component_instance"] == "front"

        # the next complete full report replaces it; a summary is stored beside it
        charger.inventory = INVENTORY[:1]
        reports = await _report(
            backend, api_client, charger, cid, "get_base_report", {"report_base": "FullInventory"}
        )
        assert len(reports["FullInventory"]["items"]) == 1
        charger.inventory = INVENTORY[3:4]
        reports = await _report(
            backend,
            api_client,
            charger,
            cid,
            "get_base_report",
            {"report_base": "SummaryInventory"},
        )
        assert len(reports["FullInventory"]["items"]) == 1
        assert [i["variable"] for i in reports["SummaryInventory"]["items"]] == ["Power"]

        # B08 GetReport: a selection, sent as asked, stored as the "Custom" report
        charger.inventory = INVENTORY
        reports = await _report(
            backend,
            api_client,
            charger,
            cid,
            "get_report",
            {
                "component_criteria": ["Problem", "Available"],
                "component_variables": [
                    {"component": "EVSE", "evse_id": 1, "variable": "Power"},
                    {"component": "OCPPCommCtrlr"},
                ],
            },
        )
        sent = [p for a, p in charger.received if a == "GetReport"][-1]
        assert sent["component_criteria"] == ["Problem", "Available"]
        assert sent["component_variable"] == [
            {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"}},
            {"component": {"name": "OCPPCommCtrlr"}},
        ]
        assert len(reports["Custom"]["items"]) == 1
        r = await api_client.get(
            f"/api/chargers/{cid}/inventory", params={"report_base": "FullInventory"}
        )
        assert [rep["report_base"] for rep in r.json()["reports"]] == ["FullInventory"]
    await backend.state.recorder.flush()
    rows = backend.state.session_factory().scalars(
        select(CommandRow.command).where(CommandRow.charger_id == cid)
    )
    commands = list(rows)
    # audited: ours, and the SummaryInventory self-diagnosis asks for at boot
    assert commands.count("get_base_report") == 3 + 1 and commands.count("get_report") == 1


async def test_partners_read_only_their_sites_inventory(backend, api_client):
    cid = "SITE-017-INV-02"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        charger.inventory = INVENTORY[:2]
        await _report(
            backend, api_client, charger, cid, "get_base_report", {"report_base": "FullInventory"}
        )
    ours = backend.token("partner", name="pia", sites=("SITE-017",))
    theirs = backend.token("partner", name="pete")  # no site assigned
    async with backend.client(token=ours) as api:
        r = await api.get(f"/api/chargers/{cid}/inventory")
        assert r.status_code == 200 and len(r.json()["reports"][0]["items"]) == 2
    async with backend.client(token=theirs) as api:
        r = await api.get(f"/api/chargers/{cid}/inventory")
        assert r.status_code == 404
    r = await api_client.get(f"/api/chargers/{cid}/inventory", params={"report_base": "Nope"})
    assert r.status_code == 422


def test_parts_are_bounded_and_a_gap_stores_nothing():
    assembler = ReportAssembler()
    assembler.requested(7, "FullInventory")
    now = utcnow()
    long_value = item("A", "B", "x" * (VALUE_CHARS + 500))
    many = [long_value] * (MAX_ITEMS_PER_REPORT // 2 + 1)
    assert assembler.part(7, 0, True, now, many) is None
    done = assembler.part(7, 1, False, now, many)
    assert done is not None and done.report_base == "FullInventory"
    assert done.truncated and len(done.items) == MAX_ITEMS_PER_REPORT
    assert len(done.items[0]["attributes"][0]["value"]) == VALUE_CHARS
    # seqNo 0, then 2: a part is missing, the report is not stored (it would look complete)
    assert assembler.part(8, 0, True, now, [item("A", "B", "1")]) is None
    assert assembler.part(8, 2, False, now, [item("A", "B", "1")]) is None
    # a requestId never sent on this connection is kept as "Unrequested"
    done = assembler.part(9, 0, False, now, [item("A", "B", "1")])
    assert done is not None and done.report_base == "Unrequested"


async def test_cli_prints_the_inventory(backend, api_client):
    cid = "SITE-017-INV-03"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        charger.inventory = INVENTORY
        await _report(
            backend, api_client, charger, cid, "get_base_report", {"report_base": "FullInventory"}
        )
    runner = CliRunner()
    args = ["inventory", cid, "--api-url", backend.api_url, "--token", backend.admin_token]
    only = ["--component", "evse", "--report-base", "FullInventory"]
    result = await asyncio.to_thread(runner.invoke, cli, [*args, *only])
    assert result.exit_code == 0, result.output
    assert "FullInventory request" in result.output and "1 item(s)" in result.output
    assert "EVSE@1.Power: Actual=150000 W" in result.output
    result = await asyncio.to_thread(
        runner.invoke, cli, [*args, "--json", "--report-base", "FullInventory"]
    )
    assert len(json.loads(result.output)["reports"][0]["items"]) == len(INVENTORY)
    partner = backend.token("partner", name="pol")  # no site: not found, said so
    args[-1] = partner
    result = await asyncio.to_thread(runner.invoke, cli, args)
    assert result.exit_code == 1 and "404" in result.output
