"""Over- or under-voltage from the monitor that fired, never guessed (issue 13).

OCPP 2.0.1 N04: ChargeFix sets an UpperThreshold and a LowerThreshold monitor on the supply
voltage at boot (app/diagnosis/proactive.py) and keeps the id the station gives each. N07: the
NotifyEvent of a monitor's crossing carries that variableMonitoringId. Without it, the value is
compared with the nominal voltage the station reported; without that, it is "voltage out of
range", never a direction.
"""

from __future__ import annotations

from typing import Any

from ocpp.v201 import call as call201

from app.csms.faults_v201 import read_fault_event, voltage_direction
from app.csms.monitoring import read_monitors, voltage_thresholds
from tests.chargers import connected, eventually, now
from tests.diagnosis.test_real_faces import charger_at


def voltage_event(value: str, monitor_id: int | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": 7,
        "timestamp": now(),
        "trigger": "Alerting",
        "actual_value": value,
        "event_notification_type": "CustomMonitor" if monitor_id else "HardWiredMonitor",
        "component": {"name": "ElectricalFeed"},
        "variable": {"name": "ACVoltage"},
    }
    if monitor_id is not None:
        event["variable_monitoring_id"] = monitor_id
    return event


def test_direction_comes_from_the_monitor_then_the_nominal_else_none() -> None:
    monitors = {3: "over", 4: "under"}
    # the monitor decides, whatever the value looks like
    assert read_fault_event(voltage_event("236.0", 3), monitors).direction == "over"
    assert read_fault_event(voltage_event("236.0", 4), monitors).direction == "under"
    # an id that is not ours, no nominal: out of range, no direction
    assert read_fault_event(voltage_event("264.8", 9), monitors).direction is None
    assert read_fault_event(voltage_event("188.2")).direction is None
    # the nominal voltage the station reported
    assert voltage_direction("264.8", None, 230.0) == "over"
    assert voltage_direction("188.2", None, 230.0) == "under"
    assert voltage_direction("230.5", None, 230.0) is None
    # a 120 V station at 140 V is over; a 230 V guess would have said under
    assert voltage_direction("140", None, 120.0) == "over"
    assert voltage_direction("not a number", None, 230.0) is None


def monitor_ids(charger: Any) -> dict[str, int]:
    """The ids the test station gave our ACVoltage threshold monitors (its answer numbers the
    monitors 1.. in the order of the request)."""
    data = next(kw["data"] for name, kw in charger.received if name == "SetVariableMonitoring")
    return {
        d["type"]: i + 1
        for i, d in enumerate(data)
        if d["variable"]["name"] == "ACVoltage" and d["type"].endswith("Threshold")
    }


async def test_voltage_alert_direction_follows_our_monitor_ids(make_backend) -> None:
    backend = await make_backend(diagnosis_time_scale=1000.0)
    async with charger_at(backend, "SITE-860-DC-01", "2.0.1") as charger:
        await charger.status(1, "Available")
        await eventually(lambda: backend.state.live.get("SITE-860-DC-01").voltage_monitors)
        ids = monitor_ids(charger)
        assert set(ids) == {"UpperThreshold", "LowerThreshold"}
        live = backend.state.live
        for kind, value, key in (
            ("UpperThreshold", "258.1", "over_voltage"),
            ("LowerThreshold", "201.3", "under_voltage"),
        ):
            await charger.call(
                call201.NotifyEvent(
                    generated_at=now(), seq_no=0, event_data=[voltage_event(value, ids[kind])]
                )
            )
            faults = live.get("SITE-860-DC-01").open_faults
            assert [f.classification.fault_key for f in faults] == [key], kind
            await charger.call(
                call201.NotifyEvent(
                    generated_at=now(),
                    seq_no=0,
                    event_data=[voltage_event("230.0") | {"cleared": True}],
                )
            )
            assert live.get("SITE-860-DC-01").open_faults == []


# The station's own record of its voltage threshold monitors (N02 MonitoringDataType): ids
# it gave when an earlier boot set them, and a Delta monitor that names no direction.
KEPT_MONITORS = [
    {
        "component": {"name": "ElectricalFeed"},
        "variable": {"name": "ACVoltage"},
        "variable_monitoring": [
            {
                "id": 41,
                "transaction": False,
                "value": 253.0,
                "type": "UpperThreshold",
                "severity": 4,
            },
            {
                "id": 42,
                "transaction": False,
                "value": 207.0,
                "type": "LowerThreshold",
                "severity": 4,
            },
            {"id": 43, "transaction": False, "value": 5.0, "type": "Delta", "severity": 4},
        ],
    },
    {
        "component": {"name": "ChargingStation"},
        "variable": {"name": "Overload"},
        "variable_monitoring": [
            {"id": 44, "transaction": False, "value": 1, "type": "UpperThreshold", "severity": 4}
        ],
    },
]


