"""The OCPP 2.0.1 face of a simulated charger (each connector is its own EVSE, connector 1)."""

from __future__ import annotations

from typing import Any

from ocpp.exceptions import OccurrenceConstraintViolationError
from ocpp.routing import after, on
from ocpp.v201 import ChargePoint, call, call_result
from ocpp.v201.enums import Action

from app.simulator.charger import SimCharger
from app.simulator.faults import HARD_RESET, FaultSpec
from app.simulator.ground_truth import utc_iso
from app.simulator.models import restart_of
from app.simulator.state import ActiveFault, ConnectorState, Transaction

# OCPP 2.0.1 A01: the station's HTTP Basic password
PASSWORD_VARIABLE = ("SecurityCtrlr", "BasicAuthPassword")


def _is_password(item: dict[str, Any]) -> bool:
    return (item["component"]["name"], item["variable"]["name"]) == PASSWORD_VARIABLE


# (component, variable) -> (default value, read-only); None default = computed
DEVICE_MODEL: dict[tuple[str, str], tuple[str | None, bool]] = {
    ("OCPPCommCtrlr", "HeartbeatInterval"): (None, False),
    ("OCPPCommCtrlr", "WebSocketPingInterval"): ("60", False),
    ("OCPPCommCtrlr", "MessageTimeout"): ("30", False),
    ("SampledDataCtrlr", "TxUpdatedInterval"): ("60", False),
    ("SampledDataCtrlr", "TxUpdatedMeasurands"): ("Energy.Active.Import.Register", False),
    ("AuthCtrlr", "AuthorizeRemoteStart"): ("false", False),
    ("AuthCtrlr", "LocalPreAuthorize"): ("false", False),
    ("SecurityCtrlr", "SecurityProfile"): ("1", True),
    ("ChargingStation", "Model"): (None, True),
    ("ChargingStation", "VendorName"): (None, True),
    ("ChargingStation", "AvailabilityState"): (None, True),
    ("DeviceDataCtrlr", "ItemsPerMessage"): ("16", True),
}
REPORT_PART_ITEMS = 5  # reportData items per NotifyReport part
TRIGGERABLE_201 = {
    "BootNotification",
    "Heartbeat",
    "StatusNotification",
    "MeterValues",
    "LogStatusNotification",
    "FirmwareStatusNotification",
    "TransactionEvent",
    "SignChargingStationCertificate",
}
STOP_TRIGGER = {
    "Remote": "RemoteStop",
    "ImmediateReset": "ResetCommand",
    "Local": "StopAuthorized",
    "EVDisconnected": "EVDeparted",
    "DeAuthorized": "Deauthorized",
}
REASONS_201 = {
    "SoftReset": "ImmediateReset",
    "HardReset": "ImmediateReset",
    "UnlockCommand": "Other",
    "EmergencyStop": "EmergencyStop",
}


def same_monitor(new: dict[str, Any], existing: dict[str, Any]) -> bool:
    """Two SetMonitoringData on the same component (name, instance, EVSE) and variable
    (name, instance) with the same type and severity."""
    return all(new.get(k) == existing.get(k) for k in ("component", "variable", "type", "severity"))


