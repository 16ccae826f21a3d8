"""OCPP 2.0.1: what the central system answers to each charging-station-initiated message."""

from __future__ import annotations

from typing import Any

from ocpp.routing import on
from ocpp.v201 import ChargePoint as OcppChargePoint201
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

from app.authorization.tokens import id_token_info_v201
from app.csms.charge_point import RecordingMixin, now_iso
from app.csms.context import CsmsContext
from app.csms.customer_information import MAX_PARTS as CUSTOMER_PARTS
from app.csms.customer_information import read_part
from app.csms.faults_v201 import (
    FaultEvent,
    read_fault_event,
    read_report_problems,
    report_nominal_voltage,
)
from app.csms.handlers_common import CommonHandlers
from app.csms.inventory import ReportAssembler
from app.csms.meter import latest_reading, parse_timestamp
from app.csms.monitoring import (
    MAX_MONITORS_PER_REPORT,
    read_monitors,
    selection_of,
    voltage_thresholds,
)
from app.fleet.model import ActiveTransaction, OpenFault


class ChargePoint201(RecordingMixin, CommonHandlers, OcppChargePoint201):
    _action_enum = Action

    def __init__(self, charger_id: str, connection: Any, context: CsmsContext) -> None:
        super().__init__(charger_id, connection, response_timeout=context.settings.command_timeout)
        self._init_recording(context)
        self._reports = ReportAssembler()
        self._monitor_reports = ReportAssembler(read_monitors, MAX_MONITORS_PER_REPORT)
        self._customer_reports = ReportAssembler(read_part, CUSTOMER_PARTS)

    def _sending_call(self, action: str | None, payload: dict[str, Any]) -> None:
        # B07/B08: the NotifyReport parts carry only the requestId; remember what it asked.
        if action == "GetBaseReport":
            self._reports.requested(payload.get("requestId"), str(payload.get("reportBase")))
        elif action == "GetReport":
            self._reports.requested(payload.get("requestId"), "Custom")
        elif action == "GetMonitoringReport":  # N02
            self._monitor_reports.requested(payload.get("requestId"), selection_of(payload))

    @on(Action.boot_notification)
    def on_boot(self, charging_station: dict[str, Any], reason: str, **_: Any) -> Any:
        answer, interval = self._boot_answer()
        self.context.live.apply_boot(
            self.id,
            vendor=charging_station.get("vendor_name"),
            model=charging_station.get("model"),
            serial_number=charging_station.get("serial_number"),
            firmware_version=charging_station.get("firmware_version"),
            reason=reason,
            registration_status=answer,
            heartbeat_interval=interval,
        )
        self.booted.set()
        return call_result.BootNotification(
            current_time=now_iso(), interval=interval, status=answer
        )

    @on(Action.status_notification)
    def on_status(
        self, timestamp: str, connector_status: str, evse_id: int, connector_id: int, **_: Any
    ) -> Any:
        # G01: the connector's status within its EVSE; the EVSE's follows from its connectors
        self.context.live.apply_connector_status(
            self.id, evse_id, connector_id, connector_status, at=parse_timestamp(timestamp)
        )
        return call_result.StatusNotification()

    @on(Action.notify_event)
    def on_notify_event(self, event_data: list[dict[str, Any]], **_: Any) -> Any:
        state = self.context.live.ensure(self.id)
        for event in event_data:
            fault = read_fault_event(event, state.voltage_monitors, state.nominal_voltage_v)
            if fault is not None:
                self._apply_fault(fault, event.get("timestamp"))
        return call_result.NotifyEvent()

    def _apply_fault(self, fault: FaultEvent, timestamp: str | None) -> None:
        """Raise one fault beside the others, or clear the ones it names (a clear without a
        techCode clears every techCode of that component/variable on that EVSE)."""
        live = self.context.live
        if fault.raised:
            live.raise_fault(
                self.id,
                OpenFault(
                    connector_id=fault.evse_id,
                    evse_id=fault.evse_id,
                    source="NotifyEvent",
                    error_code=fault.error_code,
                    raw_error_code=f"{fault.component}.{fault.variable}"[:64],
                    vendor_error_code=fault.tech_code,
                    info=fault.info,
                    component=fault.component,
                    variable=fault.variable,
                    trigger=fault.trigger,
                    tech_code=fault.tech_code,
                    tech_info=fault.info,
                    actual_value=fault.actual_value,
                    direction=fault.direction,
                    raised_at=parse_timestamp(timestamp),
                ),
            )
            return
        live.clear_faults_where(
            self.id,
            lambda f, ev=fault: (
                f.source == "NotifyEvent"
                and f.connector_id == ev.evse_id
                and f.component == ev.component
                and f.variable == ev.variable
                and (ev.tech_code is None or f.tech_code == ev.tech_code)
            ),
        )

    @on(Action.transaction_event)
    def on_transaction_event(
        self,
        event_type: str,
        timestamp: str,
        trigger_reason: str,
        seq_no: int,
        transaction_info: dict[str, Any],
        **kw: Any,
    ) -> Any:
        live = self.context.live
        tx_id = str(transaction_info["transaction_id"])
        evse = kw.get("evse") or {}
        evse_id = int(evse.get("id", 0) or 0)
        state = live.ensure(self.id)
        # An Updated for a transaction not known (its Started was lost, or it began before a
        # restart) opens it; one for a transaction already Ended does not: E12/E14 let a
        # station deliver queued events of a transaction after its Ended (TC_E_31_CSMS), and a
        # revived record would block the connector's unlock forever.
        unknown = tx_id not in state.transactions and tx_id not in state.ended_transactions
        if event_type == "Started" or (event_type == "Updated" and unknown):
            reading = latest_reading(kw.get("meter_value"))
            live.start_transaction(
                self.id,
                ActiveTransaction(
                    transaction_id=tx_id,
                    connector_id=evse_id or 1,
                    id_tag=(kw.get("id_token") or {}).get("id_token"),
                    started_at=parse_timestamp(timestamp),
                    meter_start_wh=reading.energy_wh if reading else None,
                    meter_start_signed=reading.signed if reading else [],
                ),
            )
        live.confirm_transaction(self.id, tx_id)  # named after a boot: not stale
        reading = latest_reading(kw.get("meter_value"))
        if reading is not None and event_type != "Ended":
            live.apply_meter(self.id, tx_id, evse_id, reading)
        if event_type == "Ended":
            live.stop_transaction(
                self.id,
                tx_id,
                meter_stop_wh=reading.energy_wh if reading else None,
                reason=transaction_info.get("stopped_reason") or trigger_reason,
                at=parse_timestamp(timestamp),
                meter_stop_signed=reading.signed if reading else (),
            )
        # E11/E12 offline flag and the seqNo check (a SHOULD: holes are a warning on the
        # transaction, the event is answered as any other); after the start/stop above, so
        # the transaction's row exists when the note is written
        live.note_transaction_event(self.id, tx_id, seq_no, bool(kw.get("offline", False)))
        if kw.get("id_token"):
            return call_result.TransactionEvent(id_token_info=self._id_token_info(kw["id_token"]))
        return call_result.TransactionEvent()

    @on(Action.meter_values)
    def on_meter_values(self, evse_id: int, meter_value: list[dict[str, Any]], **_: Any) -> Any:
        reading = latest_reading(meter_value)
        if reading is not None:
            self.context.live.apply_meter(self.id, None, evse_id, reading)
        return call_result.MeterValues()

    @on(Action.authorize)
    def on_authorize(self, id_token: dict[str, Any], **_: Any) -> Any:
        return call_result.Authorize(id_token_info=self._id_token_info(id_token))

    def _id_token_info(self, id_token: dict[str, Any]) -> dict[str, Any]:
        """IdTokenInfo from the token store's cache (no database on the event loop)."""
        decision = self.context.tokens.authorize(
            id_token.get("id_token"), presented_type=id_token.get("type")
        )
        return id_token_info_v201(decision)

    @on(Action.notify_report)
    def on_notify_report(self, request_id: int, generated_at: str, seq_no: int, **kw: Any) -> Any:
        # A base report (asked for at boot by self-diagnosis) names standing problems: each
        # problem flag reported true is an open fault, read like a NotifyEvent. It may also
        # name the supply's nominal voltage (the direction of a later voltage alert).
        nominal = report_nominal_voltage(kw.get("report_data"))
        if nominal is not None:
            self.context.live.set_nominal_voltage(self.id, nominal)
        for fault in read_report_problems(kw.get("report_data")):
            self._apply_fault(fault, generated_at)
        # B07/B08: the parts (seqNo from 0, tbc until the last) make the station's inventory.
        report = self._reports.part(
            request_id,
            seq_no,
            bool(kw.get("tbc", False)),
            parse_timestamp(generated_at),
            kw.get("report_data"),
        )
        if report is not None:
            self.context.recorder.inventory(self.id, report)
        return call_result.NotifyReport()

    @on(Action.notify_monitoring_report)
    def on_notify_monitoring_report(
        self, request_id: int, seq_no: int, generated_at: str, **kw: Any
    ) -> Any:
        # N02: the monitors in parts (seqNo from 0, tbc until the last), stored when complete.
        report = self._monitor_reports.part(
            request_id,
            seq_no,
            bool(kw.get("tbc", False)),
            parse_timestamp(generated_at),
            kw.get("monitor"),
        )
        if report is not None:
            self.context.recorder.monitors(self.id, report)
            # the threshold monitors on the supply voltage name their direction by id (N07)
            self.context.live.set_voltage_monitors(
                self.id,
                voltage_thresholds(report.items),
                replace=report.report_base == "All" and not report.truncated,
            )
        return call_result.NotifyMonitoringReport()

    @on(Action.notify_customer_information)
    def on_notify_customer_information(
        self, data: str, seq_no: int, generated_at: str, request_id: int, **kw: Any
    ) -> Any:
        # N09/N10: the customer's data in parts (seqNo from 0, tbc until the last)
        report = self._customer_reports.part(
            request_id,
            seq_no,
            bool(kw.get("tbc", False)),
            parse_timestamp(generated_at),
            [{"data": data}],
        )
        if report is not None:
            self.context.recorder.customer_information(self.id, report)
        return call_result.NotifyCustomerInformation()
