"""Several variables per request, within the charger's own limits.

OCPP 2.0.1 stations say how many items one GetVariables/SetVariables may carry
(DeviceDataCtrlr.ItemsPerMessage) and how many bytes the message may have
(DeviceDataCtrlr.BytesPerMessage), each with the instances ``GetVariables`` and
``SetVariables``; a longer request may be answered with a CALLERROR
OccurrenceConstraintViolation (too many items) or FormatViolation (too many bytes). A
``get_variables`` or ``set_variables`` command beyond either limit is split here into several
catalogue commands, each of which passes the command gateway (guards, audit) on its own; their
results are joined in order. The limits come from the charger's stored inventory (a
FullInventory or ConfigurationInventory report lists DeviceDataCtrlr) when it has them, else
they are asked once per charger connection, through the gateway too, one variable at a time.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ocpp.charge_point import remove_nones, snake_to_camel_case
from pydantic import ValidationError

from app.commands.catalogue import MAX_VARIABLES, GetVariablesParams, SetVariablesParams
from app.commands.gateway import Actor, CommandGateway, CommandRequest, CommandResult
from app.errors import BadCommand, CommandError

BATCHED = {  # command -> (DeviceDataCtrlr instance, result list in the answer, OCPP action)
    "get_variables": ("GetVariables", "getVariableResult", "getVariableData"),
    "set_variables": ("SetVariables", "setVariableResult", "setVariableData"),
}
# An OCPP-J CALL is [2,"<unique id>","<action>",{payload}]; ours have uuid4 ids (36 chars).
UNIQUE_ID_CHARS = 36


@dataclass(frozen=True)
class Limits:
    items: int = MAX_VARIABLES
    bytes: int | None = None  # None: the charger did not say


# charger id -> {(variable, instance): value} from its stored inventory (None: nothing stored)
StoredLimits = Callable[[str], Awaitable[dict[tuple[str, str | None], int]]]


class ItemLimits:
    """The ItemsPerMessage and BytesPerMessage a charger reported, per instance; asked again
    after the charger reconnects or reboots (a firmware update may change them)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], tuple[Any, Limits]] = {}

    async def limits(
        self,
        gateway: CommandGateway,
        charger_id: str,
        instance: str,
        actor: Actor,
        stored: StoredLimits | None = None,
    ) -> Limits:
        state = gateway.fleet.get(charger_id)
        epoch = (state.connected_since, state.boot_count) if state is not None else None
        known = self._known.get((charger_id, instance))
        if known is not None and known[0] == epoch:
            return known[1]
        reported = await stored(charger_id) if stored is not None else {}
        items = reported.get(("ItemsPerMessage", instance))
        size = reported.get(("BytesPerMessage", instance))
        if items is None:
            items = await _ask(gateway, charger_id, "ItemsPerMessage", instance, actor)
        if size is None:
            size = await _ask(gateway, charger_id, "BytesPerMessage", instance, actor)
        limits = Limits(items=items or MAX_VARIABLES, bytes=size)
        self._known[(charger_id, instance)] = (epoch, limits)
        return limits


async def _ask(
    gateway: CommandGateway, charger_id: str, variable: str, instance: str, actor: Actor
) -> int | None:
    """One item: fits any item limit. Unknown or unreadable: None (the charger answers)."""
    request = CommandRequest(
        charger_id=charger_id,
        command="get_variables",
        params={
            "variables": [
                {"component": "DeviceDataCtrlr", "variable": variable, "instance": instance}
            ]
        },
    )
    try:
        result = await gateway.execute(request, actor)
    except CommandError:
        return None
    for item in result.response.get("getVariableResult", []):
        value = str(item.get("attributeValue", ""))
        if item.get("attributeStatus") == "Accepted" and value.isdigit() and int(value) > 0:
            return int(value)
    return None


