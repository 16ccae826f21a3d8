"""The procedure model: a troubleshooting decision tree as written in YAML by an editor.

A procedure is a list of nodes connected by node ids. The session engine
(:mod:`app.procedures.engine`) walks it; :mod:`app.procedures.validation` checks the graph
(reachability, terminals, bounded loops, references) and reports errors with file and line.

YAML notes for authors:
- Only ``true``/``false`` are booleans (``yes``/``no``/``on``/``off`` stay strings).
- Wherever a connector id is expected, ``$connector`` means "the connector this session is
  about" (chosen when the session starts; defaults to the faulted connector, else 1).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.commands.catalogue import COMMANDS, CommandParams, InvalidCommand, parse_params
from app.security.qualifications import Qualification

NODE_ID_PATTERN = r"^[a-z0-9][a-z0-9_\-]*$"
PROCEDURE_ID_PATTERN = r"^[a-z0-9][a-z0-9_\-]*$"

NodeId = Annotated[
    str,
    Field(
        pattern=NODE_ID_PATTERN,
        max_length=64,
        description="Id of a node in this procedure (lower case, digits, '_' or '-').",
    ),
]
ConnectorRef = Annotated[
    int | Literal["$connector"],
    Field(description="Connector number (0 = whole charger) or '$connector' (session's one)."),
]


class _Strict(BaseModel):
    """Unknown keys are errors: a typo in a YAML key must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --------------------------------------------------------------------------- metadata


class ProcedureStatus(StrEnum):
    draft = "draft"
    published = "published"
    retired = "retired"


class SafetyLevel(StrEnum):
    """How dangerous the work is. A step (node) at ``electrical`` or ``high_voltage`` is a
    hazard: the engine lets a person into it only with the level's minimum qualification and
    the step's own ``qualifications`` (else the session goes to a consultant with the reason),
    and they acknowledge the isolation before the step is shown as theirs to do. A procedure's
    level is the highest level of its steps (the validator checks both ways)."""

    remote_only = "remote_only"  # nothing is touched; remote commands and observation
    basic = "basic"  # outside of the enclosure: reseat a cable, look at LEDs, press a button
    electrical = "electrical"  # enclosure opened, low-voltage parts: qualified electrician
    high_voltage = "high_voltage"  # DC / HV parts: certified HV technician, lock-out/tag-out


SAFETY_RANK = {
    SafetyLevel.remote_only: 0,
    SafetyLevel.basic: 1,
    SafetyLevel.electrical: 2,
    SafetyLevel.high_voltage: 3,
}
HAZARD_LEVELS = frozenset({SafetyLevel.electrical, SafetyLevel.high_voltage})
# The qualification a hazardous level needs whatever the step adds (the docstrings above).
LEVEL_MINIMUM: dict[SafetyLevel, Qualification] = {
    SafetyLevel.electrical: Qualification.electrician,
    SafetyLevel.high_voltage: Qualification.hv_dc,
}
# What the person confirms before a hazardous step, unless the step words it itself. The safe
# isolation sequence of HSE GS38 / EN 50110-1 (the "five safety rules"): isolate, secure
# against re-closing (lock off), prove the tester on a known source, test dead, prove again.
DEFAULT_ACKNOWLEDGEMENT: dict[SafetyLevel, str] = {
    SafetyLevel.electrical: (
        "I have isolated the charger's supply, locked it off, and proven it dead at the "
        "point of work with a voltage tester that I proved on a known source before and "
        "after the test."
    ),
    SafetyLevel.high_voltage: (
        "I have isolated and locked off the AC supply, waited the DC-link discharge time on "
        "the charger's label, and proven the DC parts dead with a tester rated for them that "
        "I proved on a known source before and after the test."
    ),
}


class AppliesTo(_Strict):
    """When this procedure is a candidate. Empty lists mean "any"; the retrieval service ranks."""

    vendors: list[str] = Field(
        default_factory=list, description="Vendor names as chargers report them, e.g. 'Voltara'."
    )
    models: list[str] = Field(
        default_factory=list, description="Model names as chargers report them, e.g. 'WB-22'."
    )
    ocpp_versions: list[Literal["1.6", "2.0.1"]] = Field(
        default_factory=list, description="OCPP versions the steps work with."
    )
    error_codes: list[str] = Field(
        default_factory=list,
        description="OCPP 1.6 StatusNotification errorCode values, e.g. 'GroundFailure'.",
    )
    vendor_error_codes: list[str] = Field(
        default_factory=list, description="Vendor error codes, e.g. 'E-101' or 'HX-1104'."
    )
    connector_statuses: list[str] = Field(
        default_factory=list, description="Connector statuses, e.g. 'Faulted', 'Unavailable'."
    )
    symptoms: list[str] = Field(
        default_factory=list,
        description="Symptom keywords in the partner's words, e.g. 'cable stuck', 'no display'.",
    )
    fault_keys: list[str] = Field(
        default_factory=list,
        description="Canonical fault keys (knowledge_base/fault_codes/faults.yaml), "
        "e.g. 'connector_lock_failure'.",
    )


