"""The diagnosis engine: plain functions from an event window and a live state to findings.

No I/O and no clock: the caller passes ``now`` (epoch seconds) and the time scale. The
service feeds the window from live-state changes; tests build windows by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.diagnosis.policy import RESPONSIBLE_BY_CLASS, SAFETY_RANK, plan_ladder
from app.diagnosis.vocabulary import FleetWideCond, GroupCond, Rule
from app.fault_codes import load_catalogue
from app.fleet.model import ChargerLiveState, FaultClassification, OpenFault

# Window entry kinds.
CONNECTED = "connected"
DISCONNECTED = "disconnected"
BOOT = "boot"
STATUS = "status"
FAULT_RAISED = "fault_raised"
FAULT_CLEARED = "fault_cleared"
TX_STARTED = "tx_started"
TX_STOPPED = "tx_stopped"
METER = "meter"
SECURITY_EVENT = "security_event"
FIRMWARE = "firmware"
ACTION = "action"  # a remote action the diagnosis service itself took
CALL_TIMEOUT = "call_timeout"  # a CALL of ours the charger never answered

# Boots, reconnects and security events this soon after our own action are its echo.
ACTION_GRACE_S = 180.0
CATEGORY_ORDER = {"exclusive": 0, "fault": 1, "connector": 2, "charger": 3}


@dataclass(frozen=True, slots=True)
class Observation:
    seq: int
    t: float  # epoch seconds
    kind: str
    connector_id: int = 0
    data: dict[str, Any] = field(default_factory=dict)

    def evidence(self) -> dict[str, Any]:
        return {"seq": self.seq, "t": round(self.t, 3), "kind": self.kind, **self.data} | (
            {"connector_id": self.connector_id} if self.connector_id else {}
        )


@dataclass
class FleetContext:
    """What a charger's rules may need to know about the rest of the fleet (built by the
    service once per evaluation; plain data, so the engine stays free of I/O).

    ``tokens``: idToken -> charger -> when a fault was last raised under it.
    ``sites``: site -> charger -> when its newest open fault was raised (None: no fault).
    ``patterns``: (model, firmware, code) -> charger -> when that code was raised.
    ``fault_keys``: catalogue fault key -> charger -> (its site, when that fault was raised).
    ``history``: fault uid -> earlier occurrences of the same fault, cleared (from the DB).
    ``heartbeats``: charger -> last Heartbeat.
    ``offline``: site -> charger -> when it went offline (None: online).
    ``status_reports``: charger -> its last StatusNotification, repeats included (the window
    keeps a status only when it changes, and only for hours).
    """

    tokens: dict[str, dict[str, float]] = field(default_factory=dict)
    sites: dict[str, dict[str, float | None]] = field(default_factory=dict)
    patterns: dict[tuple[str, str, str], dict[str, float]] = field(default_factory=dict)
    fault_keys: dict[str, dict[str, tuple[str, float]]] = field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    heartbeats: dict[str, float] = field(default_factory=dict)
    offline: dict[str, dict[str, float | None]] = field(default_factory=dict)
    status_reports: dict[str, float] = field(default_factory=dict)


@dataclass
class Finding:
    rule: Rule
    charger_id: str
    connector_id: int
    subject: str
    fault_key: str | None = None
    error_code: str | None = None
    fault_uids: list[str] = field(default_factory=list)
    evidence: list[Observation] = field(default_factory=list)
    classification: FaultClassification | None = None
    ladder: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    group: tuple[str, ...] = ()  # site-wide / fleet pattern: the chargers it covers
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def category(self) -> str:
        if self.rule.subject == "charger" and self.rule.exclusive:
            return "exclusive"
        return self.rule.subject

    @property
    def safety_class(self) -> str:
        return self.classification.safety_class if self.classification else "unknown"

    @property
    def catalogue_fault_key(self) -> str | None:
        """The fault key the catalogue gave the subject fault, else the rule's reading."""
        if self.classification is not None:
            return self.classification.fault_key
        return self.fault_key

    @property
    def responsible(self) -> str | None:
        """Who must act: the rule's own reading for group and vehicle findings, else the
        catalogue's, else the rule's fault class."""
        w = self.rule.when
        if w.follows_vehicle is not None:
            return "vehicle"
        if w.site_wide is not None or w.site_offline is not None:
            return RESPONSIBLE_BY_CLASS.get(self.rule.fault_class, "site_power")
        if w.fleet_wide is not None:
            return RESPONSIBLE_BY_CLASS.get(self.rule.fault_class)
        if self.classification is not None and self.classification.responsible:
            return self.classification.responsible
        return RESPONSIBLE_BY_CLASS.get(self.rule.fault_class)

    def sort_key(self) -> tuple[int, int, int]:
        rank = SAFETY_RANK.get(self.safety_class, 2) if self.classification else 2
        return (CATEGORY_ORDER[self.category], -self.rule.priority, rank)


