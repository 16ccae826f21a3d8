"""The charger drill-down API: the OCPP message log filtered (direction, action, time, text),
bounded where the values enter and scope-checked; transactions; the last configuration read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ocpp.v16 import call as call16

from tests.chargers import connected, now


async def _charger_with_traffic(backend) -> str:  # type: ignore[no-untyped-def]
    charger_id = "SITE-004-AC-01"
    await backend.register(charger_id)
    await backend.register_id_token("TAG-DRILL")
    async with connected(backend.ocpp_url, charger_id) as charger:
        await charger.boot()
        await charger.status(1, "Available")
        started = await charger.call(
            call16.StartTransaction(
                connector_id=1, id_tag="TAG-DRILL", meter_start=1000, timestamp=now()
            )
        )
        await charger.call(
            call16.StopTransaction(
                transaction_id=started.transaction_id,
                meter_stop=4000,
                timestamp=now(),
                reason="Local",
            )
        )
    await backend.state.recorder.flush()
    return charger_id


async def test_event_log_filters_by_direction_action_time_and_text(backend, api_client):
    charger_id = await _charger_with_traffic(backend)
    url = f"/api/chargers/{charger_id}/events"
    every = (await api_client.get(url)).json()
    assert len(every) == 8  # four CALLs in, four CALLRESULTs out
    incoming = (await api_client.get(url, params={"direction": "in"})).json()
    assert {e["direction"] for e in incoming} == {"in"} and len(incoming) == 4
    stops = (await api_client.get(url, params={"action": "StopTransaction"})).json()
    assert [e["action"] for e in stops] == ["StopTransaction"]
    text = (await api_client.get(url, params={"q": "TAG-DRILL"})).json()
    assert [e["action"] for e in text] == ["StartTransaction"]
    any_case = (await api_client.get(url, params={"q": "tag-drill"})).json()
    assert [e["id"] for e in any_case] == [e["id"] for e in text]
    assert (await api_client.get(url, params={"q": "100%_"})).json() == []  # no wildcards
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (await api_client.get(url, params={"since": later})).json() == []
    earlier = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    window = (await api_client.get(url, params={"since": earlier, "until": later})).json()
    assert len(window) == 8
    page = (await api_client.get(url, params={"limit": 3})).json()
    rest = (await api_client.get(url, params={"before_id": page[-1]["id"]})).json()
    assert [e["id"] for e in page + rest] == [e["id"] for e in every]


async def test_event_log_refuses_unbounded_or_wrong_filters(backend, api_client):
    charger_id = await _charger_with_traffic(backend)
    url = f"/api/chargers/{charger_id}/events"
    r = await api_client.get(url, params={"direction": "sideways"})
    assert r.status_code == 422 and "direction" in r.text
    r = await api_client.get(url, params={"q": "x" * 101})
    assert r.status_code == 422 and "q" in r.text
    now_ = datetime.now(UTC)
    r = await api_client.get(url, params={"since": now_.isoformat(), "until": now_.isoformat()})
    assert r.status_code == 422 and "since" in r.text and "until" in r.text


async def test_event_log_and_transactions_are_scope_checked(backend, api_client):
    charger_id = await _charger_with_traffic(backend)
    await backend.register("SITE-005-AC-01")  # makes SITE-005, the outsider's only site
    outsider = backend.token("partner", "outsider", sites=("SITE-005",))
    async with backend.client(outsider) as partner:
        r = await partner.get(f"/api/chargers/{charger_id}/events", params={"q": "TAG"})
        assert r.status_code in (403, 404), r.text
        r = await partner.get(f"/api/chargers/{charger_id}/transactions")
        assert r.status_code == 403, r.text


async def test_transactions_newest_first_with_meter_and_reason(backend, api_client):
    charger_id = await _charger_with_traffic(backend)
    rows = (await api_client.get(f"/api/chargers/{charger_id}/transactions")).json()
    assert len(rows) == 1
    tx = rows[0]
    assert tx["id_tag"] == "TAG-DRILL" and tx["connector_id"] == 1
    assert tx["meter_start_wh"] == 1000 and tx["meter_stop_wh"] == 4000
    assert tx["stop_reason"] == "Local" and tx["stopped_at"] is not None


async def test_commands_filter_by_command_gives_the_last_configuration_read(backend, api_client):
    charger_id = "SITE-004-AC-02"
    await backend.register(charger_id)
    async with connected(backend.ocpp_url, charger_id) as charger:
        await charger.boot()
        base = f"/api/chargers/{charger_id}/commands"
        r = await api_client.post(f"{base}/get_configuration", json={})
        assert r.status_code == 200, r.text
        r = await api_client.post(f"{base}/clear_cache", json={})
        assert r.status_code == 200, r.text
    await backend.state.recorder.flush()
    url = f"/api/chargers/{charger_id}/commands"
    assert len((await api_client.get(url)).json()) == 2
    rows = (await api_client.get(url, params={"command": ["get_configuration"]})).json()
    assert [row["command"] for row in rows] == ["get_configuration"]
    assert rows[0]["response"]["configurationKey"][0]["key"] == "HeartbeatInterval"


async def test_transactions_page_after_the_last_one_shown(backend, api_client):
    """The next page starts after the last session on screen (before_id): a session recorded
    between two pages does not shift the second, as an offset would."""
    charger_id = "SITE-004-AC-03"
    await backend.register(charger_id)
    await backend.register_id_token("TAG-PAGE")
    url = f"/api/chargers/{charger_id}/transactions"
    async with connected(backend.ocpp_url, charger_id) as charger:
        await charger.boot()

        async def session(meter: int) -> None:
            started = await charger.call(
                call16.StartTransaction(
                    connector_id=1, id_tag="TAG-PAGE", meter_start=meter, timestamp=now()
                )
            )
            await charger.call(
                call16.StopTransaction(
                    transaction_id=started.transaction_id,
                    meter_stop=meter + 10,
                    timestamp=now(),
                    reason="Local",
                )
            )
            await backend.state.recorder.flush()

        for meter in (1000, 2000, 3000):
            await session(meter)
        first = (await api_client.get(url, params={"limit": 2})).json()
        assert [r["meter_start_wh"] for r in first] == [3000, 2000]
        await session(4000)  # a new session while page 1 is on screen
        second = await api_client.get(url, params={"limit": 2, "before_id": first[-1]["id"]})
        assert [r["meter_start_wh"] for r in second.json()] == [1000]
    await backend.register("SITE-004-AC-04")
    other = await api_client.get(
        "/api/chargers/SITE-004-AC-04/transactions", params={"before_id": first[0]["id"]}
    )
    assert other.status_code == 422 and "before_id" in other.text
