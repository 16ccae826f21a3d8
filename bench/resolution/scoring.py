"""Scoring one arm's run against the simulator's ground truth and its fault catalogue (and
only here): unsafe actions, false resets, remote resolutions against the oracle and the
guards' ceiling, truck rolls, first-time fix, recovery time, port uptime by 23 CFR 680.116."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from app.diagnosis.vocabulary import RETRYABLE_STEPS
from app.fault_codes import load_catalogue
from app.simulator.faults import (
    AVAILABILITY_CYCLE,
    DOWN_BEHAVIOURS,
    HARD_RESET,
    RESTART_PERIPHERAL,
    SELF_CLEAR,
    SOFT_RESET,
    UNLOCK,
    Cause,
    get_fault,
)
from app.simulator.models import CHARGER_MODELS, ChargerModel

REMOTE = (SOFT_RESET, HARD_RESET, UNLOCK, AVAILABILITY_CYCLE, RESTART_PERIPHERAL)


@cache
def safety_class(key: str) -> str:
    """The fault-code catalogue's safety class of a simulated fault's face (benchmark only)."""
    spec = get_fault(key)
    model = next(m for m in CHARGER_MODELS if spec.fits(m))
    return (
        load_catalogue()
        .classify(
            ocpp_version="1.6",
            error_code=spec.v16.error_code,
            vendor_error_code=spec.vendor_error_code(model),
            info=spec.v16.info,
        )
        .safety_class
    )


def cause_of(key: str, cause: str) -> Cause:
    return next(c for c in get_fault(key).field_causes() if c.key == cause)


def guarded_ceiling(cause: Cause, *, reset: bool = True, restart: bool = False) -> float:
    """The chance that the best remote plan ChargeFix's guards allow clears this cause for
    good, knowing the cause: one reset (the deeper one) where the fault's catalogue class
    allows one (``reset``), an unlock, an availability cycle and a peripheral restart (where
    the model has a key for it: ``restart``) twice each (``RETRYABLE_STEPS``), and nothing
    remote once the fault has come back (a returning fault is chronic: escalated, not reset
    again, as issue 13 requires). The expected value of this over the oracle's faults is the
    most any diagnosis could reach under those guards with this simulator's assumed odds."""
    miss = 1.0 - cause.p_clear(HARD_RESET) if reset else 1.0
    for step in RETRYABLE_STEPS:
        if step != RESTART_PERIPHERAL or restart:
            miss *= (1.0 - cause.p_clear(step)) ** 2
    return (1.0 - miss) * (1.0 - cause.recur_p)


def fault_ceiling(fault: dict[str, Any], model: ChargerModel) -> float:
    """``guarded_ceiling`` of one scored fault on its charger's model: a reset only for a
    ``reset_safe`` fault (``plan_ladder`` drops it for the other classes), a peripheral
    restart only where the model's firmware has one for this fault."""
    key = fault["fault"]
    return guarded_ceiling(
        cause_of(key, fault["cause"]),
        reset=safety_class(key) == "reset_safe",
        restart=any(r.fault == key for r in model.peripheral_restarts),
    )


def needs_visit(cause: Cause, key: str) -> bool:
    """Only a technician fixes it: not remote-fixable, it does not (surely) clear by itself,
    and it is no site outage (the utility's or the network provider's to end)."""
    spec = get_fault(key)
    if "site" in spec.tags or (cause.self_clear_s and cause.self_clear_p >= 1.0):
        return False
    return not cause.remote_fixable and SELF_CLEAR not in spec.truth.clears_by


def blocks_charging(spec: Any) -> bool:
    """A fault under which the port cannot deliver (the uptime rule and the drivers)."""
    return spec.v16.status in ("Faulted", "Preparing") or spec.truth.behaviour in DOWN_BEHAVIOURS


def start_blocked(faults: list[Any], method: str) -> bool:
    """A fault open on the charger stops this way of starting (a reader, a terminal)."""
    return any(f.spec.blocks_start == method for f in faults)