def fault_key_for(vendor: str | None, model: str | None, code: str | None) -> str | None:
    """The canonical fault key a vendor (or ChargeX) error code stands for, if the fault-code
    catalogue knows it."""
    if not code:
        return None
    return load_catalogue().classify(vendor=vendor, model=model, vendor_error_code=code).fault_key


def fault_key_of(live: ChargerLiveState, fault: OpenFault) -> str | None:
    """The catalogue's fault key (as the store classified the fault), else by vendor code."""
    if fault.classification.fault_key:
        return fault.classification.fault_key
    return fault_key_for(live.vendor, live.model, fault.vendor_error_code or fault.tech_code)


def fault_code(fault: OpenFault) -> str:
    """The most specific code a fault was reported with: the standard (ChargeX) code, the
    vendor / tech code, the 2.0.1 component.variable, else the 1.6 errorCode."""
    return (
        fault.classification.standard_code
        or fault.vendor_error_code
        or fault.tech_code
        or (f"{fault.component}.{fault.variable}" if fault.component else None)
        or fault.error_code
    )


def fault_subject(live: ChargerLiveState, fault: OpenFault) -> str:
    """What a fault diagnosis is about: connector and fault key (or the code). A fault
    re-reported after a reboot gets a new uid but the same subject."""
    return f"fault:{fault.connector_id}:{fault_key_of(live, fault) or fault_code(fault)}"


def _ts(value: Any) -> float | None:
    return value.timestamp() if value is not None else None


def _action_times(window: Sequence[Observation]) -> list[float]:
    return [o.t for o in window if o.kind == ACTION]


def _not_echo(obs: Observation, actions: list[float], grace: float) -> bool:
    return not any(0 <= obs.t - a <= grace for a in actions)


def _recent(window: Iterable[Observation], kind: str, since: float) -> list[Observation]:
    return [o for o in window if o.kind == kind and o.t >= since]


def _identity(connector_id: int, fault_key: str | None, error_code: str | None) -> tuple:
    return (connector_id, fault_key or error_code)


def _known_since(fault: OpenFault, window: Sequence[Observation], raised: float) -> float:
    """When the backend learned of a fault: the later of the charger's timestamp and our own
    observation. Debounces count on the backend's clock (charger clocks drift, and a report
    can arrive well after its timestamp)."""
    seen = [o.t for o in window if o.kind == FAULT_RAISED and o.data.get("uid") == fault.uid]
    return max(raised, seen[-1]) if seen else raised


def is_echo(live: ChargerLiveState, fault: OpenFault) -> bool:
    """A report that only repeats a fault another report names:

    - 2.0.1: a Faulted connectorStatus whose cause a NotifyEvent already names (same EVSE or
      the whole station): the NotifyEvent fault is the subject.
    - 1.6: a bare OtherError (no vendorErrorCode) on a connector where a fault with a code is
      open, e.g. EVerest's follow-up Faulted / OtherError / info after a ChargeX code: the
      coded fault is the subject.
    """
    if fault.source != "StatusNotification":
        return False
    if live.ocpp_version == "2.0.1":
        return any(
            f.source == "NotifyEvent" and f.connector_id in (0, fault.connector_id)
            for f in live.open_faults
        )
    return (
        fault.error_code == "OtherError"
        and not fault.vendor_error_code
        and any(
            f is not fault
            and f.source == "StatusNotification"
            and f.connector_id in (0, fault.connector_id)
            and (f.vendor_error_code or f.error_code != "OtherError")
            for f in live.open_faults
        )
    )


