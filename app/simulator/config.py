"""Fleet configuration and the deterministic fleet plan (which charger is which model, where)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from app.simulator.models import CHARGER_MODELS, ChargerModel

# The card the simulated drivers present (the demo registers it in the token store).
DEFAULT_ID_TAG = "SIM-TAG-0001"

OcppMode = Literal["1.6", "2.0.1", "mixed"]


class Timing(BaseModel):
    """Simulated seconds; every delay is divided by the fleet's speed."""

    soft_reboot_s: float = 10.0
    hard_reboot_s: float = 25.0
    reconnect_base_s: float = 5.0
    reconnect_max_s: float = 120.0
    boot_retry_s: float = 30.0  # when the CSMS says Pending/Rejected with interval 0
    default_heartbeat_s: float = 300.0
    # the sample interval a charger starts with (1.6 MeterValueSampleInterval, 2.0.1
    # SampledDataCtrlr.TxUpdatedInterval) until the CSMS sets another
    meter_interval_s: float = 60.0
    flap_up_min_s: float = 30.0
    flap_up_max_s: float = 90.0
    boot_loop_s: float = 20.0
    response_timeout_s: float = 30.0  # real seconds


class FleetConfig(BaseModel):
    csms_url: str = "ws://127.0.0.1:9000/ocpp"
    chargers: int = Field(10, ge=0)
    ocpp: OcppMode = "mixed"
    seed: int = 1
    speed: float = Field(1.0, gt=0)
    passwords: dict[str, str] = Field(default_factory=dict)
    shared_password: str | None = None
    connect_rate: float = Field(500.0, gt=0, description="New connections per real second.")
    ground_truth_path: Path | None = None
    control_port: int | None = None  # None: no control API; 0: a free port
    control_host: str = "127.0.0.1"
    timing: Timing = Field(default_factory=Timing)
    ws_ping_interval: float | None = None
    log_tail: int = 20  # log lines each charger keeps for diagnostics uploads
    # "field": each fault draws a hidden cause (faults.Cause): resets help with a probability,
    # faults come back later, site visits fix with a first-time-fix probability below 1; all
    # seeded by ``seed``. "ideal": the catalogue's one cause, deterministic (for unit tests).
    outcomes: Literal["field", "ideal"] = "field"
    # models (keys of ``models.CHARGER_MODELS``) whose firmware reports faults with ChargeX
    # MREC codes the way EVerest does (``app.simulator.chargex_faces``); the others send their
    # vendor codes
    chargex_models: tuple[str, ...] = ()

    @field_validator("chargex_models")
    @classmethod
    def _known_models(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        known = {m.key for m in CHARGER_MODELS}
        unknown = [k for k in keys if k not in known]
        if unknown:
            raise ValueError(
                f"unknown charger model(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )
        return keys

    def password_for(self, charger_id: str) -> str | None:
        return self.passwords.get(charger_id, self.shared_password)


def read_password_file(path: Path) -> tuple[dict[str, str], str | None]:
    """``charger_id:password`` lines, or a single line holding one shared password."""
    per_charger: dict[str, str] = {}
    shared: str | None = None
    lines = [
        (n, raw.strip())
        for n, raw in enumerate(path.read_text().splitlines(), 1)
        if raw.strip() and not raw.strip().startswith("#")
    ]
    if len(lines) == 1 and ":" not in lines[0][1]:
        return {}, lines[0][1]
    for n, line in lines:
        charger_id, sep, password = line.partition(":")
        if not sep or not charger_id.strip() or not password:
            raise ValueError(f"{path}:{n}: expected 'charger_id:password'")
        per_charger[charger_id.strip()] = password
    return per_charger, shared


@dataclass(frozen=True, slots=True)
class ChargerPlan:
    charger_id: str
    model: ChargerModel
    ocpp_version: str
    site: str
    index: int


def _models_for(mode: OcppMode) -> list[ChargerModel]:
    if mode == "mixed":
        return list(CHARGER_MODELS)
    return [m for m in CHARGER_MODELS if mode in m.ocpp_versions]


def plan_fleet(count: int, mode: OcppMode = "mixed", seed: int = 1) -> list[ChargerPlan]:
    """A deterministic spread of ``count`` chargers over sites of 1-8 chargers each.

    Ids look like ``SITE-014-DC-02``: site number, the model's id kind, index of that kind.
    In mixed mode a model supporting both versions takes one at random (seeded).
    """
    rng = random.Random(seed)
    models = _models_for(mode)
    plans: list[ChargerPlan] = []
    site_no = 0
    while len(plans) < count:
        site_no += 1
        site = f"SITE-{site_no:03d}"
        per_kind: dict[str, int] = {}
        for _ in range(min(rng.randint(1, 8), count - len(plans))):
            model = rng.choice(models)
            version = rng.choice(model.ocpp_versions) if mode == "mixed" else mode
            per_kind[model.id_kind] = per_kind.get(model.id_kind, 0) + 1
            charger_id = f"{site}-{model.id_kind}-{per_kind[model.id_kind]:02d}"
            plans.append(ChargerPlan(charger_id, model, version, site, len(plans)))
    return plans