# --------------------------------------------------------------------------- live-state conditions


class StateCondition(_Strict):
    """A test on the charger's live state. All fields that are set must hold (logical AND).

    Connector-level fields (``status_in``, ``status_not_in``, ``error_code``,
    ``error_code_in``, ``vendor_error_code``, ``in_transaction`` with a connector) apply to
    the connector named by ``connector`` (default ``$connector``).
    Examples: ``{connector: 1, status_in: [Available], error_code: NoError}``,
    ``{online: true}``, ``{no_open_faults: true}``.
    """

    online: bool | None = Field(None, description="The charger is (true) / is not (false) online.")
    ocpp_version: Literal["1.6", "2.0.1"] | None = Field(
        None,
        description="The charger speaks this OCPP version (a vendor key is written without its "
        "component on 1.6, as Component.Variable on 2.0.1).",
    )
    connector: ConnectorRef = Field(
        "$connector", description="Which connector the connector-level fields look at."
    )
    status_in: list[str] | None = Field(
        None, description="Connector status is one of these, e.g. [Available, Preparing]."
    )
    status_not_in: list[str] | None = Field(
        None, description="Connector status is none of these, e.g. [Faulted, Unavailable]."
    )
    error_code: str | None = Field(None, description="Connector error code equals this.")
    error_code_in: list[str] | None = Field(
        None, description="Connector error code is one of these."
    )
    vendor_error_code: str | None = Field(
        None, description="Connector vendor error code equals this."
    )
    no_open_faults: bool | None = Field(
        None, description="true: the charger has no open fault; false: it has at least one."
    )
    fault_open: str | None = Field(
        None,
        description="A fault is open on the charger whose vendor error code belongs to this "
        "canonical fault key (e.g. 'ground_fault'), or whose vendor / OCPP error code is this.",
    )
    fault_not_open: str | None = Field(
        None, description="No open fault matches this fault key or code (see fault_open)."
    )
    restart_known: str | None = Field(
        None,
        pattern=r"^[a-z][a-z0-9_]{0,63}$",
        description="The fault-code catalogue names a remote restart of the part behind this "
        "fault key (e.g. payment_terminal_failure) for this charger's model and OCPP version: "
        "a restart_peripheral step can go.",
    )
    in_transaction: bool | None = Field(
        None,
        description="A transaction is (true) / is not (false) running on the connector "
        "(connector 0: anywhere on the charger).",
    )
    energy_flowing: bool | None = Field(
        None,
        description="true: a transaction runs on the connector and a meter reading after its "
        "start shows energy delivered (register above the start value) or power above zero "
        "(a test charge's proof); false: no such reading.",
    )
    any_of: list[StateCondition] | None = Field(
        None, description="At least one of these conditions holds."
    )
    not_: StateCondition | None = Field(
        None, alias="not", description="This condition does not hold."
    )

    @model_validator(mode="after")
    def _not_empty(self) -> StateCondition:
        tests = self.model_dump(exclude={"connector"}, exclude_none=True)
        if not tests:
            raise ValueError("a state condition needs at least one test (e.g. online: true)")
        return self


# --------------------------------------------------------------------------- command parameters
# Commands and their parameters come from the one command catalogue (app/commands/catalogue.py).
# A procedure may write ``$connector`` for a connector id; for commands that act on one
# connector, an omitted connector_id means the session's connector too. ``$test_token`` is
# the id token of a test charge (settings test_charge_id_tag), for a remote_start step.

CommandName = Literal[COMMANDS]  # type: ignore[valid-type]
SESSION_CONNECTOR_COMMANDS = frozenset(
    {"unlock_connector", "change_availability", "remote_stop", "remote_start"}
)
DEFAULT_TEST_TOKEN = "CHARGEFIX-TEST"  # settings test_charge_id_tag's default


