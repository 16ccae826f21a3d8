"""The remote-resolution benchmark's seeded schedule: the fault mix and the field faults that
are not one charger's (site outages, extra faults, the card processor, bad vehicles), the
drivers' sessions and start methods, the firmware rollout. The same in every arm."""

from __future__ import annotations

import argparse
import random
from typing import Any

from app.simulator.config import plan_fleet
from app.simulator.faults import (
    get_fault,
)

# Fault mix: software faults a remote action may clear are the most common (as in the field).
MIX: dict[str, float] = {
    "firmware_hang": 14,
    "stuck_process": 8,
    "connector_lock_failure": 7,
    "rfid_reader_failure": 5,
    "phantom_connector_state": 6,
    "power_meter_failure": 5,
    "over_current": 6,
    "ground_fault": 4,
    "welded_contactor": 2,
    "over_temperature": 5,
    "weak_signal": 3,
    "modem_drop": 6,
    "ev_communication_error": 6,
    "over_voltage": 3,
    "under_voltage": 3,
    "intermittent_fault": 4,
    "firmware_boot_failure": 2,
    # issue 15: DC insulation-monitor trips are rarer than over-currents and only on DC
    # chargers (drawn again when the charger has no DC connector); a silent hang is as rare
    # as a boot loop. Assumptions of this simulator, like the weights above.
    "insulation_fault": 3,
    "silent_hang": 2,
}
# Site-wide outages per site and simulated day. EIA reports about 1.3 power interruptions a
# year per US customer (SAIFI, with major events), 0.0036 a day; the charger-fault rate above
# (0.5 a charger-day) is some 15 times a field rate of about one a charger-month, so the site
# rates are raised alike to keep the mix's proportions: 0.05 a site-day. A site uplink outage
# (router, provider) is taken as frequent. Durations are log-uniform: power 5 min to 4 h
# (EIA CAIDI is about 2 h with major events), uplink 10 min to 8 h (until the provider fixes it).
SITE_FAULTS: dict[str, tuple[float, tuple[float, float]]] = {
    "site_power_outage": (0.05, (300.0, 4 * 3600.0)),
    "site_network_outage": (0.05, (600.0, 8 * 3600.0)),
}
# One charger's field faults beyond ``MIX``, per charger (that can have it) and simulated day,
# drawn from their own generator like the site outages (so they do not shift a seed's mix): a
# charger that cannot open its TLS connection because its certificate expired or its clock was
# lost, and a DC charger's payment terminal that takes no card. The rates are assumptions of
# this simulator, raised like the site rates (a TLS failure about one in two chargers a year
# at the field's scale; a payment terminal about every two months at this scale).
EXTRA_FAULTS: dict[str, float] = {
    "tls_connection_failure": 0.002,
    "payment_terminal_failure": 0.015,
}
# The card payment processor behind every terminal of the fleet (one acquirer for the
# network) goes down for a while: each terminal notices at its next check with the host (a
# delay drawn from ``PROCESSOR_NOTICE_S``) and reports the payment terminal's fault, its hidden
# cause ``processor_link_down``: no restart and no visit helps; it ends when the processor is
# back. Rate and durations are assumptions of this simulator, raised like the site rates
# (about one outage in a 30-day run; 10 minutes to 4 hours, log-uniform).
PROCESSOR_OUTAGE: tuple[float, tuple[float, float]] = (0.03, (600.0, 4 * 3600.0))
PROCESSOR_NOTICE_S = (0.0, 180.0)
# How a driver starts a charge (an assumption of this simulator): by bank card on the payment
# terminal where the charger has one, else by RFID card or by an app's remote start. A reader
# or terminal failure stops only the starts that need it (``FaultSpec.blocks_start``).
CARD_SHARE = 0.3  # of the starts at a charger with a payment terminal
RFID_SHARE = 0.5  # of the other starts; the rest use an app
# The operator's firmware rollout, the same in every arm: at this share of the run, one
# campaign per model through the backend's campaign service (site by site, stopped after two
# failed chargers). In field mode an update fails, rolls back or boot-loops with the odds of
# app/simulator/firmware_updates.py FIELD_ODDS.
ROLLOUT_AT = 1 / 3
ROLLOUT_STOP_AFTER = 2
VEHICLES_PER_CHARGER = 3  # the drivers' cars: each session draws one
# A vehicle that goes bad (its inlet or its charge controller) for 2 h to 2 days, per
# vehicle-day; raised like the other rates. Every start it makes, on any charger, ends within a
# minute with the EV-communication face (1.6 EVCommunicationError, SuspendedEVSE).
BAD_VEHICLE_RATE = 0.02
BAD_VEHICLE_S = (2 * 3600.0, 2 * 86_400.0)


def start_method(rng: random.Random, has_terminal: bool) -> str:
    """How one driver starts a charge: "card" (payment terminal), "rfid" or "app"."""
    if has_terminal and rng.random() < CARD_SHARE:
        return "card"
    return "rfid" if rng.random() < RFID_SHARE else "app"


def _count(rng: random.Random, expected: float) -> int:
    """A whole count with this expectation (the fraction drawn)."""
    return int(expected) + (rng.random() < expected - int(expected))


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return lo * (hi / lo) ** rng.random()


def vehicle_token(n: int) -> str:
    return f"BENCH-EV-{n:03d}"