# -- fault subject ------------------------------------------------------------------------------
def _match_fault(
    rule: Rule,
    live: ChargerLiveState,
    fault: OpenFault,
    key: str | None,
    window: Sequence[Observation],
    now: float,
    scale: float,
) -> list[Observation] | None:
    cond = rule.when.fault
    assert cond is not None
    if cond.error_codes and fault.error_code not in cond.error_codes:
        return None
    if cond.fault_keys and key not in cond.fault_keys:
        return None
    if cond.sources and fault.source not in cond.sources:
        return None
    if cond.known is not None and (fault.classification.known or key is not None) != cond.known:
        return None
    if cond.ocpp_versions and live.ocpp_version not in cond.ocpp_versions:
        return None
    vendor_code = fault.vendor_error_code or fault.tech_code
    if cond.vendor_error_codes and vendor_code not in cond.vendor_error_codes:
        return None
    raised = fault.raised_at.timestamp()
    since = _known_since(fault, window, raised)
    if fault.source == "StatusNotification" and live.ocpp_version == "2.0.1":
        # a Faulted status that echoed a NotifyEvent stands alone only from that event's end
        since = max(
            [
                since,
                *(
                    o.t
                    for o in window
                    if o.kind == FAULT_CLEARED
                    and o.data.get("source") == "NotifyEvent"
                    and o.connector_id in (0, fault.connector_id)
                ),
            ]
        )
    if now - since < cond.min_age_s / scale:
        return None
    evidence = [
        o
        for o in window
        if o.kind in (FAULT_RAISED, STATUS)
        and o.data.get("uid", fault.uid) == fault.uid
        and o.connector_id == fault.connector_id
        and o.t >= raised - 1
    ][-5:]
    if rule.when.recurred is not None:
        since = raised - rule.when.recurred.within_s / scale
        identity = _identity(fault.connector_id, key, fault.error_code)
        earlier = [
            o
            for o in window
            if o.kind == FAULT_CLEARED
            and since <= o.t <= raised + 0.001
            and _identity(o.connector_id, o.data.get("fault_key"), o.data.get("error_code"))
            == identity
        ]
        if not earlier:
            return None
        evidence = [
            *[o for o in window if o.kind == ACTION and o.t >= since][-3:],
            *earlier[-3:],
            *evidence,
        ]
    return evidence or [
        Observation(0, raised, FAULT_RAISED, fault.connector_id, {"uid": fault.uid})
    ]


def pattern_key(live: ChargerLiveState, fault: OpenFault) -> tuple[str, str, str] | None:
    """(model, firmware, code) of a coded fault, for fleet patterns; None when not coded."""
    code = fault_code(fault)
    if not (live.model and live.firmware_version) or code in ("OtherError", "InternalError"):
        return None
    return (live.model, live.firmware_version, code)


def _group_conditions(
    rule: Rule,
    live: ChargerLiveState,
    fault: OpenFault,
    context: FleetContext,
    now: float,
    scale: float,
) -> tuple[tuple[str, ...], list[dict[str, Any]]] | None:
    """The fleet-wide conditions of a fault rule: (chargers covered, history), None if any
    given condition fails."""
    w = rule.when
    group: tuple[str, ...] = ()
    history: list[dict[str, Any]] = []
    if w.follows_vehicle is not None:
        token = fault.id_token
        if not token:
            return None
        since = now - w.follows_vehicle.within_s / scale
        chargers = {c for c, t in context.tokens.get(token, {}).items() if t >= since}
        chargers.add(live.charger_id)
        if len(chargers) < w.follows_vehicle.chargers:
            return None
        group = tuple(sorted(chargers))
    if w.site_wide is not None:
        group = whole_site(context.sites.get(live.site_id or "", {}), w.site_wide, scale)
        if not group:
            return None
    if w.fleet_pattern is not None:
        key = pattern_key(live, fault)
        since = now - w.fleet_pattern.within_s / scale
        chargers = {
            c for c, t in (context.patterns.get(key, {}) if key else {}).items() if t >= since
        }
        if len(chargers) < w.fleet_pattern.min_chargers:
            return None
        group = tuple(sorted(chargers))
    if w.fleet_wide is not None:
        key = fault_key_of(live, fault)
        seen = context.fault_keys.get(key, {}) if key else {}
        group = fleet_wide(seen, fault.raised_at.timestamp(), w.fleet_wide, scale)
        if not group:
            return None
    if w.chronic is not None:
        since = now - w.chronic.within_s / scale
        history = [h for h in context.history.get(fault.uid, []) if h.get("cleared_t", 0) >= since]
        if len(history) < w.chronic.count:
            return None
    return group, history


