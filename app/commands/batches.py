"""Several variables per request, within the charger's own limit.

OCPP 2.0.1 stations say how many items one GetVariables/SetVariables may carry
(DeviceDataCtrlr.ItemsPerMessage, instances ``GetVariables`` and ``SetVariables``; a station
may answer a longer request with a CALLERROR OccurrenceConstraintViolation). A ``get_variables``
or ``set_variables`` command longer than that is split here into several catalogue commands,
each of which passes the command gateway (guards, audit) on its own; their results are joined
in order. The limit is asked once per charger connection, through the gateway too.
"""

from __future__ import annotations

from typing import Any

from app.commands.catalogue import MAX_VARIABLES
from app.commands.gateway import Actor, CommandGateway, CommandRequest, CommandResult
from app.errors import CommandError

BATCHED = {  # command -> (DeviceDataCtrlr.ItemsPerMessage instance, result list in the answer)
    "get_variables": ("GetVariables", "getVariableResult"),
    "set_variables": ("SetVariables", "setVariableResult"),
}


class ItemLimits:
    """The ItemsPerMessage a charger reported, per instance; asked again after the charger
    reconnects or reboots (a firmware update may change it)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], tuple[Any, int]] = {}

    async def limit(
        self, gateway: CommandGateway, charger_id: str, instance: str, actor: Actor
    ) -> int:
        state = gateway.fleet.get(charger_id)
        epoch = (state.connected_since, state.boot_count) if state is not None else None
        known = self._known.get((charger_id, instance))
        if known is not None and known[0] == epoch:
            return known[1]
        size = await _ask(gateway, charger_id, instance, actor)
        self._known[(charger_id, instance)] = (epoch, size)
        return size


async def _ask(gateway: CommandGateway, charger_id: str, instance: str, actor: Actor) -> int:
    """One item: fits any limit. Unknown or unreadable: no split (the charger answers)."""
    request = CommandRequest(
        charger_id=charger_id,
        command="get_variables",
        params={
            "variables": [
                {
                    "component": "DeviceDataCtrlr",
                    "variable": "ItemsPerMessage",
                    "instance": instance,
                }
            ]
        },
    )
    try:
        result = await gateway.execute(request, actor)
    except CommandError:
        return MAX_VARIABLES
    for item in result.response.get("getVariableResult", []):
        value = str(item.get("attributeValue", ""))
        if item.get("attributeStatus") == "Accepted" and value.isdigit() and int(value) > 0:
            return int(value)
    return MAX_VARIABLES


async def execute(
    gateway: CommandGateway, request: CommandRequest, actor: Actor, limits: ItemLimits
) -> CommandResult:
    """Run a command; a long get_variables/set_variables goes as several requests."""
    variables = request.params.get("variables")
    if (
        request.command not in BATCHED
        or not isinstance(variables, list)
        or len(variables) <= 1  # one item fits any limit
        or gateway.link.ocpp_version(request.charger_id) == "1.6"
    ):
        return await gateway.execute(request, actor)
    instance, result_key = BATCHED[request.command]
    size = await limits.limit(gateway, request.charger_id, instance, actor)
    if len(variables) <= size:
        return await gateway.execute(request, actor)
    parts = []
    for start in range(0, len(variables), size):
        chunk = request.model_copy(
            update={"params": {**request.params, "variables": variables[start : start + size]}}
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
