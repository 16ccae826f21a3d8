"""CustomerInformation (OCPP 2.0.1 N09/N10): a catalogue command for admins only (a
customer's personal data), the customer named once; NotifyCustomerInformation parts stored as
one text per request and read by admins; real sockets, real database."""

from __future__ import annotations

from sqlalchemy import select

from app.db.models import CommandRow
from tests.chargers import connected


async def test_admin_asks_for_a_customers_data_and_it_is_stored(backend, api_client):
    cid = "SITE-017-CUS-01"
    await backend.register(cid)
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        charger.customer_data = "".join(f"session {i}: 12.5 kWh; " for i in range(60))
        assert len(charger.customer_data) > 1024  # three parts
        r = await api_client.post(
            f"/api/chargers/{cid}/commands/customer_information",
            json={"report": True, "id_token": "RFID-0042", "id_token_type": "ISO14443"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["ocpp_action"] == "CustomerInformation"
        assert charger.received[-1] == (
            "CustomerInformation",
            {
                "report": True,
                "clear": False,
                "id_token": {"id_token": "RFID-0042", "type": "ISO14443"},
            },
        )
        await charger.wait_report(r.json()["request"]["requestId"])
        r = await api_client.post(
            f"/api/chargers/{cid}/commands/customer_information",
            json={"clear": True, "customer_identifier": "customer-17"},
        )
        assert r.status_code == 200, r.text
        assert charger.received[-1][1]["clear"] is True
    await backend.state.recorder.flush()
    r = await api_client.get(f"/api/chargers/{cid}/customer-information")
    assert r.status_code == 200, r.text
    (stored,) = r.json()
    assert stored["data"] == charger.customer_data and stored["parts"] == 3
    rows = backend.state.session_factory().scalars(
        select(CommandRow.command).where(CommandRow.charger_id == cid)
    )
    assert list(rows).count("customer_information") == 2  # audited


async def test_customer_information_is_for_admins_and_names_one_customer(backend, api_client):
    cid = "SITE-017-CUS-02"
    await backend.register(cid)
    consultant = backend.token("consultant", name="casey")
    async with connected(backend.ocpp_url, cid, "2.0.1") as charger:
        await charger.boot()
        url = f"/api/chargers/{cid}/commands/customer_information"
        async with backend.client(token=consultant) as api:
            r = await api.post(url, json={"report": True, "customer_identifier": "c-1"})
            assert r.status_code == 403 and "personal data" in r.text, r.text
            r = await api.get(f"/api/chargers/{cid}/customer-information")
            assert r.status_code == 403
        for body, words in (
            ({"customer_identifier": "c-1"}, "report, clear or both"),
            ({"report": True}, "name the customer once"),
            ({"report": True, "customer_identifier": "c", "id_token": "T"}, "once"),
            ({"report": True, "customer_identifier": "c" * 65}, "customer_identifier"),
        ):
            r = await api_client.post(url, json=body)
            assert r.status_code == 422 and words in r.text, (body, r.text)
        assert not [a for a, _ in charger.received if a == "CustomerInformation"]