def _fault_findings(
    rules: Sequence[Rule],
    live: ChargerLiveState,
    window: Sequence[Observation],
    now: float,
    scale: float,
    context: FleetContext,
) -> list[Finding]:
    found: list[Finding] = []
    faults = [f for f in live.open_faults if f.source != "offline"]
    for fault in faults:
        if is_echo(live, fault):
            continue
        key = fault_key_of(live, fault)
        for rule in rules:
            if rule.subject != "fault":
                continue
            evidence = _match_fault(rule, live, fault, key, window, now, scale)
            if evidence is None or not _charger_conditions_hold(rule, live, window, now, scale):
                continue
            extra = _group_conditions(rule, live, fault, context, now, scale)
            if extra is None:
                continue
            group, history = extra
            w = rule.when
            if w.site_wide is not None:
                subject = f"site:{live.site_id}:{fault_key_of(live, fault) or fault_code(fault)}"
            elif w.fleet_pattern is not None:
                subject = "pattern:" + ":".join(pattern_key(live, fault) or ())
            elif w.fleet_wide is not None:
                subject = f"fleet:{key}"  # one diagnosis for the fleet
            elif w.follows_vehicle is not None:
                subject = f"vehicle:{fault.id_token}"
            else:
                subject = fault_subject(live, fault)
            found.append(
                Finding(
                    rule=rule,
                    charger_id=live.charger_id,
                    connector_id=fault.connector_id,
                    subject=subject,
                    fault_key=key,
                    error_code=fault.error_code,
                    fault_uids=[fault.uid, *(f.uid for f in faults if f is not fault)],
                    evidence=evidence,
                    classification=fault.classification,
                    group=group,
                    history=history,
                )
            )
    return found


# -- connector subject --------------------------------------------------------------------------
def _stalled(window: Sequence[Observation], connector_id: int, since: float) -> list[Observation]:
    """Meter readings of a connector's transaction, flat since at least ``since``."""
    readings = [
        o
        for o in window
        if o.kind == METER
        and o.connector_id == connector_id
        and o.data.get("energy_wh") is not None
    ]
    if len(readings) < 2:
        return []
    last = readings[-1].data["energy_wh"]
    flat = [o for o in readings if o.data["energy_wh"] == last]
    first_flat = readings[-1]
    for o in reversed(readings):
        if o.data["energy_wh"] != last:
            break
        first_flat = o
    if first_flat.t > since or len(flat) < 2:
        return []
    return [first_flat, readings[-1]]


def _connector_findings(
    rules: Sequence[Rule],
    live: ChargerLiveState,
    window: Sequence[Observation],
    now: float,
    scale: float,
) -> list[Finding]:
    found: list[Finding] = []
    for rule in rules:
        if rule.subject != "connector":
            continue
        w = rule.when
        for cid, conn in live.connectors.items():
            if cid == 0:
                continue
            evidence: list[Observation] = []
            if w.status is not None:
                if conn.status not in w.status.statuses:
                    continue  # the cheap test first: most connectors are in no such status
                since = _ts(conn.since)
                if since is not None and w.status.without_transaction:
                    # "without a transaction for for_s": count from the last transaction's end
                    # too (a session's Occupied status outlives its end by a message or two)
                    ends = [
                        o.t
                        for o in window
                        if o.kind in (TX_STARTED, TX_STOPPED) and o.connector_id == cid
                    ]
                    since = max([since, *ends])
                tx = live.transaction_on(cid) if cid else None
                if (
                    since is None
                    or now - since < w.status.for_s / scale
                    or (w.status.without_transaction and tx is not None)
                ):
                    continue
                evidence += [o for o in window if o.kind == STATUS and o.connector_id == cid][-3:]
                evidence = evidence or [Observation(0, since, STATUS, cid, {"status": conn.status})]
            if w.meter_stalled is not None:
                tx = live.transaction_on(cid)
                limit = now - w.meter_stalled.for_s / scale
                if tx is None or tx.started_at.timestamp() > limit:
                    continue
                stalled = _stalled(window, cid, limit)
                if not stalled:
                    continue
                evidence += stalled
            if w.meter_silent is not None:
                tx = live.transaction_on(cid)
                limit = now - w.meter_silent.for_s / scale
                if tx is None or tx.started_at.timestamp() > limit:
                    continue
                sampled = [o for o in window if o.kind == METER and o.connector_id == cid]
                last = tx.last_meter.at.timestamp() if tx.last_meter else None
                if (sampled and sampled[-1].t > limit) or (last is not None and last > limit):
                    continue
                evidence += (
                    sampled[-1:]
                    or [o for o in window if o.kind == TX_STARTED and o.connector_id == cid][-1:]
                )
            if w.failed_starts is not None:
                cond = w.failed_starts
                failed = [
                    o
                    for o in _recent(window, TX_STOPPED, now - cond.within_s / scale)
                    if o.connector_id == cid
                    and o.data.get("duration_s", 1e9) * scale <= cond.max_duration_s
                    and (o.data.get("energy_wh") or 0.0) <= cond.max_energy_wh
                ]
                if len(failed) < cond.count:
                    continue
                evidence += failed[-cond.count :]
            found.append(
                Finding(
                    rule=rule,
                    charger_id=live.charger_id,
                    connector_id=cid,
                    subject=f"connector:{cid}:{rule.id}",
                    evidence=evidence,
                )
            )
    return found


