"""GetVariables / SetVariables (OCPP 2.0.1 B05/B06) with several variables per request, the
component and variable ``instance``, EVSE/connector addressing, split to the charger's own
DeviceDataCtrlr.ItemsPerMessage; every part passes the gateway and is audited; real sockets."""

from __future__ import annotations

from sqlalchemy import select

from app.db.models import CommandRow
from tests.chargers import connected


def _vars(n: int) -> list[dict]:
    return [{"component": "EVSE", "evse_id": i, "variable": "Power"} for i in range(1, n + 1)]


async def test_several_variables_with_instances_in_one_request(backend, api_client):
    cid = "SITE-017-VR-01"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        r = await api_client.post(
            f"/api/chargers/{cid}/commands/get_variables",
            json={
                "variables": [
                    {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval"},
                    {
                        "component": "Connector",
                        "evse_id": 1,
                        "connector_id": 2,
                        "variable": "ConnectorType",
                    },
                    {
                        "component": "OCPPCommCtrlr",
                        "variable": "MessageTimeout",
                        "instance": "Default",
                    },
                    {
                        "component": "TokenReader",
                        "component_instance": "front",
                        "variable": "Enabled",
                        "attribute_type": "Target",
                    },
                ]
            },
        )
        assert r.status_code == 200, r.text
        data = [p["data"] for a, p in charger.received if a == "GetVariables"][-1]
        assert data == [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
            {
                "component": {"name": "Connector", "evse": {"id": 1, "connector_id": 2}},
                "variable": {"name": "ConnectorType"},
            },
            {
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "MessageTimeout", "instance": "Default"},
            },
            {
                "component": {"name": "TokenReader", "instance": "front"},
                "variable": {"name": "Enabled"},
                "attribute_type": "Target",
            },
        ]
        results = r.json()["response"]["getVariableResult"]
        assert len(results) == 4
        assert results[2]["variable"] == {"name": "MessageTimeout", "instance": "Default"}


async def test_split_to_the_chargers_items_per_message(backend, api_client):
    cid = "SITE-017-VR-02"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        charger.items_per_message = {"GetVariables": 3, "SetVariables": 2}
        await charger.boot()
        r = await api_client.post(
            f"/api/chargers/{cid}/commands/get_variables", json={"variables": _vars(7)}
        )
        assert r.status_code == 200, r.text
        gets = [p["data"] for a, p in charger.received if a == "GetVariables"]
        # the limits asked once (one item each), then 3 + 3 + 1
        assert [len(g) for g in gets] == [1, 1, 3, 3, 1]
        assert gets[0][0]["variable"] == {"name": "ItemsPerMessage", "instance": "GetVariables"}
        assert gets[1][0]["variable"] == {"name": "BytesPerMessage", "instance": "GetVariables"}
        results = r.json()["response"]["getVariableResult"]
        assert [x["component"]["evse"]["id"] for x in results] == list(range(1, 8))
        sets = [{**v, "value": "11000"} for v in _vars(5)]
        r = await api_client.post(
            f"/api/chargers/{cid}/commands/set_variables", json={"variables": sets}
        )
        assert r.status_code == 200, r.text
        assert len(r.json()["response"]["setVariableResult"]) == 5
        set_sizes = [len(p["data"]) for a, p in charger.received if a == "SetVariables"]
        assert set_sizes == [2, 2, 1]
        # asked once per connection: a second call goes straight out
        before = len(charger.received)
        r = await api_client.post(
            f"/api/chargers/{cid}/commands/get_variables", json={"variables": _vars(2)}
        )
        assert r.status_code == 200
        assert len(charger.received) == before + 1
    await backend.state.recorder.flush()
    rows = backend.state.session_factory().scalars(
        select(CommandRow).where(CommandRow.charger_id == cid)
    )
    commands = [r.command for r in rows]
    # the GetVariables limits, 3 parts, the SetVariables limits, the last call
    assert commands.count("get_variables") == 2 + 3 + 2 + 1
    assert commands.count("set_variables") == 3  # every part audited