class Charger201(SimCharger, ChargePoint):
    ocpp_version = "2.0.1"
    subprotocol = "ocpp2.0.1"

    def variable(self, component: str, name: str) -> str | None:
        entry = DEVICE_MODEL.get((component, name))
        if entry is None:
            return None
        model = self.plan.model
        if (component, name) == ("OCPPCommCtrlr", "HeartbeatInterval"):
            return str(int(self.heartbeat_interval))
        if (component, name) == ("ChargingStation", "Model"):
            return model.model
        if (component, name) == ("ChargingStation", "VendorName"):
            return model.vendor
        if (component, name) == ("ChargingStation", "AvailabilityState"):
            return "Available" if self.charger_operative else "Unavailable"
        key = f"{component}.{name}"
        if self.config_overrides and key in self.config_overrides:
            return self.config_overrides[key]
        if (component, name) == ("SampledDataCtrlr", "TxUpdatedInterval"):
            return str(int(self.timing.meter_interval_s))  # until the CSMS sets it
        return entry[0]

    def meter_interval(self) -> float:
        return float(self.variable("SampledDataCtrlr", "TxUpdatedInterval") or 0)

    # ------------------------------------------------------------------ outgoing faces
    def boot_payload(self) -> call.BootNotification:
        model = self.plan.model
        return call.BootNotification(
            charging_station={
                "model": model.model,
                "vendor_name": model.vendor,
                "firmware_version": self.installed_firmware or model.firmware,
                "serial_number": f"SN-{self.charger_id}",
            },
            reason=self.boot_reason,
        )

    def heartbeat_payload(self) -> call.Heartbeat:
        return call.Heartbeat()

    def status_views(self) -> dict[int, tuple]:
        return {cid: (self.view201(cid),) for cid in self.connectors}

    def status_payloads(self, cid: int, view: tuple) -> list[call.StatusNotification]:
        return [
            call.StatusNotification(
                timestamp=utc_iso(), connector_status=view[0], evse_id=cid, connector_id=1
            )
        ]

    def report_fault(self, fault: ActiveFault, cleared: bool) -> None:
        spec = fault.spec
        face = self.chargex_face(spec)
        if face is not None:
            # EVerest's OCPP201 module: ChargingStation or EVSE, variable Problem, techCode CXnnn
            component: dict[str, Any] = {"name": "ChargingStation"}
            if fault.connector_id:
                component = {"name": "EVSE", "evse": {"id": fault.connector_id}}
            variable, actual = "Problem", "false" if cleared else "true"
            tech_info = face.meaning
        else:
            component = {"name": spec.v201.component}
            if fault.connector_id:
                component["evse"] = {"id": fault.connector_id, "connector_id": 1}
            variable = spec.v201.variable
            actual = spec.v201.actual_value if not cleared else _normal(spec)
            tech_info = spec.v16.info
        event: dict[str, Any] = {
            "event_id": fault.event_id,
            "timestamp": utc_iso(),
            # a fault is a monitor alert: a problem flag or a threshold crossing (Upper/Lower
            # Threshold monitor) is reported with trigger Alerting, its end with cleared=true;
            # Delta only reports a value change and is no fault
            "trigger": "Alerting",
            "actual_value": actual,
            "event_notification_type": "HardWiredNotification",
            "component": component,
            "variable": {"name": variable},
            "tech_code": self.vendor_code(spec),
            "tech_info": tech_info,
            "cleared": cleared,
        }
        monitor = self.monitor_for(component["name"], variable, actual)
        if monitor is not None:
            # N07: an event a monitor triggered names it (variableMonitoringId)
            event["variable_monitoring_id"] = monitor
            event["event_notification_type"] = "CustomMonitor"
        conn = self.connectors.get(fault.connector_id)
        if conn is not None and conn.transaction is not None:
            event["transaction_id"] = conn.transaction.tx_id
        self.post(call.NotifyEvent(generated_at=utc_iso(), seq_no=0, event_data=[event]))

    def monitor_for(self, component: str, variable: str, actual: Any) -> int | None:
        """The id of the threshold monitor this value crosses (Upper above, Lower below)."""
        try:
            value = float(actual)
        except (TypeError, ValueError):
            return None
        for mid, d in self.custom_monitors.items():
            if (d["component"]["name"], d["variable"]["name"]) != (component, variable):
                continue
            kind, threshold = d["type"], float(d["value"])
            if (kind == "UpperThreshold" and value > threshold) or (
                kind == "LowerThreshold" and value < threshold
            ):
                return mid
        return None

    def fault_stop_reason(self, spec: FaultSpec) -> str:
        return spec.stop_reason_201

    def on_booted(self) -> None:
        if self.boot_reason not in ("PowerUp",):
            self.report_security_event("ResetOrReboot", utc_iso(), tech_info=self.boot_reason)
        if any(f.spec.key == "firmware_boot_failure" for f in self.faults.values()):
            self.post(call.FirmwareStatusNotification(status="InstallationFailed"))

    def _meter_value(self, conn: ConnectorState, context: str) -> list[dict[str, Any]]:
        return [
            {
                "timestamp": utc_iso(),
                "sampled_value": [
                    {
                        "value": float(int(conn.meter_wh)),
                        "measurand": "Energy.Active.Import.Register",
                        "context": context,
                        "unit_of_measure": {"unit": "Wh"},
                    }
                ],
            }
        ]

    def _tx_event(
        self,
        conn: ConnectorState,
        tx: Transaction,
        event_type: str,
        trigger: str,
        context: str,
        charging_state: str,
        stopped_reason: str | None = None,
        with_token: bool = False,
    ) -> Any:
        seq = tx.seq_no
        tx.seq_no += 1
        info: dict[str, Any] = {"transaction_id": tx.tx_id, "charging_state": charging_state}
        if stopped_reason:
            info["stopped_reason"] = stopped_reason
        if tx.remote_start_id is not None and event_type == "Started":
            info["remote_start_id"] = tx.remote_start_id
        meter = self._meter_value(conn, context)
        return call.TransactionEvent(
            event_type=event_type,
            timestamp=utc_iso(),
            trigger_reason=trigger,
            seq_no=seq,
            transaction_info=info,
            meter_value=meter,
            evse={"id": conn.connector_id, "connector_id": 1},
            # E: "offline: the event happened while the Charging Station was offline"; such
            # events are queued and sent after the reconnect
            offline=True if self.offline_now() else None,
            id_token={"id_token": tx.id_tag, "type": "ISO14443"} if with_token else None,
        )

    def post_meter_values(self, conn: ConnectorState, tx: Transaction | None) -> None:
        if tx is not None:
            charging = (
                "Charging" if self.blocking_fault(conn.connector_id) is None else ("SuspendedEVSE")
            )
            self.post(
                self._tx_event(
                    conn, tx, "Updated", "MeterValuePeriodic", "Sample.Periodic", charging
                )
            )
        else:
            self.post(
                call.MeterValues(
                    evse_id=conn.connector_id,
                    meter_value=self._meter_value(conn, "Trigger"),
                )
            )

    def post_transaction_start(self, conn: ConnectorState, tx: Transaction) -> None:
        trigger = "RemoteStart" if tx.remote_start_id is not None else "Authorized"
        self.post(
            self._tx_event(
                conn, tx, "Started", trigger, "Transaction.Begin", "Charging", with_token=True
            )
        )

    def post_transaction_stop(
        self, conn: ConnectorState, tx: Transaction, meter_stop: int, reason: str
    ) -> None:
        reason = REASONS_201.get(reason, reason)
        trigger = STOP_TRIGGER.get(reason, "AbnormalCondition")
        if reason in ("Reboot", "ImmediateReset"):
            trigger = "ResetCommand"
        self.post(self._tx_event(conn, tx, "Ended", trigger, "Transaction.End", "Idle", reason))

    # ------------------------------------------------------------------ commands
    @on(Action.reset)
    def on_reset(self, type: str, evse_id: int | None = None, **_: Any) -> call_result.Reset:
        if evse_id is not None:
            answer = "Rejected"  # these models only reset as a whole
        elif type == "OnIdle" and self.active_transactions():
            answer = "Scheduled"
            self._scheduled_reset = True
        else:
            answer = "Accepted"
        self.record_command("Reset", {"type": type, "evseId": evse_id}, answer)
        return call_result.Reset(status=answer)

    @after(Action.reset)
    def after_reset(self, type: str, evse_id: int | None = None, **_: Any) -> None:
        if evse_id is not None or self._scheduled_reset:
            return
        for conn in self.connectors.values():
            if conn.transaction is not None:
                self.stop_transaction(conn.connector_id, reason="ImmediateReset")
        self.request_reboot(HARD_RESET, "RemoteReset", graceful=True)

    @on(Action.unlock_connector)
    def on_unlock_connector(
        self, evse_id: int, connector_id: int, **_: Any
    ) -> call_result.UnlockConnector:
        if evse_id not in self.connectors or connector_id != 1:
            answer = "UnknownConnector"
        elif self.connectors[evse_id].transaction is not None:
            answer = "OngoingAuthorizedTransaction"
        else:
            answer = self.unlock(evse_id)
        self.record_command(
            "UnlockConnector", {"evseId": evse_id, "connectorId": connector_id}, answer
        )
        return call_result.UnlockConnector(status=answer)

    @on(Action.change_availability)
    def on_change_availability(
        self, operational_status: str, evse: dict | None = None, **_: Any
    ) -> call_result.ChangeAvailability:
        cid = int(evse["id"]) if evse else 0
        if cid and cid not in self.connectors:
            answer = "Rejected"
        else:
            answer = self.set_availability(cid, operational_status == "Operative")
        self.record_command(
            "ChangeAvailability", {"operationalStatus": operational_status, "evse": evse}, answer
        )
        return call_result.ChangeAvailability(status=answer)

    @on(Action.trigger_message)
    def on_trigger_message(
        self, requested_message: str, evse: dict | None = None, **_: Any
    ) -> call_result.TriggerMessage:
        cid = int(evse["id"]) if evse else None
        if requested_message not in TRIGGERABLE_201:
            answer = "NotImplemented"
        elif cid is not None and cid not in self.connectors:
            answer = "Rejected"
        else:
            answer = "Accepted"
        self.record_command(
            "TriggerMessage", {"requestedMessage": requested_message, "evse": evse}, answer
        )
        return call_result.TriggerMessage(status=answer)

    @after(Action.trigger_message)
    def after_trigger_message(
        self, requested_message: str, evse: dict | None = None, **_: Any
    ) -> None:
        cid = int(evse["id"]) if evse else None
        if requested_message not in TRIGGERABLE_201 or (
            cid is not None and cid not in self.connectors
        ):
            return
        cids = [cid] if cid is not None else list(self.connectors)
        if requested_message == "BootNotification":
            reason, self.boot_reason = self.boot_reason, "Triggered"
            self.post(self.boot_payload())
            self.boot_reason = reason
        elif requested_message == "Heartbeat":
            self.post(self.heartbeat_payload())
        elif requested_message == "StatusNotification":
            for c in cids:
                for payload in self.status_payloads(c, (self.view201(c),)):
                    self.post(payload)
        elif requested_message in ("MeterValues", "TransactionEvent"):
            for c in cids:
                conn = self.connectors[c]
                self._advance_meter(conn)
                if requested_message == "MeterValues" or conn.transaction is not None:
                    if conn.transaction is not None and requested_message == "TransactionEvent":
                        self.post(
                            self._tx_event(
                                conn,
                                conn.transaction,
                                "Updated",
                                "Trigger",
                                "Trigger",
                                "Charging",
                            )
                        )
                    else:
                        self.post(
                            call.MeterValues(
                                evse_id=c, meter_value=self._meter_value(conn, "Trigger")
                            )
                        )
        elif requested_message == "LogStatusNotification":
            self.post(call.LogStatusNotification(status="Idle"))
        elif requested_message == "SignChargingStationCertificate":
            self.request_certificate()
        elif requested_message == "FirmwareStatusNotification":
            # L01: a triggered notification repeats the last state (Idle when none running)
            self.post(
                call.FirmwareStatusNotification(
                    status=getattr(self, "firmware_status", "Idle"),
                    request_id=getattr(self, "firmware_request_id", None),
                )
            )

    @on(Action.get_base_report)
    def on_get_base_report(
        self, request_id: int, report_base: str, **_: Any
    ) -> call_result.GetBaseReport:
        self.record_command("GetBaseReport", {"reportBase": report_base}, "Accepted")
        return call_result.GetBaseReport(status="Accepted")

    @after(Action.get_base_report)
    def after_get_base_report(self, request_id: int, report_base: str, **_: Any) -> None:
        # B07: the report follows in NotifyReport parts (seqNo from 0, tbc until the last).
        # A SummaryInventory lists components with a problem: these models report theirs
        # with NotifyEvent, so the summary is empty and no report is sent.
        if report_base == "SummaryInventory":
            return
        items = [self._report_item(c, v) for c, v in DEVICE_MODEL]
        parts = [items[i : i + REPORT_PART_ITEMS] for i in range(0, len(items), REPORT_PART_ITEMS)]
        for seq_no, part in enumerate(parts):
            self.post(
                lambda part=part, seq_no=seq_no: call.NotifyReport(
                    request_id=request_id,
                    generated_at=utc_iso(),
                    seq_no=seq_no,
                    report_data=part,
                    tbc=seq_no < len(parts) - 1,
                )
            )

    def _report_item(self, component: str, name: str) -> dict[str, Any]:
        read_only = DEVICE_MODEL[(component, name)][1]
        attribute: dict[str, Any] = {
            "type": "Actual",
            "mutability": "ReadOnly" if read_only else "ReadWrite",
        }
        value = self.variable(component, name)
        if value is not None:
            attribute["value"] = value
        data: dict[str, Any] = {
            "component": {"name": component},
            "variable": {"name": name},
            "variable_attribute": [attribute],
        }
        if (component, name) == ("DeviceDataCtrlr", "ItemsPerMessage"):
            data["variable"]["instance"] = "GetVariables"
        return data

    @on(Action.set_variable_monitoring)
    def on_set_variable_monitoring(
        self, set_monitoring_data: list[dict[str, Any]], **_: Any
    ) -> call_result.SetVariableMonitoring:
        # N04: each monitor gets an id (a given id replaces that monitor), kept for N02 and
        # across reboots. Without an id, a monitor of the same type and severity already on
        # that variable is a Duplicate and gets none (as EVerest's libocpp answers).
        monitors = self.custom_monitors
        results = []
        for d in set_monitoring_data:
            result = {
                "status": "Accepted",
                "type": d["type"],
                "severity": d["severity"],
                "component": d["component"],
                "variable": d["variable"],
            }
            if not d.get("id") and any(same_monitor(d, m) for m in monitors.values()):
                results.append(result | {"status": "Duplicate"})
                continue
            monitor_id = d.get("id") or max(monitors, default=0) + 1
            monitors[monitor_id] = d
            results.append(result | {"id": monitor_id})
        self.record_command(
            "SetVariableMonitoring", {"count": len(set_monitoring_data)}, "Accepted"
        )
        return call_result.SetVariableMonitoring(set_monitoring_result=results)

    @on(Action.clear_variable_monitoring)
    def on_clear_variable_monitoring(
        self, id: list[int], **_: Any
    ) -> call_result.ClearVariableMonitoring:
        monitors = self.custom_monitors
        results = [
            {"id": i, "status": "Accepted" if monitors.pop(i, None) is not None else "NotFound"}
            for i in id
        ]
        self.record_command("ClearVariableMonitoring", {"ids": id}, "Accepted")
        return call_result.ClearVariableMonitoring(clear_monitoring_result=results)

    @on(Action.set_monitoring_base)
    def on_set_monitoring_base(
        self, monitoring_base: str, **_: Any
    ) -> call_result.SetMonitoringBase:
        if monitoring_base != "All":  # N03: FactoryDefault and HardWiredOnly drop custom ones
            self.custom_monitors = {}
        self.record_command("SetMonitoringBase", {"monitoringBase": monitoring_base}, "Accepted")
        return call_result.SetMonitoringBase(status="Accepted")

    @on(Action.set_monitoring_level)
    def on_set_monitoring_level(self, severity: int, **_: Any) -> call_result.SetMonitoringLevel:
        answer = "Accepted" if 0 <= severity <= 9 else "Rejected"
        self.record_command("SetMonitoringLevel", {"severity": severity}, answer)
        return call_result.SetMonitoringLevel(status=answer)

    @on(Action.set_network_profile)
    def on_set_network_profile(
        self, configuration_slot: int, connection_data: dict, **_: Any
    ) -> call_result.SetNetworkProfile:
        """B09: the profile is stored in its slot (B10 switches to it when
        NetworkConfigurationPriority names it). A profile below the security profile in use is
        Rejected: a station's security profile is only ever raised (A05)."""
        current = int(self.variable("SecurityCtrlr", "SecurityProfile") or 0)
        answer = "Rejected" if connection_data["security_profile"] < current else "Accepted"
        if answer == "Accepted":
            self.network_profiles[configuration_slot] = connection_data
        self.record_command("SetNetworkProfile", {"configurationSlot": configuration_slot}, answer)
        return call_result.SetNetworkProfile(status=answer)

    @on(Action.get_monitoring_report)
    def on_get_monitoring_report(
        self, request_id: int, **_: Any
    ) -> call_result.GetMonitoringReport:
        answer = "Accepted" if self.custom_monitors else "EmptyResultSet"
        self.record_command("GetMonitoringReport", {"requestId": request_id}, answer)
        return call_result.GetMonitoringReport(status=answer)

    @after(Action.get_monitoring_report)
    def after_get_monitoring_report(self, request_id: int, **_: Any) -> None:
        # N02: every monitor in NotifyMonitoringReport parts (filters are not simulated)
        if not self.custom_monitors:
            return  # EmptyResultSet: no report follows
        items = [
            {
                "component": d["component"],
                "variable": d["variable"],
                "variable_monitoring": [
                    {
                        "id": monitor_id,
                        "transaction": bool(d.get("transaction", False)),
                        "value": d["value"],
                        "type": d["type"],
                        "severity": d["severity"],
                    }
                ],
            }
            for monitor_id, d in self.custom_monitors.items()
        ]
        parts = [items[i : i + REPORT_PART_ITEMS] for i in range(0, len(items), REPORT_PART_ITEMS)]
        for seq_no, part in enumerate(parts):
            self.post(
                lambda part=part, seq_no=seq_no: call.NotifyMonitoringReport(
                    request_id=request_id,
                    generated_at=utc_iso(),
                    seq_no=seq_no,
                    monitor=part,
                    tbc=seq_no < len(parts) - 1,
                )
            )

    # ------------------------------------------------------------------ certificates
    def request_certificate(self) -> None:
        """A02.FR.02/03 (after a trigger) or A03 (its own renewal): a new key, its CSR."""
        csr = self.certificates.new_csr()
        self.post(call.SignCertificate(csr=csr, certificate_type="ChargingStationCertificate"))

    @on(Action.get_installed_certificate_ids)
    def on_get_installed_certificate_ids(
        self, certificate_type: list[str] | None = None, **_: Any
    ) -> call_result.GetInstalledCertificateIds:
        chains = self.certificates.chains(certificate_type)
        answer = "Accepted" if chains else "NotFound"  # M03.FR.02/03
        self.record_command("GetInstalledCertificateIds", {"types": certificate_type}, answer)
        return call_result.GetInstalledCertificateIds(
            status=answer, certificate_hash_data_chain=chains or None
        )

    @on(Action.install_certificate)
    def on_install_certificate(
        self, certificate_type: str, certificate: str, **_: Any
    ) -> call_result.InstallCertificate:
        answer = self.certificates.install(certificate_type, certificate)
        self.record_command("InstallCertificate", {"certificateType": certificate_type}, answer)
        return call_result.InstallCertificate(status=answer)

    @on(Action.delete_certificate)
    def on_delete_certificate(
        self, certificate_hash_data: dict[str, Any], **_: Any
    ) -> call_result.DeleteCertificate:
        answer = self.certificates.delete(certificate_hash_data)
        self.record_command("DeleteCertificate", certificate_hash_data, answer)
        return call_result.DeleteCertificate(status=answer)

    @on(Action.certificate_signed)
    def on_certificate_signed(
        self, certificate_chain: str, **_: Any
    ) -> call_result.CertificateSigned:
        taken = self.certificates.accept_signed(certificate_chain)
        answer = "Accepted" if taken else "Rejected"
        self.record_command("CertificateSigned", {}, answer)
        if not taken:  # A02.FR.07
            self.report_security_event("InvalidChargingStationCertificate", utc_iso())
        return call_result.CertificateSigned(status=answer)

    def report_security_event(
        self, event: str, timestamp: str, tech_info: str | None = None
    ) -> None:
        self.post(
            call.SecurityEventNotification(type=event, timestamp=timestamp, tech_info=tech_info)
        )

    @on(Action.get_log)
    def on_get_log(self, log: dict, log_type: str, request_id: int, **_: Any) -> call_result.GetLog:
        file_name = self.log_file_name(self.charger_id, log_type, request_id)
        self.record_command(
            "GetLog",
            {"logType": log_type, "requestId": request_id, "location": log["remote_location"]},
            "Accepted",
        )
        return call_result.GetLog(status="Accepted", filename=file_name)

    @after(Action.get_log)
    async def after_get_log(self, log: dict, log_type: str, request_id: int, **_: Any) -> None:
        await self.upload_log(
            log["remote_location"], log_type, request_id, call.LogStatusNotification
        )

    def _within_items_per_message(self, items: list[dict]) -> None:
        """DeviceDataCtrlr.ItemsPerMessage: a longer request is refused, as stations do, with
        a CALLERROR OccurrenceConstraintViolation."""
        limit = int(self.variable("DeviceDataCtrlr", "ItemsPerMessage") or 0)
        if limit and len(items) > limit:
            raise OccurrenceConstraintViolationError(
                description=f"{len(items)} items; ItemsPerMessage is {limit}"
            )

    @on(Action.get_variables)
    def on_get_variables(self, get_variable_data: list[dict], **_: Any) -> call_result.GetVariables:
        self._within_items_per_message(get_variable_data)
        results = []
        for item in get_variable_data:
            comp, var = item["component"], item["variable"]
            result: dict[str, Any] = {"component": comp, "variable": var}
            known_component = any(c == comp["name"] for c, _ in DEVICE_MODEL)
            value = self.variable(comp["name"], var["name"])
            if not known_component:
                result["attribute_status"] = "UnknownComponent"
            elif value is None:
                result["attribute_status"] = "UnknownVariable"
            elif item.get("attribute_type", "Actual") != "Actual":
                result["attribute_status"] = "NotSupportedAttributeType"
            else:
                result["attribute_status"] = "Accepted"
                result["attribute_value"] = value
            results.append(result)
        self.record_command(
            "GetVariables",
            {
                "variables": [
                    f"{i['component']['name']}.{i['variable']['name']}" for i in get_variable_data
                ]
            },
            ",".join(r["attribute_status"] for r in results),
        )
        return call_result.GetVariables(get_variable_result=results)

    @on(Action.set_variables)
    def on_set_variables(self, set_variable_data: list[dict], **_: Any) -> call_result.SetVariables:
        self._within_items_per_message(set_variable_data)
        results = []
        for item in set_variable_data:
            comp, var, value = item["component"], item["variable"], item["attribute_value"]
            key = (comp["name"], var["name"])
            result: dict[str, Any] = {"component": comp, "variable": var}
            entry = DEVICE_MODEL.get(key)
            if key == PASSWORD_VARIABLE:  # A01: taken, used once the answer is out
                status = "Accepted" if self.acceptable_password(value) else "Rejected"
            elif self.restart_key(f"{key[0]}.{key[1]}"):
                status = "Accepted"  # a vendor's peripheral restart: done after the answer
            elif not any(c == comp["name"] for c, _ in DEVICE_MODEL):
                status = "UnknownComponent"
            elif entry is None:
                status = "UnknownVariable"
            elif entry[1] or (
                key[1] in ("HeartbeatInterval", "TxUpdatedInterval") and not value.isdigit()
            ):
                status = "Rejected"
            else:
                status = "Accepted"
                if key == ("OCPPCommCtrlr", "HeartbeatInterval"):
                    self.heartbeat_interval = float(value)
                    self._kick.set()
                else:
                    if self.config_overrides is None:
                        self.config_overrides = {}
                    self.config_overrides[f"{key[0]}.{key[1]}"] = value
            result["attribute_status"] = status
            results.append(result)
        self.record_command(
            "SetVariables",
            {
                "variables": {
                    f"{i['component']['name']}.{i['variable']['name']}": (
                        "***" if _is_password(i) else i["attribute_value"]
                    )
                    for i in set_variable_data
                }
            },
            ",".join(r["attribute_status"] for r in results),
        )
        return call_result.SetVariables(set_variable_result=results)

    @on(Action.clear_cache)
    def on_clear_cache(self, **_: Any) -> call_result.ClearCache:
        self.record_command("ClearCache", {}, "Accepted")
        return call_result.ClearCache(status="Accepted")

    @on(Action.request_stop_transaction)
    def on_request_stop_transaction(
        self, transaction_id: str, **_: Any
    ) -> call_result.RequestStopTransaction:
        conn = self.find_transaction(transaction_id)
        answer = "Accepted" if conn is not None else "Rejected"
        self.record_command("RequestStopTransaction", {"transactionId": transaction_id}, answer)
        return call_result.RequestStopTransaction(status=answer)

    @after(Action.request_stop_transaction)
    def after_request_stop_transaction(self, transaction_id: str, **_: Any) -> None:
        conn = self.find_transaction(transaction_id)
        if conn is not None:
            self.stop_transaction(conn.connector_id, reason="Remote")

    @on(Action.update_firmware)
    def on_update_firmware(
        self, request_id: int, firmware: dict, **_: Any
    ) -> call_result.UpdateFirmware:
        cert = firmware.get("signing_certificate")
        # L01: a signing certificate the station cannot read is InvalidCertificate
        ok = cert is None or "BEGIN CERTIFICATE" in cert
        answer = "Accepted" if ok else "InvalidCertificate"
        self.record_command(
            "UpdateFirmware", {"requestId": request_id, "location": firmware["location"]}, answer
        )
        return call_result.UpdateFirmware(status=answer)

    @after(Action.set_variables)
    def after_set_variables(self, set_variable_data: list[dict], **_: Any) -> None:
        for item in set_variable_data:
            name = f"{item['component']['name']}.{item['variable']['name']}"
            restart = restart_of(self.plan.model, "2.0.1", name, item["attribute_value"])
            if restart is not None:
                self.restart_peripheral(restart)
            if _is_password(item) and self.acceptable_password(item["attribute_value"]):
                self.adopt_password(item["attribute_value"])

    @after(Action.update_firmware)
    def after_update_firmware(self, request_id: int, firmware: dict, **_: Any) -> None:
        cert = firmware.get("signing_certificate")
        if cert is not None and "BEGIN CERTIFICATE" not in cert:
            return
        result = self.firmware_outcome(
            firmware["location"], signed=firmware.get("signature") is not None
        )
        self.firmware_request_id = request_id
        for status in result.states:  # L01.FR.01: every state it enters is reported
            self.firmware_status = status
            self.post(call.FirmwareStatusNotification(status=status, request_id=request_id))
        self.finish_install(result)

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        # P01: no vendor extension in this simulator
        self.record_command("DataTransfer", {"vendorId": vendor_id}, "UnknownVendorId")
        return call_result.DataTransfer(status="UnknownVendorId")

    @on(Action.get_transaction_status)
    def on_get_transaction_status(
        self, transaction_id: str | None = None, **_: Any
    ) -> call_result.GetTransactionStatus:
        # E14: ongoingIndicator only when a transactionId was given; this simulator sends its
        # transaction messages at once, so none is ever queued.
        ongoing = None
        if transaction_id is not None:
            ongoing = self.find_transaction(transaction_id) is not None
        self.record_command("GetTransactionStatus", {"transactionId": transaction_id}, str(ongoing))
        return call_result.GetTransactionStatus(messages_in_queue=False, ongoing_indicator=ongoing)

    @on(Action.request_start_transaction)
    def on_request_start_transaction(
        self, id_token: dict, remote_start_id: int, evse_id: int | None = None, **_: Any
    ) -> call_result.RequestStartTransaction:
        cid = evse_id or next((c for c, s in self.connectors.items() if s.transaction is None), 0)
        conn = self.connectors.get(cid)
        ok = (
            conn is not None
            and conn.transaction is None
            and conn.operative
            and self.charger_operative
            and self.blocking_fault(cid) is None
        )
        answer = "Accepted" if ok else "Rejected"
        self.record_command(
            "RequestStartTransaction",
            {
                "idToken": id_token.get("id_token"),
                "evseId": evse_id,
                "remoteStartId": remote_start_id,
            },
            answer,
        )
        return call_result.RequestStartTransaction(status=answer)

    @after(Action.request_start_transaction)
    def after_request_start_transaction(
        self, id_token: dict, remote_start_id: int, evse_id: int | None = None, **_: Any
    ) -> None:
        cid = evse_id or next((c for c, s in self.connectors.items() if s.transaction is None), 0)
        conn = self.connectors.get(cid)
        if conn is not None and conn.transaction is None and self.blocking_fault(cid) is None:
            self.start_transaction(cid, id_token.get("id_token", "REMOTE"), remote_start_id)


def _normal(spec: FaultSpec) -> str:
    value = spec.v201.actual_value
    if value in ("true", "false"):
        return "false" if value == "true" else "true"
    if spec.v201.variable == "AvailabilityState":
        return "Available"
    if spec.v201.variable == "Voltage":
        return "230.0"
    if spec.v201.variable == "Temperature":
        return "45.0"
    if spec.v201.variable == "SignalStrength":
        return "-75"
    return value