# -- charger subject ----------------------------------------------------------------------------
def _charger_conditions_hold(
    rule: Rule,
    live: ChargerLiveState,
    window: Sequence[Observation],
    now: float,
    scale: float,
    evidence: list[Observation] | None = None,
    heartbeats: dict[str, float] | None = None,
    status_reports: dict[str, float] | None = None,
) -> bool:
    w = rule.when
    out = evidence if evidence is not None else []
    grace = ACTION_GRACE_S / scale
    actions: list[float] | None = None  # read from the window only by the rules that need it

    def not_echo(obs: Observation) -> bool:
        nonlocal actions
        if actions is None:
            actions = _action_times(window)
        return _not_echo(obs, actions, grace)

    if w.offline is not None:
        gone = _ts(live.disconnected_at)
        if live.online or gone is None or now - gone < w.offline.for_s / scale:
            return False
        out += _recent(window, DISCONNECTED, gone - 1)[-1:] or [Observation(0, gone, DISCONNECTED)]
    for name, kind in (
        ("reconnects", CONNECTED),
        ("boots", BOOT),
        ("call_timeouts", CALL_TIMEOUT),
    ):
        cond = getattr(w, name)
        if cond is None:
            continue
        reasons = getattr(cond, "reasons", None)
        hits = [
            o
            for o in _recent(window, kind, now - cond.within_s / scale)
            if (kind == CALL_TIMEOUT or not_echo(o))
            and (not reasons or o.data.get("reason") in reasons)
        ]
        if len(hits) < cond.count:
            return False
        out += hits[-cond.count :]
    if w.security_events is not None:
        cond = w.security_events
        hits = [
            o for o in _recent(window, SECURITY_EVENT, now - cond.within_s / scale) if not_echo(o)
        ]
        if len(hits) < cond.count:
            return False
        out += hits[-cond.count :]
    if w.status_silent is not None:
        since = _ts(live.connected_since)
        limit = now - w.status_silent.for_s / scale
        beat = heartbeats.get(live.charger_id) if heartbeats is not None else None
        if (
            not live.online
            or since is None
            or since > limit
            or beat is None
            or beat < since
            or status_reported(live, window, since, status_reports)
        ):
            return False
        out += _recent(window, CONNECTED, since - 1)[-1:] or [Observation(0, since, CONNECTED)]
    if w.firmware_status is not None:
        since = now - w.firmware_status.within_s / scale
        settled = now - w.firmware_status.min_age_s / scale
        failed = [
            o
            for o in window
            if o.kind == FIRMWARE
            and since <= o.t <= settled
            and o.data.get("status") in w.firmware_status.statuses
        ]
        if w.firmware_status.rollback:
            failed += _rollbacks(window, since, settled)
            failed.sort(key=lambda o: o.t)
        if not failed:
            return False
        # the update's first report (the version before it) and the failure itself
        started = [o for o in window if o.kind == FIRMWARE and o.t <= failed[-1].t]
        out += [started[0], failed[-1]] if started[0] is not failed[-1] else failed[-1:]
    if w.firmware_updated is not None:
        since = now - w.firmware_updated.within_s / scale
        hits = [
            o
            for o in window
            if o.t >= since
            and (
                (o.kind == FIRMWARE and o.data.get("status") in ("Installed", "Installing"))
                or (o.kind == BOOT and o.data.get("reason") == "FirmwareUpdate")
                or (o.kind == BOOT and o.data.get("firmware_changed"))
            )
        ]
        if not hits:
            return False
        out += hits[:1]
    return True