def command_params(
    command: str, params: dict[str, Any], connector_id: int, test_token: str = DEFAULT_TEST_TOKEN
) -> CommandParams:
    """The catalogue's parameters for a step, with ``$connector`` and ``$test_token``
    resolved; raises InvalidCommand when they do not fit the command."""
    values = dict(params)
    if command in SESSION_CONNECTOR_COMMANDS:
        values.setdefault("connector_id", "$connector")
    placeholders: dict[str, Any] = {"$connector": connector_id, "$test_token": test_token}
    resolved = {
        k: placeholders[v] if isinstance(v, str) and v in placeholders else v
        for k, v in values.items()
    }
    return parse_params(command, resolved)


# --------------------------------------------------------------------------- nodes


class NodeBase(_Strict):
    id: NodeId = Field(..., description="Unique id of this node within the procedure.")
    title: str = Field(..., min_length=1, description="Short heading shown for this step.")
    text: str = Field("", description="Body shown to the partner (Markdown).")
    image: str | None = Field(
        None, description="Optional image: path relative to the knowledge base, or a URL."
    )
    safety_warning: str | None = Field(
        None, description="Shown prominently before the step (e.g. 'Switch off the breaker')."
    )
    max_visits: int | None = Field(
        None,
        ge=1,
        description="Loop bound: this node may be entered at most this many times in a "
        "session. Every loop must contain a node with max_visits.",
    )
    on_exhausted: NodeId | None = Field(
        None,
        description="Where to go when max_visits is exceeded; omitted = escalate to a "
        "consultant. Must not lead back into the loop.",
    )
    safety_level: SafetyLevel | None = Field(
        None,
        description="How dangerous this step is. electrical / high_voltage: only a person with "
        "the level's qualification (electrician / hv_dc) and this step's qualifications is let "
        "in, after acknowledging the isolation; anyone else is handed to a consultant with "
        "the reason and never shown the step. Omitted: no hazard beyond the procedure's basics.",
    )
    qualifications: list[Qualification] = Field(
        default_factory=list,
        description="Qualifications this step needs (every one of them); a hazardous step must "
        "name at least its level's minimum.",
    )
    acknowledgement: str | None = Field(
        None,
        description="Hazardous steps: what the person confirms before the step (default: the "
        "safe isolation statement of the step's level).",
    )
    interrupts_supply: bool = Field(
        False,
        description="This step switches the charger's supply off (power cycle, breaker, "
        "isolation): it must be entered only from a check_state branch that found no charge "
        "running on the charger (connector 0, in_transaction: false).",
    )

    @property
    def hazardous(self) -> bool:
        return self.safety_level in HAZARD_LEVELS

    def required_qualifications(self) -> list[Qualification]:
        """What a person must hold to enter this step (empty: anyone)."""
        needed = set(self.qualifications)
        if self.safety_level in LEVEL_MINIMUM:
            needed.add(LEVEL_MINIMUM[self.safety_level])
        return sorted(needed, key=str)

    def acknowledgement_text(self) -> str | None:
        if not self.hazardous:
            return None
        assert self.safety_level is not None
        return self.acknowledgement or DEFAULT_ACKNOWLEDGEMENT[self.safety_level]

    def successors(self) -> list[tuple[str, str]]:
        """(branch label, target node id) for every outgoing edge, the loop exit included."""
        return [(label, target) for label, target, _ in self.edges()]

    def edges(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        """(branch label, target node id, location of the reference inside the node)."""
        edges = self._edges()
        if self.on_exhausted:
            edges.append(("exhausted", self.on_exhausted, ("on_exhausted",)))
        return edges

    def _edges(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        return []


class InstructionNode(NodeBase):
    """Tell the partner to do or look at something; they confirm and move on."""

    type: Literal["instruction"] = "instruction"
    next: NodeId = Field(..., description="Node that follows when the partner confirms.")
    confirm_label: str = Field("Done", description="Label of the confirm button.")

    def _edges(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        return [("next", self.next, ("next",))]


class YesNoQuestion(NodeBase):
    """A yes/no question. (Keys are on_yes/on_no: bare yes/no are booleans in YAML 1.1.)"""

    type: Literal["question"] = "question"
    kind: Literal["yes_no"] = Field(..., description="Question kind.")
    on_yes: NodeId = Field(..., description="Node after the answer yes.")
    on_no: NodeId = Field(..., description="Node after the answer no.")

    def _edges(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        return [("yes", self.on_yes, ("on_yes",)), ("no", self.on_no, ("on_no",))]


class Choice(_Strict):
    value: str = Field(
        ..., pattern=NODE_ID_PATTERN, description="Machine value of the answer (stored)."
    )
    label: str = Field(..., min_length=1, description="What the partner sees.")
    next: NodeId = Field(..., description="Node after this answer.")


class ChoiceQuestion(NodeBase):
    """Pick one of several answers."""

    type: Literal["question"] = "question"
    kind: Literal["choice"] = Field(..., description="Question kind.")
    choices: list[Choice] = Field(..., min_length=2, description="The possible answers.")

    @model_validator(mode="after")
    def _unique_values(self) -> ChoiceQuestion:
        values = [c.value for c in self.choices]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise ValueError(f"duplicate choice values: {', '.join(dupes)}")
        return self

    def _edges(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        return [
            (f"choice:{c.value}", c.next, ("choices", i, "next"))
            for i, c in enumerate(self.choices)
        ]


class ExpectedRange(_Strict):
    min: float | None = Field(None, description="Lowest acceptable value (inclusive).")
    max: float | None = Field(None, description="Highest acceptable value (inclusive).")

    @model_validator(mode="after")
    def _bounds(self) -> ExpectedRange:
        if self.min is None and self.max is None:
            raise ValueError("expected range needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"expected range min {self.min} is above max {self.max}")
        return self


class MeasurementQuestion(NodeBase):
    """The partner measures something (e.g. voltage at the terminals) and types the value."""

    type: Literal["question"] = "question"
    kind: Literal["measurement"] = Field(..., description="Question kind.")
    unit: str = Field(..., min_length=1, description="Unit of the value, e.g. 'V', 'Ohm', 'mA'.")
    expected: ExpectedRange = Field(..., description="Range that counts as normal.")
    in_range: NodeId = Field(..., description="Node when the value is within the range.")
    out_of_range: NodeId = Field(
        ..., description="Node when the value is outside the range (unless below/above is set)."
    )
    below: NodeId | None = Field(None, description="Node when the value is below min.")
    above: NodeId | None = Field(None, description="Node when the value is above max.")

    def _edges(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        edges = [
            ("in_range", self.in_range, ("in_range",)),
            ("out_of_range", self.out_of_range, ("out_of_range",)),
        ]
        if self.below:
            edges.append(("below", self.below, ("below",)))
        if self.above:
            edges.append(("above", self.above, ("above",)))
        return edges


QuestionNode = Annotated[
    YesNoQuestion | ChoiceQuestion | MeasurementQuestion, Field(discriminator="kind")
]


class RemoteActionNode(NodeBase):
    """Send a command to the charger, then wait until the live state meets a condition.

    Outcomes: the charger accepted and ``wait`` held within ``timeout_seconds`` → on_success;
    the charger rejected / did not answer / a guardrail blocked the command → on_failure;
    accepted but ``wait`` never held → on_timeout. ``retries`` re-sends the command that many
    extra times before taking on_failure / on_timeout (a bounded retry without a graph loop).
    """

    type: Literal["remote_action"] = "remote_action"
    command: CommandName = Field(..., description="Backend command to send.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="Command parameters (checked per command)."
    )
    confirmation: str | None = Field(
        None,
        description="If set, the partner must confirm this text before the command is sent "
        "(e.g. 'The charger will restart; any charging stops.').",
    )
    allow_during_transaction: bool = Field(
        False,
        description="remote_stop / change_availability only: allow the command while a "
        "transaction runs (the partner must then confirm). false: the command is blocked and "
        "the node takes on_failure. Refused on reset and unlock_connector: those wait for the "
        "charge to end instead (idle_timeout_seconds).",
    )
    idle_timeout_seconds: float = Field(
        3600.0,
        gt=0,
        le=4 * 3600,
        description="reset / unlock_connector during a charge: how long the step waits for the "
        "charge to end before it takes on_timeout (else on_failure). A 2.0.1 soft reset is "
        "sent at once as OnIdle (Scheduled); this bounds the wait for its reboot too.",
    )
    wait: StateCondition | None = Field(
        None, description="Live-state condition that means success; omitted = accepted is enough."
    )
    timeout_seconds: float = Field(
        120.0, gt=0, le=3600, description="How long to wait for the condition."
    )
    after_change: bool | None = Field(
        None,
        description="Only count the wait condition once the live state has changed after the "
        "command (so a reset is not 'done' before the charger even restarted). "
        "Default: true for reset, false for other commands.",
    )
    retries: int = Field(
        0, ge=0, le=5, description="Extra attempts before taking on_failure / on_timeout."
    )
    on_success: NodeId = Field(..., description="Node when the command worked.")
    on_failure: NodeId = Field(..., description="Node when the command failed or was blocked.")
    on_timeout: NodeId | None = Field(
        None, description="Node when the wait timed out; omitted = on_failure."
    )

    @field_validator("params")
    @classmethod
    def _check_params(cls, params: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        command = info.data.get("command")
        if command is None:
            return params  # the command error is reported on its own
        try:
            command_params(command, params, 1)
        except InvalidCommand as exc:
            raise ValueError(str(exc)) from None
        return params

    @property
    def needs_change(self) -> bool:
        return self.after_change if self.after_change is not None else self.command == "reset"

    def typed_params(
        self, connector_id: int = 1, test_token: str = DEFAULT_TEST_TOKEN
    ) -> CommandParams:
        return command_params(self.command, self.params, connector_id, test_token)

    def _edges(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        edges = [
            ("success", self.on_success, ("on_success",)),
            ("failure", self.on_failure, ("on_failure",)),
        ]
        if self.on_timeout:
            edges.append(("timeout", self.on_timeout, ("on_timeout",)))
        return edges


class StateBranch(_Strict):
    when: StateCondition = Field(..., description="Condition on the live state.")
    next: NodeId = Field(..., description="Node when the condition holds.")


class CheckStateNode(NodeBase):
    """Branch on the charger's live state without asking anyone; the first matching branch wins."""

    type: Literal["check_state"] = "check_state"
    branches: list[StateBranch] = Field(..., min_length=1, description="Tried in order.")
    otherwise: NodeId = Field(..., description="Node when no branch matches.")

    def _edges(self) -> list[tuple[str, str, tuple[str | int, ...]]]:
        edges = [
            (f"branch:{i}", b.next, ("branches", i, "next")) for i, b in enumerate(self.branches)
        ]
        edges.append(("otherwise", self.otherwise, ("otherwise",)))
        return edges


class Outcome(StrEnum):
    resolved = "resolved"
    escalate = "escalate"
    site_visit = "site_visit"
    vehicle_side = "vehicle_side"
    not_reproducible = "not_reproducible"


class TerminalNode(NodeBase):
    """End of the procedure. ``escalate`` hands the session to a consultant."""

    type: Literal["terminal"] = "terminal"
    outcome: Outcome = Field(..., description="How the session ends.")
    diagnosis: str | None = Field(
        None, description="What the fault was (goes into the exported ticket)."
    )
    resolution: str | None = Field(
        None, description="What fixed it / what happens next (goes into the exported ticket)."
    )
    parts: list[str] = Field(
        default_factory=list, description="site_visit: parts the technician must bring."
    )
    priority: Literal["low", "normal", "high", "urgent"] = Field(
        "normal", description="escalate / site_visit: priority of the handoff."
    )

    @model_validator(mode="after")
    def _parts_only_for_site_visit(self) -> TerminalNode:
        if self.parts and self.outcome is not Outcome.site_visit:
            raise ValueError("parts are only meaningful for outcome site_visit")
        return self


Node = Annotated[
    InstructionNode | QuestionNode | RemoteActionNode | CheckStateNode | TerminalNode,
    Field(discriminator="type"),
]


class Procedure(_Strict):
    """One troubleshooting procedure (decision tree)."""

    id: str = Field(
        ..., pattern=PROCEDURE_ID_PATTERN, max_length=80, description="Stable id (slug)."
    )
    title: str = Field(..., min_length=1, description="Title shown in lists.")
    version: int = Field(1, ge=1, description="Version number; editing in the app adds one.")
    status: ProcedureStatus = Field(
        ProcedureStatus.draft, description="draft (may be invalid), published, or retired."
    )
    summary: str = Field("", description="One or two sentences: when to use it, what it does.")
    applies_to: AppliesTo = Field(
        default_factory=AppliesTo, description="When this procedure is a candidate."
    )
    safety_level: SafetyLevel = Field(
        SafetyLevel.remote_only, description="Most dangerous work in any step."
    )
    qualifications: list[Qualification] = Field(
        default_factory=list,
        description="Every qualification any step needs (the steps' own lists, their levels' "
        "minimums included), e.g. [electrician].",
    )
    tools: list[str] = Field(default_factory=list, description="Tools the partner needs.")
    parts: list[str] = Field(default_factory=list, description="Spare parts that may be used.")
    estimated_minutes: int = Field(10, ge=1, le=600, description="Typical duration.")
    start: NodeId = Field(..., description="Id of the first node.")
    nodes: list[Node] = Field(..., min_length=1, description="All nodes, in reading order.")

    def node(self, node_id: str) -> Any:
        """The node with this id (KeyError if none)."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def node_map(self) -> dict[str, Any]:
        return {node.id: node for node in self.nodes}


def procedure_json_schema() -> dict[str, Any]:
    """JSON Schema of the procedure format, for editors (YAML language servers)."""
    schema = Procedure.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ChargeFix troubleshooting procedure"
    return schema