def item_sizes(command: str, params: dict[str, Any]) -> list[int] | None:
    """Each variable's bytes in the request's JSON (None: the parameters are bad, and the
    gateway will say why)."""
    model = GetVariablesParams if command == "get_variables" else SetVariablesParams
    try:
        parsed = model.model_validate(params)
    except ValidationError:
        return None
    sizes = []
    for v in parsed.variables:
        data = v.as_ocpp()
        if isinstance(parsed, SetVariablesParams):
            data = {"attribute_value": v.value, **data}  # type: ignore[attr-defined]
        text = json.dumps(snake_to_camel_case(remove_nones(data)), separators=(",", ":"))
        sizes.append(len(text.encode()))
    return sizes


def frame_bytes(action: str, data_key: str, sizes: list[int]) -> int:
    """The CALL frame's bytes for these items: [2,"id","Action",{"dataKey":[i1,i2]}]."""
    head = len(f'[2,"","{action}",{{"{data_key}":[]}}]') + UNIQUE_ID_CHARS
    return head + sum(sizes) + max(len(sizes) - 1, 0)


def split(action: str, data_key: str, sizes: list[int], limits: Limits) -> list[tuple[int, int]]:
    """[start, end) ranges of items, each within ItemsPerMessage and BytesPerMessage."""
    ranges: list[tuple[int, int]] = []
    start = 0
    for index, _ in enumerate(sizes):
        if index == start:
            continue
        chunk = sizes[start : index + 1]
        too_many = len(chunk) > limits.items
        too_big = limits.bytes is not None and frame_bytes(action, data_key, chunk) > limits.bytes
        if too_many or too_big:
            ranges.append((start, index))
            start = index
    ranges.append((start, len(sizes)))
    if limits.bytes is not None:
        for first, _end in ranges:
            alone = frame_bytes(action, data_key, sizes[first : first + 1])
            if alone > limits.bytes and _end - first == 1:
                raise BadCommand(
                    f"variables.{first}: {alone} bytes alone, more than the charger's "
                    f"BytesPerMessage ({limits.bytes}) for {action}"
                )
    return ranges


async def execute(
    gateway: CommandGateway,
    request: CommandRequest,
    actor: Actor,
    limits: ItemLimits,
    stored: StoredLimits | None = None,
) -> CommandResult:
    """Run a command; a get_variables/set_variables beyond the charger's limits goes as
    several requests."""
    variables = request.params.get("variables")
    if (
        request.command not in BATCHED
        or not isinstance(variables, list)
        or len(variables) <= 1  # one item: nothing to split
        or gateway.link.ocpp_version(request.charger_id) == "1.6"
    ):
        return await gateway.execute(request, actor)
    sizes = item_sizes(request.command, request.params)
    if sizes is None:
        return await gateway.execute(request, actor)  # refused there, by name
    instance, result_key, data_key = BATCHED[request.command]
    known = await limits.limits(gateway, request.charger_id, instance, actor, stored)
    ranges = split(instance, data_key, sizes, known)
    if len(ranges) == 1:
        return await gateway.execute(request, actor)
    parts = []
    for start, end in ranges:
        chunk = request.model_copy(
            update={"params": {**request.params, "variables": variables[start:end]}}
        )
        parts.append(await gateway.execute(chunk, actor))
    return _joined(parts, result_key)


def _joined(parts: list[CommandResult], result_key: str) -> CommandResult:
    first = parts[0]
    results: list[Any] = []
    sent: list[Any] = []
    for part in parts:
        results.extend(part.response.get(result_key, []))
        sent.append(part.request)
    overrides = tuple(dict.fromkeys(o for p in parts for o in p.overrides))
    return CommandResult(
        charger_id=first.charger_id,
        command=first.command,
        ocpp_action=first.ocpp_action,
        request={"requests": sent},
        response={result_key: results},
        round_trip_ms=round(sum(p.round_trip_ms for p in parts), 2),
        status=None,
        overrides=overrides,
    )