# Firmware states after which the next boot must run the new image: 1.6 Installed (some
# stations report it before their reboot) and 2.0.1 InstallRebooting (L01: "about to reboot
# to activate the new firmware").
ACTIVATING = frozenset({"Installed", "InstallRebooting"})


def _rollbacks(window: Sequence[Observation], since: float, until: float) -> list[Observation]:
    """Boots that came after an update was activated but still run the version the station
    had when it reported that: the image was rolled back (or never taken)."""
    out = []
    for boot in window:
        if boot.kind != BOOT or not since <= boot.t <= until or boot.data.get("firmware_changed"):
            continue
        before = [o for o in window if o.kind in (FIRMWARE, BOOT) and o.t < boot.t]
        last = before[-1] if before else None
        if (
            last is not None
            and last.kind == FIRMWARE
            and last.data.get("status") in ACTIVATING
            and last.data.get("firmware")
            and last.data.get("firmware") == boot.data.get("firmware")
        ):
            out.append(boot)
    return out


def _charger_findings(
    rules: Sequence[Rule],
    live: ChargerLiveState,
    window: Sequence[Observation],
    now: float,
    scale: float,
    context: FleetContext,
) -> list[Finding]:
    found: list[Finding] = []
    for rule in rules:
        if rule.subject != "charger":
            continue
        evidence: list[Observation] = []
        if not _charger_conditions_hold(
            rule, live, window, now, scale, evidence, context.heartbeats, context.status_reports
        ):
            continue
        subject, group = f"charger:{rule.id}", ()
        if rule.when.site_offline is not None:
            # every charger of the site went offline within minutes: its supply or uplink
            offline = context.offline.get(live.site_id or "", {})
            group = whole_site(offline, rule.when.site_offline, scale)
            if not group:
                continue
            subject = f"site:{live.site_id}:{rule.id}"  # one diagnosis for the site
        found.append(
            Finding(
                rule=rule,
                charger_id=live.charger_id,
                connector_id=0,
                subject=subject,
                fault_uids=[f.uid for f in live.open_faults],
                evidence=evidence,
                group=group,
            )
        )
    return found


def status_reported(
    live: ChargerLiveState,
    window: Sequence[Observation],
    since: float,
    status_reports: dict[str, float] | None,
) -> bool:
    """Has the charger reported a connector status since ``since``? A repeat of the same
    status counts (a triggered StatusNotification usually repeats it), and so does one older
    than the event window (a charger connected for days reported its status once)."""
    last = status_reports.get(live.charger_id) if status_reports is not None else None
    if last is not None and last >= since:
        return True
    return any(o.kind == STATUS and o.t >= since for o in window)


def whole_site(site: dict[str, float | None], cond: GroupCond, scale: float) -> tuple[str, ...]:
    """The site's chargers when every one of them has a time (a fault raised, gone offline)
    and those times lie within ``cond.within_s`` of each other; else ()."""
    times = [t for t in site.values() if t is not None]
    if (
        len(site) < cond.min_chargers
        or len(times) < len(site)
        or max(times) - min(times) > cond.within_s / scale
    ):
        return ()
    return tuple(sorted(site))


def fleet_wide(
    seen: dict[str, tuple[str, float]], around: float, cond: FleetWideCond, scale: float
) -> tuple[str, ...]:
    """The chargers whose fault was raised within ``cond.within_s`` of ``around`` (the
    subject fault's own raise), when they are enough and on enough sites; else ()."""
    near = {c: site for c, (site, t) in seen.items() if abs(t - around) <= cond.within_s / scale}
    if len(near) < cond.min_chargers or len(set(near.values())) < cond.min_sites:
        return ()
    return tuple(sorted(near))