def test_voltage_thresholds_of_a_monitoring_report() -> None:
    rows = [row for data in KEPT_MONITORS for row in read_monitors(data)]
    # the supply voltage's thresholds by id; the Delta monitor and other variables are not
    assert voltage_thresholds(rows) == {41: "over", 42: "under"}


async def test_monitors_the_station_kept_are_found_by_their_report(make_backend) -> None:
    """A station that kept our monitors across a reboot answers the same set with Duplicate
    and no id (as EVerest's libocpp does); one that never answers tells nothing. Either way
    ChargeFix asks for the station's voltage threshold monitors (N02, filtered) and takes
    their ids from the report, so an alert names its direction."""
    backend = await make_backend(diagnosis_time_scale=1000.0, command_timeout=1.0)
    live = backend.state.live
    for n, answer in enumerate(("Duplicate", "never")):
        charger_id = f"SITE-86{2 + n}-DC-01"
        await backend.register(charger_id)
        async with connected(backend.ocpp_url, charger_id, "2.0.1") as charger:
            charger.monitoring_answer = answer
            charger.monitors = KEPT_MONITORS
            await charger.boot(vendor="Pionix", model="Everest-DC")
            await eventually(lambda c=charger_id: live.get(c).voltage_monitors, timeout=10)
            (asked,) = [kw for name, kw in charger.received if name == "GetMonitoringReport"]
            assert asked["monitoring_criteria"] == ["ThresholdMonitoring"], answer
            assert asked["component_variable"] == [
                {"component": {"name": "ElectricalFeed"}, "variable": {"name": "ACVoltage"}}
            ], answer
            assert live.get(charger_id).voltage_monitors == {41: "over", 42: "under"}, answer
            await charger.call(
                call201.NotifyEvent(
                    generated_at=now(), seq_no=0, event_data=[voltage_event("236.0", 42)]
                )
            )
            (fault,) = live.get(charger_id).open_faults
            assert fault.classification.fault_key == "under_voltage", answer


async def test_monitors_given_ids_are_not_asked_again(make_backend) -> None:
    backend = await make_backend(diagnosis_time_scale=1000.0)
    async with charger_at(backend, "SITE-864-DC-01", "2.0.1") as charger:
        await eventually(lambda: backend.state.live.get("SITE-864-DC-01").voltage_monitors)
        # the boot's requests have all been sent and answered
        await eventually(lambda: not backend.state.diagnosis._background, timeout=10)
        assert "SetVariableMonitoring" in [name for name, _ in charger.received]
        assert "GetMonitoringReport" not in [name for name, _ in charger.received]


async def test_without_monitor_or_nominal_it_is_out_of_range_then_nominal_decides(
    make_backend,
) -> None:
    backend = await make_backend(diagnosis_enabled=False)  # no monitors are set
    async with charger_at(backend, "SITE-861-DC-01", "2.0.1") as charger:
        live = backend.state.live
        await charger.call(
            call201.NotifyEvent(generated_at=now(), seq_no=0, event_data=[voltage_event("140")])
        )
        (fault,) = live.get("SITE-861-DC-01").open_faults
        assert fault.direction is None and fault.classification.fault_key is None
        assert fault.classification.safety_class == "never_reset"  # the safer reading
        await charger.call(
            call201.NotifyEvent(
                generated_at=now(), seq_no=0, event_data=[voltage_event("120") | {"cleared": True}]
            )
        )
        # the station's base report names its nominal voltage: 120 V (Target attribute)
        await charger.call(
            call201.NotifyReport(
                request_id=1,
                generated_at=now(),
                seq_no=0,
                report_data=[
                    {
                        "component": {"name": "ElectricalFeed"},
                        "variable": {"name": "ACVoltage"},
                        "variable_attribute": [
                            {"type": "Actual", "value": "121.0"},
                            {"type": "Target", "value": "120"},
                        ],
                    }
                ],
            )
        )
        assert live.get("SITE-861-DC-01").nominal_voltage_v == 120.0
        await charger.call(
            call201.NotifyEvent(generated_at=now(), seq_no=0, event_data=[voltage_event("140")])
        )
        (fault,) = live.get("SITE-861-DC-01").open_faults
        assert (fault.direction, fault.classification.fault_key) == ("over", "over_voltage")
