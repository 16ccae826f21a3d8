"""The OCPP 1.6J face of a simulated charger."""

from __future__ import annotations

import asyncio
from typing import Any

from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from app.commands.catalogue import TRIGGERABLE
from app.simulator import chargex_faces
from app.simulator.charger import SimCharger
from app.simulator.faults import HARD_RESET, SOFT_RESET, FaultSpec
from app.simulator.ground_truth import utc_iso
from app.simulator.models import restart_of
from app.simulator.state import ActiveFault, ConnectorState, Transaction

# key -> (default value, read-only)
CONFIG_16: dict[str, tuple[str, bool]] = {
    "HeartbeatInterval": ("300", False),
    "MeterValueSampleInterval": ("60", False),
    "ClockAlignedDataInterval": ("0", False),
    "ConnectionTimeOut": ("60", False),
    "AuthorizeRemoteTxRequests": ("false", False),
    "LocalPreAuthorize": ("false", False),
    "LocalAuthorizeOffline": ("true", False),
    "StopTransactionOnEVSideDisconnect": ("true", False),
    "UnlockConnectorOnEVSideDisconnect": ("true", False),
    "MeterValuesSampledData": ("Energy.Active.Import.Register,Power.Active.Import", False),
    "TransactionMessageAttempts": ("3", False),
    "TransactionMessageRetryInterval": ("60", False),
    "ResetRetries": ("1", False),
    "WebSocketPingInterval": ("60", False),
    "NumberOfConnectors": ("", True),
    "SupportedFeatureProfiles": (
        "Core,FirmwareManagement,RemoteTrigger,Reservation,LocalAuthListManagement",
        True,
    ),
    "GetConfigurationMaxKeys": ("50", True),
}
TRIGGERABLE_16 = frozenset(TRIGGERABLE)  # the command catalogue's (OCPP 1.6 MessageTrigger)


# The 1.6 security whitepaper's names of the 2.0.1 security events that differ
SECURITY_EVENTS_16 = {
    "FailedToAuthenticateAtCsms": "FailedToAuthenticateAtCentralSystem",
    "CsmsFailedToAuthenticate": "CentralSystemFailedToAuthenticate",
    "InvalidCsmsCertificate": "InvalidCentralSystemCertificate",
    "InvalidChargingStationCertificate": "InvalidChargePointCertificate",
}