def evaluate(
    rules: Sequence[Rule],
    live: ChargerLiveState | None,
    window: Sequence[Observation],
    now: float,
    scale: float = 1.0,
    context: FleetContext | None = None,
) -> list[Finding]:
    """Every matching (rule, subject), best first: exclusive charger rules, then faults, then
    connectors, then other charger rules; higher priority first within each, and of the same
    priority the catalogue's safer class first (never_reset before reset_safe), never the
    order of arrival. Each finding carries the ladder it may walk (``policy.plan_ladder``)."""
    if live is None:
        return []
    context = context or FleetContext()
    found = _charger_findings(rules, live, window, now, scale, context)
    if live.online:
        found += _fault_findings(rules, live, window, now, scale, context)
        # A connector's behaviour (meter silent or flat, stuck status, failed starts) while a
        # fault is open on it or on the whole charger is that fault's symptom, not a second
        # problem: the fault's own finding covers it. Found on its own, it held the charger
        # (one diagnosis at a time) with a ladder of [trigger_status, escalate] while the
        # fault that a reset could fix waited for a complaint.
        covered = {f.connector_id for f in live.open_faults if f.source != "offline"}
        found += [
            f
            for f in _connector_findings(rules, live, window, now, scale)
            if not (0 in covered or f.connector_id in covered)
        ]
    safety = {f.uid for f in live.safety_faults()}
    for finding in found:
        own = set(finding.fault_uids[:1]) if finding.rule.subject == "fault" else set()
        plan = plan_ladder(
            finding.rule.ladder,
            finding.classification if finding.rule.subject == "fault" else None,
            safety_fault_open=bool(safety - own),
        )
        finding.ladder, finding.notes = plan.ladder, plan.notes
    found.sort(key=Finding.sort_key)
    return found


def best(findings: Sequence[Finding]) -> Finding | None:
    return findings[0] if findings else None


def problem_present(
    finding: Finding,
    live: ChargerLiveState | None,
    now: float,
    ignore: frozenset[str] = frozenset(),
    *,
    window: Sequence[Observation] | None = None,
    scale: float = 1.0,
    status_reports: dict[str, float] | None = None,
) -> bool:
    """Is the diagnosed problem still there? (recovery proof needs it gone and healthy).

    A behaviour finding on a lasting state (meter values silent or flat during a transaction,
    no status report since connecting) is still there while its own condition holds on the
    event window: without that check it read as gone at once, closed as self-cleared and
    fired again at the next evaluation, a diagnosis every few minutes that kept the charger
    busy (a real fault on it waited behind them) and never tried its ladder."""
    if live is None or not live.online:
        return True
    rule = finding.rule
    w = rule.when
    if window is not None and rule.subject == "connector" and (w.meter_silent or w.meter_stalled):
        return any(
            f.subject == finding.subject
            for f in _connector_findings([rule], live, window, now, scale)
        )
    if window is not None and rule.subject == "charger" and w.status_silent is not None:
        since = _ts(live.connected_since)
        return since is not None and not status_reported(live, window, since, status_reports)
    if rule.subject == "fault":
        # the same fault (same uid, or re-reported with the same subject), not any other
        return any(
            f.uid not in ignore
            and f.source != "offline"
            and (f.uid in finding.fault_uids[:1] or fault_subject(live, f) == finding.subject)
            for f in live.open_faults
        )
    if rule.subject == "connector":
        conn = live.connectors.get(finding.connector_id)
        if conn is None:
            return False
        if w.status is not None:
            tx = live.transaction_on(finding.connector_id)
            return conn.status in w.status.statuses and not (
                w.status.without_transaction and tx is not None
            )
        return False
    if rule.when.status_silent is not None:
        # still silent: no connector has reported a status since the charger connected
        since = live.connected_since
        return not any(
            cid != 0 and conn.updated_at is not None and (since is None or conn.updated_at >= since)
            for cid, conn in live.connectors.items()
        )
    return False


def healthy(
    live: ChargerLiveState | None, connector_id: int = 0, ignore: frozenset[str] = frozenset()
) -> bool:
    """Online, no open fault (but those ignored), no connector in scope Faulted or Unavailable
    (scope: the connector, or all when 0). An ignored fault (handed off to people) also
    explains its connector: its Faulted/Unavailable status and its 2.0.1 status echo do not
    count (connector 0: the whole charger)."""
    if live is None or not live.online:
        return False
    explained = {f.connector_id for f in live.open_faults if f.uid in ignore}

    def in_scope(cid: int) -> bool:
        return connector_id == 0 or cid in (0, connector_id)

    for fault in live.open_faults:
        if fault.source == "offline" or fault.uid in ignore or not in_scope(fault.connector_id):
            continue
        if fault.source == "StatusNotification" and (
            0 in explained or fault.connector_id in explained
        ):
            continue  # the status that a handed-off fault causes
        return False
    for cid, conn in live.connectors.items():
        if cid != 0 and not in_scope(cid):
            continue
        if 0 in explained or cid in explained:
            continue
        if conn.status in ("Faulted", "Unavailable"):
            return False
    return True