# ---------------------------------------------------------------------------- schedule
def make_schedule(args: argparse.Namespace, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    plans = plan_fleet(args.chargers, "mixed", seed)
    span = args.days * 86_400.0
    keys, weights = zip(*MIX.items(), strict=True)
    faults = []
    used: set[tuple[str, str, int]] = set()
    count = round(args.fault_rate * args.chargers * args.days)
    while len(faults) < count:
        p = rng.choice(plans)
        key = rng.choices(keys, weights)[0]
        current = get_fault(key).current
        fitting = [c.connector_id for c in p.model.connectors if current in (None, c.current)]
        if not fitting:
            continue  # a DC-only fault drawn for an AC charger: draw again
        connector = rng.choice(fitting)
        # each (charger, fault, connector) once: a second injection could land on the still
        # active first one in one arm and not in another, and the arms must see the same mix
        slot = (p.charger_id, key, 0 if get_fault(key).scope == "charger" else connector)
        if slot in used:
            if len(used) >= len(plans) * len(MIX):
                break
            continue
        used.add(slot)
        faults.append((rng.uniform(0.02 * span, 0.9 * span), p.charger_id, key, connector))
    sessions = []
    for p in plans:
        for c in p.model.connectors:
            t = rng.uniform(0, 3600)
            while t < span:
                duration = rng.uniform(1200, 3600)
                sessions.append((t, p.charger_id, c.connector_id, duration))
                t += duration + rng.expovariate(1 / (args.session_gap_h * 3600))
    # the field faults that are not one charger's, from their own generators (above)
    site_rng = random.Random(f"{seed}:sites")
    sites = sorted({p.site for p in plans})
    site_faults = []
    for key, (rate, (lo, hi)) in SITE_FAULTS.items():
        for _ in range(_count(site_rng, rate * args.site_outage_scale * len(sites) * args.days)):
            start = site_rng.uniform(0.02 * span, 0.9 * span)
            site = site_rng.choice(sites)
            duration = _log_uniform(site_rng, lo, hi)
            # one outage of a kind at a time per site: a second one starting inside the
            # first would find it still active (the draws stay the same either way)
            if not any(
                s == site and k == key and t <= start + duration and start <= t + d
                for t, s, k, d in site_faults
            ):
                site_faults.append((start, site, key, duration))
    extra_rng = random.Random(f"{seed}:extras")
    extra_faults = []
    taken: set[tuple[str, str]] = set()
    for key, rate in EXTRA_FAULTS.items():
        fitting = [p for p in plans if get_fault(key).fits(p.model)]
        for _ in range(_count(extra_rng, rate * args.extras_scale * len(fitting) * args.days)):
            start = extra_rng.uniform(0.02 * span, 0.9 * span)
            cid = extra_rng.choice(fitting).charger_id
            if (cid, key) not in taken:  # once per charger, as for the mix (above)
                taken.add((cid, key))
                extra_faults.append((start, cid, key, 0))
    terminal_fault = get_fault("payment_terminal_failure")
    terminal = {p.charger_id for p in plans if terminal_fault.fits(p.model)}
    processor_rng = random.Random(f"{seed}:processor")
    rate, (lo, hi) = PROCESSOR_OUTAGE
    processor_outages = []
    for _ in range(_count(processor_rng, rate * args.processor_outage_scale * args.days)):
        start = processor_rng.uniform(0.02 * span, 0.9 * span)
        duration = _log_uniform(processor_rng, lo, hi)
        if not any(t <= start + duration and start <= t + d for t, d, _ in processor_outages):
            notice = {
                p.charger_id: processor_rng.uniform(*PROCESSOR_NOTICE_S)
                for p in plans
                if p.charger_id in terminal
            }
            processor_outages.append((start, duration, notice))
    vehicle_rng = random.Random(f"{seed}:vehicles")
    vehicles = [vehicle_token(n + 1) for n in range(VEHICLES_PER_CHARGER * len(plans))]
    driven = [(*s, vehicle_rng.choice(vehicles)) for s in sorted(sessions)]
    method_rng = random.Random(f"{seed}:start-methods")
    driven = [(*s, start_method(method_rng, s[1] in terminal)) for s in driven]
    bad = []
    for _ in range(_count(vehicle_rng, BAD_VEHICLE_RATE * len(vehicles) * args.days)):
        start = vehicle_rng.uniform(0.0, 0.9 * span)
        duration = _log_uniform(vehicle_rng, *BAD_VEHICLE_S)
        bad.append((start, start + duration, vehicle_rng.choice(vehicles)))
    return {
        "faults": sorted(faults),
        "sessions": driven,
        "site_faults": sorted(site_faults),
        "extra_faults": sorted(extra_faults),
        "processor_outages": sorted(processor_outages, key=lambda o: o[0]),
        "rollout": args.rollout_at * span if args.rollout_at is not None else None,
        "bad_vehicles": sorted(bad),
        "vehicles": vehicles,
        "sites": {site: [p.charger_id for p in plans if p.site == site] for site in sites},
        "span": span,
    }


def vehicle_is_bad(schedule: dict[str, Any], vehicle: str, t: float) -> bool:
    return any(v == vehicle and a <= t < b for a, b, v in schedule["bad_vehicles"])