class Charger16(SimCharger, ChargePoint):
    ocpp_version = "1.6"
    subprotocol = "ocpp1.6"

    # ------------------------------------------------------------------ configuration
    def config_value(self, key: str) -> str | None:
        if key == "NumberOfConnectors":
            return str(len(self.connectors))
        if key == "HeartbeatInterval":
            return str(int(self.heartbeat_interval))
        if self.config_overrides and key in self.config_overrides:
            return self.config_overrides[key]
        if key == "MeterValueSampleInterval":  # until the CSMS sets it: the fleet's timing
            return str(int(self.timing.meter_interval_s))
        entry = CONFIG_16.get(key)
        return entry[0] if entry else None

    def meter_interval(self) -> float:
        return float(self.config_value("MeterValueSampleInterval") or 0)

    # ------------------------------------------------------------------ outgoing faces
    def boot_payload(self) -> call.BootNotification:
        model = self.plan.model
        return call.BootNotification(
            charge_point_vendor=model.vendor,
            charge_point_model=model.model,
            charge_point_serial_number=f"SN-{self.charger_id}",
            firmware_version=self.installed_firmware or model.firmware,
        )

    def heartbeat_payload(self) -> call.Heartbeat:
        return call.Heartbeat()

    def status_views(self) -> dict[int, tuple]:
        return {cid: self.view16(cid) for cid in [0, *self.connectors]}

    def status_payloads(self, cid: int, view: tuple) -> list[call.StatusNotification]:
        status, code, vendor_code, info = view
        fault = self.shown_fault16(cid)
        face = self.chargex_face(fault.spec) if fault else None
        if face is None:
            return [
                call.StatusNotification(
                    connector_id=cid,
                    error_code=code,
                    status=status,
                    timestamp=utc_iso(),
                    info=info[:50] if info else None,
                    vendor_id=self.plan.model.vendor if vendor_code else None,
                    vendor_error_code=vendor_code,
                )
            ]
        # EVerest: the ChargeX code with the present status, then (a blocking fault) the EVSE
        # manager's Inoperative error as Faulted / OtherError naming its cause
        reports = [
            call.StatusNotification(
                connector_id=cid,
                error_code=face.ocpp16,
                status=self.plain_status16(cid),
                timestamp=utc_iso(),
                info=face.name[:50],
                vendor_id=chargex_faces.namespace(),
                vendor_error_code=face.code,
            )
        ]
        if status == "Faulted":
            reports.append(
                call.StatusNotification(
                    connector_id=cid,
                    error_code="OtherError",
                    status="Faulted",
                    timestamp=utc_iso(),
                    info=chargex_faces.inoperative_info(face),
                )
            )
        return reports

    def report_fault(self, fault: ActiveFault, cleared: bool) -> None:
        """1.6 reports faults through StatusNotification only (see ``_sync_status``)."""

    def fault_stop_reason(self, spec: FaultSpec) -> str:
        return spec.stop_reason_16

    def on_booted(self) -> None:
        if any(f.spec.key == "firmware_boot_failure" for f in self.faults.values()):
            self.post(call.FirmwareStatusNotification(status="InstallationFailed"))

    def _sampled(self, conn: ConnectorState, tx: Transaction | None) -> list[dict[str, Any]]:
        power = tx.power_kw * 1000 if tx and self.blocking_fault(conn.connector_id) is None else 0
        return [
            {
                "timestamp": utc_iso(),
                "sampled_value": [
                    {
                        "value": str(int(conn.meter_wh)),
                        "measurand": "Energy.Active.Import.Register",
                        "unit": "Wh",
                        "context": "Sample.Periodic",
                    },
                    {
                        "value": str(int(power)),
                        "measurand": "Power.Active.Import",
                        "unit": "W",
                        "context": "Sample.Periodic",
                    },
                ],
            }
        ]

    def post_meter_values(self, conn: ConnectorState, tx: Transaction | None) -> None:
        self.post(
            lambda: call.MeterValues(
                connector_id=conn.connector_id,
                meter_value=self._sampled(conn, tx),
                transaction_id=tx.csms_tx_id if tx and tx.csms_tx_id is not None else None,
            )
        )

    def post_transaction_start(self, conn: ConnectorState, tx: Transaction) -> None:
        def on_result(result: call_result.StartTransaction) -> None:
            tx.csms_tx_id = result.transaction_id
            status = (result.id_tag_info or {}).get("status")
            self._changed()
            if status not in (None, "Accepted", "ConcurrentTx") and conn.transaction is tx:
                self.stop_transaction(conn.connector_id, reason="DeAuthorized")

        self.post(
            call.StartTransaction(
                connector_id=conn.connector_id,
                id_tag=tx.id_tag,
                meter_start=tx.meter_start_wh,
                timestamp=tx.started_at,
            ),
            on_result,
        )

    def post_transaction_stop(
        self, conn: ConnectorState, tx: Transaction, meter_stop: int, reason: str
    ) -> None:
        stamp = utc_iso()
        reason = reason if reason != "Reboot" else "Reboot"
        self.post(
            lambda: call.StopTransaction(
                meter_stop=meter_stop,
                timestamp=stamp,
                transaction_id=tx.csms_tx_id if tx.csms_tx_id is not None else -1,
                reason=reason,
                id_tag=tx.id_tag,
            )
        )

    # ------------------------------------------------------------------ commands
    @on(Action.reset)
    def on_reset(self, type: str, **_: Any) -> call_result.Reset:
        self.record_command("Reset", {"type": type}, "Accepted")
        return call_result.Reset(status="Accepted")

    @after(Action.reset)
    def after_reset(self, type: str, **_: Any) -> None:
        if type == "Soft":
            for conn in self.connectors.values():
                if conn.transaction is not None:
                    self.stop_transaction(conn.connector_id, reason="SoftReset")
            self.request_reboot(SOFT_RESET, "RemoteReset", graceful=True)
        else:  # Hard: StopTransaction (HardReset) is queued and sent after the reboot
            self.request_reboot(HARD_RESET, "RemoteReset", graceful=False)

    @on(Action.unlock_connector)
    def on_unlock_connector(self, connector_id: int, **_: Any) -> call_result.UnlockConnector:
        if connector_id not in self.connectors:
            answer = "NotSupported"
        else:
            if self.connectors[connector_id].transaction is not None:
                self.stop_transaction(connector_id, reason="UnlockCommand")
            answer = self.unlock(connector_id)
        self.record_command("UnlockConnector", {"connectorId": connector_id}, answer)
        return call_result.UnlockConnector(status=answer)

    @on(Action.change_availability)
    def on_change_availability(
        self, connector_id: int, type: str, **_: Any
    ) -> call_result.ChangeAvailability:
        if connector_id != 0 and connector_id not in self.connectors:
            answer = "Rejected"
        else:
            answer = self.set_availability(connector_id, type == "Operative")
        self.record_command(
            "ChangeAvailability", {"connectorId": connector_id, "type": type}, answer
        )
        return call_result.ChangeAvailability(status=answer)

    @on(Action.trigger_message)
    def on_trigger_message(
        self, requested_message: str, connector_id: int | None = None, **_: Any
    ) -> call_result.TriggerMessage:
        answer = self._trigger_answer(requested_message, connector_id)
        self.record_command(
            "TriggerMessage",
            {"requestedMessage": requested_message, "connectorId": connector_id},
            answer,
        )
        return call_result.TriggerMessage(status=answer)

    def _trigger_answer(self, requested_message: str, connector_id: int | None) -> str:
        """TriggerMessage.conf status: NotImplemented for a message this charger cannot send,
        Rejected for a connector it does not have (OCPP 1.6 5.17)."""
        if requested_message not in TRIGGERABLE_16:
            return "NotImplemented"
        if connector_id not in (None, 0) and connector_id not in self.connectors:
            return "Rejected"
        return "Accepted"

    @after(Action.trigger_message)
    def after_trigger_message(
        self, requested_message: str, connector_id: int | None = None, **_: Any
    ) -> None:
        if requested_message not in TRIGGERABLE_16:
            return
        if connector_id not in (None, 0) and connector_id not in self.connectors:
            return
        if requested_message == "BootNotification":
            self.post(self.boot_payload())
        elif requested_message == "Heartbeat":
            self.post(self.heartbeat_payload())
        elif requested_message == "StatusNotification":
            cids = [connector_id] if connector_id is not None else [0, *self.connectors]
            for cid in cids:
                for payload in self.status_payloads(cid, self.view16(cid)):
                    self.post(payload)
        elif requested_message == "MeterValues":
            cids = [connector_id] if connector_id else list(self.connectors)
            for cid in cids:
                conn = self.connectors[cid]
                self._advance_meter(conn)
                self.post_meter_values(conn, conn.transaction)
        elif requested_message == "DiagnosticsStatusNotification":
            self.post(call.DiagnosticsStatusNotification(status="Idle"))
        elif requested_message == "FirmwareStatusNotification":
            self.post(call.FirmwareStatusNotification(status=self._core_firmware_status()))

    @on(Action.extended_trigger_message)
    def on_extended_trigger_message(
        self, requested_message: str, connector_id: int | None = None, **_: Any
    ) -> call_result.ExtendedTriggerMessage:
        # 1.6 security whitepaper: LogStatusNotification, and SignChargePointCertificate (A02:
        # a new key pair and its CSR in a SignCertificate.req)
        if requested_message in ("LogStatusNotification", "SignChargePointCertificate"):
            answer = "Accepted"
        else:
            answer = self._trigger_answer(requested_message, connector_id)
        self.record_command(
            "ExtendedTriggerMessage",
            {"requestedMessage": requested_message, "connectorId": connector_id},
            answer,
        )
        return call_result.ExtendedTriggerMessage(status=answer)

    @after(Action.extended_trigger_message)
    def after_extended_trigger_message(
        self, requested_message: str, connector_id: int | None = None, **_: Any
    ) -> None:
        if requested_message == "SignChargePointCertificate":
            self.post(call.SignCertificate(csr=self.certificates.new_csr()))
        elif requested_message == "LogStatusNotification":
            # security whitepaper: requestId is omitted in a triggered Idle one, but the
            # ocpp package's schema requires it: 0 names no GetLog request
            self.post(call.LogStatusNotification(status="Idle", request_id=0))
        else:
            self.after_trigger_message(requested_message, connector_id)

    def _core_firmware_status(self) -> str:
        """The last state in 1.6 core FirmwareStatus terms (a signed update's states are not)."""
        status = getattr(self, "firmware_status", "Idle")
        core = {"Downloaded", "DownloadFailed", "Downloading", "Idle", "InstallationFailed"}
        return status if status in core | {"Installing", "Installed"} else "Idle"

    @on(Action.update_firmware)
    def on_update_firmware(
        self, location: str, retrieve_date: str, **_: Any
    ) -> call_result.UpdateFirmware:
        self.record_command("UpdateFirmware", {"location": location}, "")
        return call_result.UpdateFirmware()

    @after(Action.update_firmware)
    def after_update_firmware(self, location: str, retrieve_date: str, **_: Any) -> None:
        result = self.firmware_outcome(location, signed=False, core16=True)
        for status in result.states:
            self.firmware_status = status
            self.post(call.FirmwareStatusNotification(status=status))
        self.finish_install(result)

    @on(Action.signed_update_firmware)
    def on_signed_update_firmware(
        self, request_id: int, firmware: dict, **_: Any
    ) -> call_result.SignedUpdateFirmware:
        ok = "BEGIN CERTIFICATE" in str(firmware.get("signing_certificate", ""))
        answer = "Accepted" if ok else "InvalidCertificate"
        self.record_command(
            "SignedUpdateFirmware",
            {"requestId": request_id, "location": firmware["location"]},
            answer,
        )
        return call_result.SignedUpdateFirmware(status=answer)

    @after(Action.signed_update_firmware)
    def after_signed_update_firmware(self, request_id: int, firmware: dict, **_: Any) -> None:
        if "BEGIN CERTIFICATE" not in str(firmware.get("signing_certificate", "")):
            return
        result = self.firmware_outcome(firmware["location"], signed=True)
        for status in result.states:
            self.firmware_status = status
            self.post(call.SignedFirmwareStatusNotification(status=status, request_id=request_id))
        self.finish_install(result)

    @on(Action.get_installed_certificate_ids)
    def on_get_installed_certificate_ids(
        self, certificate_type: str, **_: Any
    ) -> call_result.GetInstalledCertificateIds:
        found = self.certificates.hash_list(certificate_type)
        answer = "Accepted" if found else "NotFound"
        self.record_command("GetInstalledCertificateIds", {"type": certificate_type}, answer)
        return call_result.GetInstalledCertificateIds(
            status=answer, certificate_hash_data=found or None
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
        if not taken:  # 1.6 security whitepaper A02.FR.07
            self.report_security_event("InvalidChargingStationCertificate", utc_iso())
        return call_result.CertificateSigned(status=answer)

    def report_security_event(
        self, event: str, timestamp: str, tech_info: str | None = None
    ) -> None:
        self.post(
            call.SecurityEventNotification(
                type=SECURITY_EVENTS_16.get(event, event), timestamp=timestamp, tech_info=tech_info
            )
        )

    @on(Action.get_log)
    def on_get_log(self, log: dict, log_type: str, request_id: int, **_: Any) -> call_result.GetLog:
        # 1.6 security whitepaper GetLog: DiagnosticsLog or SecurityLog, LogStatusNotification
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

    @on(Action.get_diagnostics)
    def on_get_diagnostics(self, location: str, **kwargs: Any) -> call_result.GetDiagnostics:
        file_name = f"{self.charger_id}-diagnostics-{self.commands + 1}.log"
        self.record_command("GetDiagnostics", {"location": location}, file_name)
        return call_result.GetDiagnostics(file_name=file_name)

    @after(Action.get_diagnostics)
    async def after_get_diagnostics(
        self, location: str, retries: int | None = None, **_: Any
    ) -> None:
        file_name = f"{self.charger_id}-diagnostics-{self.commands}.log"
        self.post(call.DiagnosticsStatusNotification(status="Uploading"))
        ok = False
        for _attempt in range(1 + max(0, min(retries or 0, 3))):
            ok = await self.upload_diagnostics(location, file_name)
            if ok:
                break
            await asyncio.sleep(0)
        self.post(call.DiagnosticsStatusNotification(status="Uploaded" if ok else "UploadFailed"))

    @on(Action.get_configuration)
    def on_get_configuration(
        self, key: list[str] | None = None, **_: Any
    ) -> call_result.GetConfiguration:
        keys = key or list(CONFIG_16)
        known, unknown = [], []
        for k in keys:
            value = self.config_value(k)
            if value is None:
                unknown.append(k)
            else:
                known.append({"key": k, "readonly": CONFIG_16[k][1], "value": value})
        self.record_command("GetConfiguration", {"key": key}, f"{len(known)} keys")
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.change_configuration)
    def on_change_configuration(
        self, key: str, value: str, **_: Any
    ) -> call_result.ChangeConfiguration:
        if key == "AuthorizationKey":  # 1.6 security whitepaper: the Basic-auth password
            taken = self.password_of_authorization_key(value) is not None
            answer = "Accepted" if taken else "Rejected"
            self.record_command("ChangeConfiguration", {"key": key, "value": "***"}, answer)
            return call_result.ChangeConfiguration(status=answer)
        entry = CONFIG_16.get(key)
        if self.restart_key(key):
            answer = "Accepted"
        elif entry is None:
            answer = "NotSupported"
        elif entry[1] or (
            key in ("HeartbeatInterval", "MeterValueSampleInterval") and not value.isdigit()
        ):
            answer = "Rejected"
        else:
            answer = "Accepted"
            if key == "HeartbeatInterval":
                self.heartbeat_interval = float(value)
                self._kick.set()
            else:
                if self.config_overrides is None:
                    self.config_overrides = {}
                self.config_overrides[key] = value
        self.record_command("ChangeConfiguration", {"key": key, "value": value}, answer)
        return call_result.ChangeConfiguration(status=answer)

    @after(Action.change_configuration)
    def after_change_configuration(self, key: str, value: str, **_: Any) -> None:
        restart = restart_of(self.plan.model, "1.6", key, value)
        if restart is not None:
            self.restart_peripheral(restart)
        password = self.password_of_authorization_key(value) if key == "AuthorizationKey" else None
        if password is not None:
            self.adopt_password(password)

    @on(Action.clear_cache)
    def on_clear_cache(self, **_: Any) -> call_result.ClearCache:
        self.record_command("ClearCache", {}, "Accepted")
        return call_result.ClearCache(status="Accepted")

    @on(Action.remote_stop_transaction)
    def on_remote_stop_transaction(
        self, transaction_id: int, **_: Any
    ) -> call_result.RemoteStopTransaction:
        conn = self.find_transaction(transaction_id)
        answer = "Accepted" if conn is not None else "Rejected"
        self.record_command("RemoteStopTransaction", {"transactionId": transaction_id}, answer)
        return call_result.RemoteStopTransaction(status=answer)

    @after(Action.remote_stop_transaction)
    def after_remote_stop_transaction(self, transaction_id: int, **_: Any) -> None:
        conn = self.find_transaction(transaction_id)
        if conn is not None:
            self.stop_transaction(conn.connector_id, reason="Remote")

    @on(Action.remote_start_transaction)
    def on_remote_start_transaction(
        self, id_tag: str, connector_id: int | None = None, **_: Any
    ) -> call_result.RemoteStartTransaction:
        cid = connector_id or next(
            (c for c, s in self.connectors.items() if s.transaction is None), 0
        )
        answer = "Accepted" if self._may_start(cid) else "Rejected"
        self.record_command(
            "RemoteStartTransaction", {"idTag": id_tag, "connectorId": connector_id}, answer
        )
        return call_result.RemoteStartTransaction(status=answer)

    @after(Action.remote_start_transaction)
    def after_remote_start_transaction(
        self, id_tag: str, connector_id: int | None = None, **_: Any
    ) -> None:
        cid = connector_id or next(
            (c for c, s in self.connectors.items() if s.transaction is None), 0
        )
        if self._may_start(cid):  # not on a Rejected start (an Inoperative charger, 1.6 §5.2)
            self.start_transaction(cid, id_tag)

    def _may_start(self, cid: int) -> bool:
        conn = self.connectors.get(cid)
        return (
            conn is not None
            and conn.transaction is None
            and conn.operative
            and self.charger_operative
            and self.blocking_fault(cid) is None
        )

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        self.record_command("DataTransfer", {"vendorId": vendor_id}, "UnknownVendorId")
        return call_result.DataTransfer(status="UnknownVendorId")
