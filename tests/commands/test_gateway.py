"""The command gateway on a real backend with real sockets: scope, overrides and the audit."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ocpp.v16 import call as call16
from sqlalchemy import select

from app.db.models import CommandRow
from tests.chargers import connected, now
from tests.conftest import make_settings, start_backend

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


async def test_a_peripheral_restart_sends_the_catalogues_key_for_the_model_and_protocol(backend):
    """restart_peripheral names a fault; the gateway finds the key in the fault-code catalogue
    (HX-150: HX_TerminalRestart on 1.6, HelionCtrlr.HX_TerminalRestart on 2.0.1) and refuses
    by name a charger whose model has none, sending it nothing."""
    hx16, hx201, wallbox = "SITE-041-DC-01", "SITE-041-DC-02", "SITE-041-AC-01"
    for charger_id in (hx16, hx201, wallbox):
        await backend.register(charger_id)
    token = backend.token("partner", name="pat", sites=("SITE-041",))
    body = {"fault": "payment_terminal_failure"}
    async with backend.client(token) as pat:
        async with connected(backend.ocpp_url, hx16) as charger:
            await charger.boot(vendor="Helion Power", model="HX-150")
            r = await pat.post(f"/api/chargers/{hx16}/commands/restart_peripheral", json=body)
            assert r.status_code == 200, r.text
            assert charger.received == [
                ("ChangeConfiguration", {"key": "HX_TerminalRestart", "value": "true"})
            ]
        async with connected(backend.ocpp_url, hx201, version="2.0.1") as charger:
            await charger.boot(vendor="Helion Power", model="HX-150")
            r = await pat.post(f"/api/chargers/{hx201}/commands/restart_peripheral", json=body)
            assert r.status_code == 200, r.text
            sent = [d["data"] for action, d in charger.received if action == "SetVariables"]
            assert sent == [
                [
                    {
                        "attribute_value": "true",
                        "component": {"name": "HelionCtrlr"},
                        "variable": {"name": "HX_TerminalRestart"},
                    }
                ]
            ]
        async with connected(backend.ocpp_url, wallbox) as charger:
            await charger.boot()  # Voltara WB-22: no terminal restart in its table
            r = await pat.post(f"/api/chargers/{wallbox}/commands/restart_peripheral", json=body)
            assert r.status_code == 422
            error = r.json()["detail"]["error"]
            assert wallbox in error and "Voltara WB-22" in error and "OCPP 1.6" in error
            r = await pat.post(
                f"/api/chargers/{wallbox}/commands/restart_peripheral", json={"fault": "Bad Key"}
            )
            assert r.status_code == 422 and "fault" in r.json()["detail"]["error"]
            assert charger.received == []
    rows = await audit_of(backend, wallbox)
    assert [r.outcome for r in rows] == ["BadCommand", "BadCommand"]


async def test_a_restart_key_that_is_security_configuration_is_never_sent(tmp_path):
    """The catalogue is data editors change: a "restart" whose key is the charger's
    Basic-auth password would hand partners a security change. The gateway refuses it."""
    kb = tmp_path / "kb"
    shutil.copytree(
        Path(__file__).resolve().parents[2] / "knowledge_base" / "fault_codes", kb / "fault_codes"
    )
    vendor = kb / "fault_codes" / "vendors" / "kestrel-ev.yaml"
    vendor.write_text(
        vendor.read_text().replace(
            "key201: KestrelCtrlr.PeripheralRestart\n    value: Reader",
            "key201: SecurityCtrlr.BasicAuthPassword\n    value: Reader",
        )
    )
    running = await start_backend(make_settings(tmp_path, knowledge_base_dir=kb))
    try:
        cid = "SITE-041-HPC-01"
        await running.register(cid)
        async with (
            connected(running.ocpp_url, cid, version="2.0.1") as charger,
            running.client() as admin,
        ):
            await charger.boot(vendor="Kestrel EV", model="KX-300")
            r = await admin.post(
                f"/api/chargers/{cid}/commands/restart_peripheral",
                json={"fault": "rfid_reader_failure"},
            )
            assert r.status_code == 422
            assert "SecurityCtrlr.BasicAuthPassword is security configuration" in r.text
            assert [a for a, _ in charger.received if a == "SetVariables"] == []
    finally:
        await running.backend.stop()
