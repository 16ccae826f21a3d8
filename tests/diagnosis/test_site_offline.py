"""A site that goes dark or loses its uplink is one problem, not one per charger (issue 15:
the remote-resolution bench turned a site outage into a truck roll for every charger).

Real backend, simulated chargers on real websockets: every charger of a site dropping within
minutes opens one ``site-offline`` diagnosis covering them all (no per-charger ``offline``
diagnosis, no site visit), closed when the site comes back; one charger dropping alone is
still that charger's ``offline`` diagnosis."""

from __future__ import annotations

import asyncio
from typing import Any

from app.db.models_diagnosis import DiagnosisRow
from tests.chargers import eventually
from tests.diagnosis.conftest import plan
from tests.diagnosis.test_real_faces import rows


def site_rows(backend: Any, ids: list[str]) -> list[DiagnosisRow]:
    return [r for i in ids for r in rows(backend, i)]


async def test_a_site_going_dark_is_one_diagnosis_for_the_site(make_backend, make_fleet) -> None:
    backend = await make_backend()
    plans = [plan("voltara_wb22", "1.6", n=n, site=60) for n in (1, 2)]
    plans.append(plan("kestrel_kx300", "2.0.1", n=3, site=60))
    ids = [p.charger_id for p in plans]
    fleet = await make_fleet(backend, plans)
    for cid in ids:  # the site's uplink is down for 15 simulated minutes
        fleet.charger(cid).inject_now("site_network_outage", 0, clear_after_s=900)
    opened = await eventually(lambda: site_rows(backend, ids), timeout=15)
    assert [r.rule_id for r in opened] == ["site-offline"], [
        (r.charger_id, r.rule_id) for r in opened
    ]
    site = opened[0]
    assert site.subject == "site:SITE-060:site-offline" and site.responsible == "network_provider"
    group = [e for e in site.evidence if e.get("kind") == "group"]
    assert group and group[0]["chargers"] == sorted(ids)
    # the site comes back: the one diagnosis closes as recovered, nobody was sent out
    done = await eventually(
        lambda: [r for r in site_rows(backend, ids) if r.closed_at is not None], timeout=30
    )
    await asyncio.sleep(1.0)  # time for a per-charger diagnosis to (wrongly) open after it
    found = site_rows(backend, ids)
    assert [r.rule_id for r in found] == ["site-offline"], [
        (r.charger_id, r.rule_id) for r in found
    ]
    assert done[0].status == "self_cleared", done[0].status
    # a second outage of the same site, later, is a second diagnosis (not the finished one)
    await asyncio.sleep(1.0)  # the recovery hold (60 simulated s) passes on every charger
    for cid in ids:
        fleet.charger(cid).inject_now("site_network_outage", 0, clear_after_s=900)
    again = await eventually(lambda: site_rows(backend, ids)[1:], timeout=15)
    assert [r.rule_id for r in again] == ["site-offline"], [
        (r.charger_id, r.rule_id) for r in again
    ]


async def test_one_charger_dropping_alone_is_its_own_offline(make_backend, make_fleet) -> None:
    backend = await make_backend()
    plans = [plan("voltara_wb22", "1.6", n=n, site=61) for n in (1, 2)]
    fleet = await make_fleet(backend, plans)
    alone, other = plans[0].charger_id, plans[1].charger_id
    fleet.charger(alone).inject_now("site_network_outage", 0, clear_after_s=3600)
    opened = await eventually(lambda: rows(backend, alone), timeout=15)
    assert opened[0].rule_id == "offline", opened[0].rule_id
    assert rows(backend, other) == []
