"""The command gateway on a real backend with real sockets: scope, overrides and the audit."""

from __future__ import annotations

from typing import Any

from ocpp.v16 import call as call16
from sqlalchemy import select

from app.db.models import CommandRow
from tests.chargers import connected, now

MINE = "SITE-041-AC-01"
THEIRS = "SITE-042-AC-01"


async def audit_of(backend: Any, charger_id: str) -> list[CommandRow]:
    await backend.state.recorder.flush()
    with backend.state.session_factory() as db:
        return list(
            db.scalars(
                select(CommandRow)
                .where(CommandRow.charger_id == charger_id)
                .order_by(CommandRow.id)
            )
        )


async def test_a_partners_forced_reset_of_another_sites_charger_is_refused_and_audited(backend):
    await backend.register(MINE)
    await backend.register(THEIRS)
    token = backend.token("partner", name="pat", sites=("SITE-041",))
    async with connected(backend.ocpp_url, THEIRS) as charger, backend.client(token) as pat:
        await charger.boot()
        await charger.call(
            call16.StartTransaction(connector_id=1, id_tag="DRIVER", meter_start=0, timestamp=now())
        )
        r = await pat.post(
            f"/api/chargers/{THEIRS}/commands/reset",
            json={"type": "hard", "force": True, "reason": "x"},
        )
        assert r.status_code == 403 and r.json()["detail"]["kind"] == "OutOfScope"
        r = await pat.post(
            f"/api/chargers/{THEIRS}/commands/change_configuration",
            json={"key": "AuthorizationKey", "value": "0123456789abcdef"},
        )
        assert r.status_code == 403
        r = await pat.post(
            f"/api/chargers/{THEIRS}/commands/change_availability",
            json={"connector_id": 0, "type": "inoperative"},
        )
        assert r.status_code == 403
        assert charger.received == []  # nothing reached the charger
        # nor may the partner read about it
        for path in ("", "/events", "/commands", "/faults", "/diagnoses"):
            assert (await pat.get(f"/api/chargers/{THEIRS}{path}")).status_code == 404, path
        listed = [c["charger_id"] for c in (await pat.get("/api/chargers")).json()]
        assert listed == [MINE]
    rows = await audit_of(backend, THEIRS)
    assert [(r.outcome, r.requested_by, r.forced, r.origin) for r in rows] == [
        ("OutOfScope", "pat", True, "api"),
        ("OutOfScope", "pat", False, "api"),
        ("OutOfScope", "pat", False, "api"),
    ]
    assert "not in your scope" in rows[0].response["error"]


async def test_a_partner_acts_on_their_own_sites_charger_within_the_guards(backend):
    await backend.register(MINE)
    token = backend.token("partner", name="pat", sites=("SITE-041",))
    async with connected(backend.ocpp_url, MINE) as charger, backend.client(token) as pat:
        await charger.boot()
        r = await pat.post(f"/api/chargers/{MINE}/commands/reset", json={"type": "soft"})
        assert r.status_code == 200, r.text
        r = await pat.post(
            f"/api/chargers/{MINE}/commands/change_configuration",
            json={"key": "AuthorizationKey", "value": "0123456789abcdef"},
        )
        assert r.status_code == 403  # the charger's Basic-auth secret is for admins
        assert (await pat.get(f"/api/chargers/{MINE}/commands")).status_code == 200
    async with backend.client() as admin, connected(backend.ocpp_url, MINE) as charger:
        await charger.boot()
        r = await admin.post(
            f"/api/chargers/{MINE}/commands/change_configuration",
            json={"key": "AuthorizationKey", "value": "0123456789abcdef"},
        )
        assert r.status_code == 200, r.text


async def test_a_reset_with_a_ground_fault_open_is_refused_for_everyone_but_an_override(backend):
    await backend.register(MINE)
    partner = backend.token("partner", name="pat", sites=("SITE-041",))
    consultant = backend.token("consultant", name="casey")
    async with connected(backend.ocpp_url, MINE) as charger:
        await charger.boot()
        await charger.status(1, "Faulted", "GroundFailure")
        fault = backend.state.live.get(MINE).open_faults[0]
        assert fault.classification.safety_class == "never_reset"
        for token in (partner, consultant, backend.admin_token):
            async with backend.client(token) as api:
                for command, body in [
                    ("reset", {"type": "soft"}),
                    ("unlock_connector", {"connector_id": 1}),
                    ("change_availability", {"connector_id": 0, "type": "operative"}),
                ]:
                    r = await api.post(f"/api/chargers/{MINE}/commands/{command}", json=body)
                    assert r.status_code == 409, (command, r.text)
                    assert r.json()["detail"]["kind"] == "SafetyInterlock"
        assert charger.received == []
        async with backend.client(consultant) as casey:
            r = await casey.post(
                f"/api/chargers/{MINE}/commands/reset",
                json={"type": "soft", "force": True, "reason": "RCD re-armed and tested on site"},
            )
            assert r.status_code == 200, r.text
            assert r.json()["overrides"] == ["safety_interlock"]
        assert charger.received == [("Reset", {"type": "Soft"})]
    rows = await audit_of(backend, MINE)
    assert [r.outcome for r in rows] == ["SafetyInterlock"] * 9 + ["answered"]
    assert rows[-1].overrides == "safety_interlock" and rows[-1].requested_by == "casey"
    assert rows[-1].reason == "RCD re-armed and tested on site"


async def test_an_open_session_brings_a_charger_into_a_partners_scope(backend):
    await backend.register(MINE)
    await backend.register(THEIRS)
    pat = backend.token("partner", name="pat", sites=("SITE-041",))
    consultant = backend.token("consultant", name="casey")
    async with connected(backend.ocpp_url, THEIRS) as charger:
        await charger.boot()
        async with backend.client(pat) as api:
            r = await api.post("/api/sessions", json={"charger_id": THEIRS, "symptom": "x"})
            assert r.status_code == 403  # not their site: they may not open one
            missing = await api.post("/api/sessions", json={"charger_id": "SITE-041-XX-99"})
            assert missing.status_code == 404
        async with backend.client(consultant) as casey:  # a consultant opens one for them
            r = await casey.post(
                "/api/sessions", json={"charger_id": THEIRS, "symptom": "x", "partner": "pat"}
            )
            assert r.status_code == 201, r.text
        async with backend.client(pat) as api:
            r = await api.post(
                f"/api/chargers/{THEIRS}/commands/trigger_message",
                json={"message": "StatusNotification"},
            )
            assert r.status_code == 200, r.text
