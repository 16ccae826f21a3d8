"""Response models of the session and handoff API: every field the views return, named.

The views (app/sessions/views.py, app/sessions/handoffs.py, app/sessions/summary.py) build
plain dicts; the routers declare these models, so FastAPI validates each response against
them (``extra="forbid"``: a field a view adds must be declared here first) and the OpenAPI
schema documents them. A few keys are present only sometimes (a step's ``live_snapshot``,
the ``suggestions`` of a session without a procedure, a progress's ``seconds_left``); the
routes serialise with ``response_model_exclude_unset`` so such a key stays absent rather than
becoming ``null`` — the JSON keeps the shape the app and the tests read.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# ---------------------------------------------------------------------------- steps and log
class StepView(Strict):
    seq: int
    at: str = Field(description="ISO 8601, UTC.")
    actor: str
    role: str
    kind: str = Field(description="answer, confirm, command, state, message, push, photo, ...")
    node_id: str | None
    procedure_id: str | None
    procedure_version: int | None
    answer: Any = Field(description="Free-form: the value answered, or the step's detail.")
    branch: str | None
    note: str | None
    photo: str | None
    command: str | None
    command_params: dict[str, Any] | None
    command_result: dict[str, Any] | None = Field(description="As the charger answered.")
    entered: list[str] | None = Field(description="Nodes the engine entered at this step.")
    elapsed_seconds: float | None
    live_snapshot: dict[str, Any] | None = Field(
        None, description="The charger's live state at the step (only where asked for)."
    )


class MessageView(Strict):
    seq: int
    at: str
    from_: str = Field(alias="from")
    name: str = Field(description="How the author is shown: their display name.")
    person: bool = Field(description="A person wrote it (not the system or self-diagnosis).")
    role: str
    text: str | None


# ---------------------------------------------------------------------------- session parts
class ProcedureRef(Strict):
    id: str
    version: int | None
    title: str


class Progress(Strict):
    """A command or wait under way: shown as a spinner with time left."""

    phase: str
    attempt: int
    seconds_left: float | None = None
    waiting_for: str | None = None


class Estimate(Strict):
    """ "Step 3 of about 7"."""

    step: int
    fewest: int
    most: int


class ConsultantStep(Strict):
    """A free-form step a consultant pushed; the partner acknowledges it (answer kind ack)."""

    text: str
    by: str
    seq: int
    answers: list[str] | None = Field(
        None, description="A question: the partner acks with one of these as the value."
    )


class Hazard(Strict):
    safety_level: str
    qualifications: list[str]
    acknowledgement: str | None
    acknowledged: bool
    safety_warning: str | None


class HandoffRef(Strict):
    id: int
    status: str
    priority: str
    claimed_by: str | None
    claimed_by_name: str | None = Field(description="The consultant's display name.")
    resolution: str | None


class Suggestion(Strict):
    procedure_id: str
    title: str
    score: float


class SessionView(Strict):
    id: str
    version: int
    charger_id: str
    connector_id: int
    partner: str
    status: str
    outcome: str | None
    outcome_note: str | None
    symptom: str | None
    procedure: ProcedureRef | None
    cursor: dict[str, Any] | None = Field(description="The engine's cursor (internal shape).")
    current_node: dict[str, Any] | None = Field(description="The procedure node, as authored.")
    directive: dict[str, Any] | None = Field(description="What the app shows and asks now.")
    progress: Progress | None
    estimate: Estimate | None
    can_undo: bool
    consultant_step: ConsultantStep | None
    hazard: Hazard | None
    handoff: HandoffRef | None
    messages: list[MessageView]
    live: dict[str, Any] = Field(description="The charger's live state (free-form snapshot).")
    steps: list[StepView]
    created_at: str
    updated_at: str
    finished_at: str | None
    suggestions: list[Suggestion] | None = Field(
        None, description="Only while active without a procedure: procedures that fit."
    )


class SessionListItem(Strict):
    id: str
    version: int
    charger_id: str
    partner: str
    status: str
    outcome: str | None
    procedure_id: str | None
    node_id: str | None
    created_at: str
    updated_at: str


class RunAccepted(Strict):
    session_id: str
    status: str


# ---------------------------------------------------------------------------- summary
class SummaryCharger(Strict):
    id: str | None
    site_id: str | None
    vendor: str | None
    model: str | None
    firmware: str | None
    ocpp_version: str | None
    online: bool | None


class SummaryConnector(Strict):
    id: int | None
    status: str | None
    error_code: str | None
    vendor_error_code: str | None


class SummaryFault(Strict):
    connector_id: int | None
    error_code: str | None
    vendor_error_code: str | None
    info: str | None


class SummaryProcedure(Strict):
    id: str | None
    version: int | None


class SummaryStep(Strict):
    seq: int
    kind: str
    node: str | None
    by: str
    answer: Any = None
    command: str | None = None
    result: str | None = None
    branch: str | None = None


class SummaryNote(Strict):
    seq: int
    by: str
    note: str


class Summary(Strict):
    """Everything a consultant needs at a glance (also kept on the handoff)."""

    charger: SummaryCharger
    connector: SummaryConnector
    open_faults: list[SummaryFault]
    procedure: SummaryProcedure
    symptom: str | None
    reason: str | None
    steps: list[SummaryStep]
    notes: list[SummaryNote]
    photos: list[str]


class SummaryView(Strict):
    summary: Summary
    text: str


# ---------------------------------------------------------------------------- handoffs
class OfferedCommand(Strict):
    """A remote command the desk offers; ``default`` is the one pre-selected (never a
    re-energising or interrupting one while a safety-class fault is open: ``held``)."""

    label: str
    command: str
    params: dict[str, Any]
    held: bool = Field(description="A safety fault is open and this command would act on it.")
    default: bool


class LinkedHandoff(Strict):
    """Another handoff of the same case (the same charger, open at the same time)."""

    id: int
    status: str
    priority: str
    reason: str | None
    created_by: str
    partner: str | None
    claimed_by: str | None
    summary_text: str | None


class HandoffView(Strict):
    id: int
    session_id: str
    status: str
    priority: str
    reason: str | None
    charger_id: str | None
    site_id: str | None
    partner: str | None
    created_at: str
    waiting_seconds: float
    claimed_by: str | None
    claimed_at: str | None
    closed_at: str | None
    resolution: str | None
    summary: Summary | None
    summary_text: str | None
    case_id: int = Field(description="Handoffs open on one charger at once share a case.")
    recovered_at: str | None = Field(
        None,
        description="Since when the charger has been healthy again, as self-diagnosis saw it "
        "after its recovery hold while this handoff was open (a visit may not be needed).",
    )
    linked: list[LinkedHandoff] | None = Field(
        None, description="Only on one handoff: the other handoffs of its case."
    )
    commands: list[OfferedCommand] | None = Field(
        None, description="Only on one handoff: the remote commands the desk offers."
    )


class StatusOnly(Strict):
    status: str


class CommandOutcome(Strict):
    """A consultant's command: how the gateway ended it and what the charger answered."""

    status: str
    response: Any = Field(None, description="The charger's response payload (free-form).")
    overrides: list[str] | None = None
    error: str | None = None