async def test_security_variables_are_for_admins_and_bad_refs_are_named(backend, api_client):
    cid = "SITE-017-VR-03"
    await backend.register(cid)
    consultant = backend.token("consultant", name="casey")
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        url = f"/api/chargers/{cid}/commands/set_variables"
        body = {
            "variables": [
                {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval", "value": "90"},
                {"component": "SecurityCtrlr", "variable": "BasicAuthPassword", "value": "x" * 20},
            ]
        }
        async with backend.client(consultant) as api:
            r = await api.post(url, json=body)
            assert r.status_code == 403, r.text
            r = await api.post(url, json={"variables": body["variables"][:1]})
            assert r.status_code == 200, r.text
        for bad, where in (
            ({"variables": []}, "variables"),
            ({"variables": [{"component": "X", "variable": "Y"}]}, "value"),
            (
                {
                    "variables": [
                        {"component": "X", "variable": "Y", "connector_id": 1, "value": ""}
                    ]
                },
                "evse_id",
            ),
            ({"variables": [{"component": "X" * 51, "variable": "Y", "value": ""}]}, "component"),
        ):
            r = await api_client.post(url, json=bad)
            assert r.status_code == 422 and where in r.text, r.text
    await backend.register("SITE-017-VR-04")
    async with connected(backend.ocpp_url, "SITE-017-VR-04") as charger16:
        await charger16.boot()
        r = await api_client.post(
            "/api/chargers/SITE-017-VR-04/commands/get_variables",
            json={"variables": [{"component": "A", "variable": "B"}]},
        )
        assert r.status_code == 422 and "get_configuration" in r.text
        assert charger16.received == []


async def test_split_to_the_chargers_bytes_per_message(backend, api_client):
    """DeviceDataCtrlr.BytesPerMessage: every request stays within the charger's bytes (the
    test charger answers a larger one with a FormatViolation, as stations do)."""
    cid = "SITE-017-VR-05"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        charger.bytes_per_message = {"GetVariables": 65536, "SetVariables": 400}
        await charger.boot()
        sets = [
            {
                "component": "DisplayMessageCtrlr",
                "evse_id": i,
                "variable": "Text",
                "value": "x" * 90,
            }
            for i in range(1, 8)
        ]
        sizes: list[int] = []
        original = charger.on_set_variables

        def measured(set_variable_data, **kw):  # type: ignore[no-untyped-def]
            sizes.append(charger.last_frame_bytes)
            return original(set_variable_data=set_variable_data, **kw)

        charger.route_map["SetVariables"]["_on_action"] = measured
        r = await api_client.post(
            f"/api/chargers/{cid}/commands/set_variables", json={"variables": sets}
        )
        assert r.status_code == 200, r.text
        results = r.json()["response"]["setVariableResult"]
        assert [x["component"]["evse"]["id"] for x in results] == list(range(1, 8))
        assert len(sizes) > 1 and max(sizes) <= 400, sizes
        parts = [len(p["data"]) for a, p in charger.received if a == "SetVariables"]
        assert sum(parts) == 7 and max(parts) <= 50  # bytes, not items, split it

        # one variable that cannot fit alone is refused by name, nothing is sent
        before = len(charger.received)
        sets[2]["value"] = "y" * 600
        r = await api_client.post(
            f"/api/chargers/{cid}/commands/set_variables", json={"variables": sets}
        )
        assert r.status_code == 422, r.text
        assert "variables.2" in r.text and "BytesPerMessage (400)" in r.text
        assert len(charger.received) == before


async def test_limits_read_from_the_stored_inventory(backend, api_client):
    """Limits the charger's full inventory lists are not asked again."""
    cid = "SITE-017-VR-06"
    await backend.register(cid)

    def limit(variable: str, instance: str, value: int) -> dict:
        return {
            "component": {"name": "DeviceDataCtrlr"},
            "variable": {"name": variable, "instance": instance},
            "variable_attribute": [{"type": "Actual", "value": str(value)}],
        }

    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        charger.items_per_message = {"GetVariables": 3, "SetVariables": 3}
        await charger.boot()
        charger.inventory = [
            limit("ItemsPerMessage", "GetVariables", 3),
            limit("BytesPerMessage", "GetVariables", 8000),
        ]
        r = await api_client.post(
            f"/api/chargers/{cid}/commands/get_base_report", json={"report_base": "FullInventory"}
        )
        assert r.status_code == 200, r.text
        await charger.wait_report(r.json()["request"]["requestId"])
        await backend.state.recorder.flush()
        r = await api_client.post(
            f"/api/chargers/{cid}/commands/get_variables", json={"variables": _vars(7)}
        )
        assert r.status_code == 200, r.text
        gets = [p["data"] for a, p in charger.received if a == "GetVariables"]
        assert [len(g) for g in gets] == [3, 3, 1]  # nothing asked: the inventory said