def lag_summary(lags: list[float], speed: float) -> dict[str, float]:
    """Event-loop lag, real milliseconds and simulated seconds (p50, p95, max). A p95 of a
    good share of the shortest simulated delays (a 300 s recovery hold, 10 s reboots) means
    the run is too fast for this machine: its figures are not those of the simulated field."""
    if not lags:
        return {}
    ordered = sorted(lags)
    p50 = ordered[len(ordered) // 2]
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    top = ordered[-1]
    return {
        "p50_ms": round(p50 * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "max_ms": round(top * 1000, 1),
        "p95_sim_s": round(p95 * speed, 1),
        "max_sim_s": round(top * speed, 1),
    }


# ---------------------------------------------------------------------------- scoring
def _union(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, -1e18
    for a, b in sorted(intervals):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


def score(
    truth_path: Path,
    t0: float,
    speed: float,
    span_end: float,
    visits: list[dict[str, Any]],
    plans: list[Any],
) -> dict[str, Any]:
    def sim(ts: str) -> float:
        return (datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() - t0) * speed

    records = [json.loads(line) for line in truth_path.read_text().splitlines() if line.strip()]
    # open faults per charger: (fault, connector) -> (span start, cause)
    active: dict[str, dict[tuple[str, int], tuple[float, Cause]]] = {}
    tx: dict[str, set[int]] = {}
    faults: list[dict[str, Any]] = []
    spans: list[tuple[str, int, str, Cause, float, float]] = []  # cid, conn, key, cause, a, b
    open_idx: dict[tuple[str, str, int], int] = {}
    causes: dict[tuple[str, str, int], Cause] = {}
    resets = false_resets = resets_in_tx = unsafe = unlocks = 0
    vendor_of = {p.charger_id: p.model.vendor for p in plans}
    model_of = {p.charger_id: p.model for p in plans}
    by_vendor: dict[str, list[int]] = {}  # vendor -> [resets, false resets]
    false_faces: dict[str, int] = {}  # vendor: the open faults (cause) of each false reset
    reboots: dict[str, list[tuple[float, float]]] = {}
    reboot_start: dict[str, float] = {}
    updates: list[dict[str, Any]] = []
    for r in records:
        t, cid, kind = sim(r["ts"]), r["charger_id"], r["kind"]
        act = active.setdefault(cid, {})
        if kind == "fault_injected":
            cause = cause_of(r["fault"], r["cause"])
            key = (r["fault"], r["connector_id"])
            causes[(cid, *key)] = cause
            act[key] = (t, cause)
            open_idx[(cid, *key)] = len(faults)
            faults.append(
                {
                    "charger_id": cid,
                    "fault": r["fault"],
                    "connector": r["connector_id"],
                    "cause": cause.key,
                    "remote_fixable": cause.remote_fixable,
                    "t": t,
                    "cleared": None,
                    "how": None,
                }
            )
        elif kind == "fault_recurred":
            key = (r["fault"], r["connector_id"])
            act[key] = (t, causes[(cid, *key)])
        elif kind == "fault_cleared":
            key = (r["fault"], r["connector_id"])
            opened = act.pop(key, None)
            if opened is not None:
                spans.append((cid, key[1], key[0], opened[1], opened[0], t))
            idx = open_idx.get((cid, *key))
            if idx is not None and r.get("permanent", True):
                faults[idx].update(cleared=t, how=r["how"])
                del open_idx[(cid, *key)]
        elif kind == "transaction_started":
            tx.setdefault(cid, set()).add(r["connector_id"])
        elif kind == "transaction_stopped":
            tx.setdefault(cid, set()).discard(r["connector_id"])
        elif kind == "command" and r["action"] in ("Reset", "UnlockConnector"):
            answer = str(r.get("answer"))
            if answer in ("Rejected", "NotSupported", "UnknownConnector"):
                continue
            payload = r["payload"]
            # 1.6 UnlockConnector names connectorId; 2.0.1 names evseId (one connector each
            # on the simulated models); a Reset is about the whole charger
            connector = payload.get("evseId") or payload.get("connectorId") or 0
            safety_open = any(
                safety_class(k) == "never_reset"
                for (k, c) in act
                if r["action"] == "Reset" or c in (0, connector)
            )
            unsafe += safety_open
            if r["action"] == "UnlockConnector":
                unlocks += 1
                continue
            resets += 1
            depth = SOFT_RESET if payload.get("type") == "Soft" else HARD_RESET
            helpful = any(
                cause.remote_fixable and cause.p_clear(depth) > 0 for (_t, cause) in act.values()
            )
            false_resets += not helpful
            if not helpful:  # what was open instead: the faces and hidden causes behind it
                seen = sorted(f"{k} ({cause.key})" for (k, _c), (_t, cause) in act.items())
                face = f"{vendor_of.get(cid, '?')}: " + (" + ".join(seen) or "nothing open")
                false_faces[face] = false_faces.get(face, 0) + 1
            counts = by_vendor.setdefault(vendor_of.get(cid, "?"), [0, 0])
            counts[0] += 1
            counts[1] += not helpful
            if tx.get(cid) and answer != "Scheduled":
                resets_in_tx += 1
        elif kind == "firmware_update":
            updates.append(r)
        elif kind == "reboot":
            reboot_start[cid] = t
        elif kind == "booted" and cid in reboot_start:
            reboots.setdefault(cid, []).append((reboot_start.pop(cid), t))
    for cid, start in reboot_start.items():
        reboots.setdefault(cid, []).append((start, span_end))
    for cid, act in active.items():
        for (key, conn), (t, cause) in act.items():
            spans.append((cid, conn, key, cause, t, span_end))

    remote = [f for f in faults if f["how"] in REMOTE and f["cleared"] is not None]
    oracle_faults = [f for f in faults if f["remote_fixable"]]
    remote_oracle = [f for f in remote if f["remote_fixable"]]
    recovery = [(f["cleared"] if f["cleared"] is not None else span_end) - f["t"] for f in faults]
    # 23 CFR 680.116(b) uptime per port. (b)(1): a port is "up" when its hardware and software
    # are online and available for use, or in use, and it dispenses electricity at the minimum
    # power level; (b)(3): mu = ((525,600 - (T_outage - T_excluded)) / 525,600) x 100 (a
    # research copy of the CFR text, self-law.org/code/us/cfr/t23). So a port that cannot
    # deliver is down; a port whose reader or payment terminal failed still charges drivers who
    # start another way and is counted up (our reading). T_excluded,
    # as the final rule (88 FR 12724, 28 Feb 2023) lists it: "electric utility service
    # interruptions, failure to charge or meet the EVSE charging power capability due to the
    # fault of the vehicle, scheduled maintenance, vandalism, or natural disasters" (and hours
    # outside the station's hours of operation) - root causes grid and vehicle here. The
    # proposed rule had also excluded internet or cellular provider interruptions; the final
    # list does not, so a site network outage counts as downtime. (The exclusion list is
    # quoted as recalled: the copy of the CFR text found ends before (b)(4).)
    uptimes = []
    for p in plans:
        for c in p.model.connectors:
            outage, excluded = [], []
            for cid, conn, key, cause, a, b in spans:
                if cid != p.charger_id or conn not in (0, c.connector_id):
                    continue
                if not blocks_charging(get_fault(key)):
                    continue
                outage.append((a, b))
                if cause.root_cause in ("grid", "vehicle"):
                    excluded.append((a, b))
            outage += reboots.get(p.charger_id, [])
            t_out, t_exc = _union(outage), _union(excluded)
            uptimes.append((span_end - t_out + t_exc) / span_end * 100)
    arrived = [v for v in visits if "fixed" in v and (v["fixed"] or v["unfixed"])]
    recalled = [v for v in visits if "recalled" in v]
    visits = [v for v in visits if "recalled" not in v]  # a truck called back rolled nowhere
    return {
        "faults": len(faults),
        "oracle": len(oracle_faults),
        "remote_resolved": len(remote),
        "remote_share_of_oracle": round(100 * len(remote_oracle) / max(1, len(oracle_faults)), 1),
        "ceiling_share_of_oracle": round(
            100
            * sum(fault_ceiling(f, model_of[f["charger_id"]]) for f in oracle_faults)
            / max(1, len(oracle_faults)),
            1,
        ),
        "resets": resets,
        "unlocks": unlocks,
        "unsafe_actions": unsafe,
        "false_resets": false_resets,
        "false_reset_pct": round(100 * false_resets / max(1, resets), 1),
        "resets_by_vendor": by_vendor,
        "false_resets_by_open_fault": dict(sorted(false_faces.items(), key=lambda kv: -kv[1])),
        **_by_log_table(by_vendor),
        "resets_during_tx": resets_in_tx,
        "site_visits": len(visits),
        "site_visits_needed": sum(1 for v in visits if v["needed"]),
        "site_visits_by": {
            k: sum(1 for v in visits if v["cause"] == k) for k in ("ticket", "complaint")
        },
        "first_time_fix_pct": (
            round(100 * sum(1 for v in arrived if not v["unfixed"]) / len(arrived), 1)
            if arrived
            else None  # no technician arrived within the run
        ),
        "visits_arrived": len(arrived),
        "visits_recalled": len(recalled),
        "visits_recalled_needed": sum(1 for v in recalled if v["needed"]),
        "needing_visit": sum(
            1 for f in faults if needs_visit(cause_of(f["fault"], f["cause"]), f["fault"])
        ),
        "mttr_min": round(sum(recovery) / max(1, len(recovery)) / 60, 1),
        "uptime_pct": round(sum(uptimes) / max(1, len(uptimes)), 2),
        "ports": len(uptimes),
        "firmware_updates": len(updates),
        "firmware_failed": sum(1 for u in updates if u["installed"] is None),
        "firmware_boot_loops": sum(1 for u in updates if u["boot_loop"]),
        "detail": {"faults": faults, "visits": visits + recalled},
    }


def _by_log_table(by_vendor: dict[str, list[int]]) -> dict[str, Any]:
    """False resets on the vendors whose log wording the knowledge base knows apart from the
    held-out ones (no table in knowledge_base/log_messages: no log evidence there)."""
    from app.diagnosis.log_evidence import shipped_tables

    known = set(shipped_tables())
    out: dict[str, Any] = {}
    for name, held in (("known_vendors", False), ("held_out_vendor", True)):
        rows = [c for v, c in by_vendor.items() if (v.lower() not in known) == held]
        sent, false = sum(c[0] for c in rows), sum(c[1] for c in rows)
        out[f"resets_{name}"] = sent
        out[f"false_reset_pct_{name}"] = round(100 * false / sent, 1) if sent else None
    return out
