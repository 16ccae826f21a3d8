"""Chargers for tests, written with the `ocpp` package's client side (1.6 and 2.0.1)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl as ssl_module
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import websockets
from ocpp.exceptions import FormatViolationError, OccurrenceConstraintViolationError
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201

from tests.conftest import TEST_CHARGER_PASSWORD


def basic_auth(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def now() -> str:
    return datetime.now(UTC).isoformat()


class CertificateHandlers:
    """The certificate messages of OCPP 2.0.1 (A02/A03, M04, M05) and the 1.6 security
    extension, the same in both test chargers (``_results`` is the version's call_result)."""

    _results: Any
    _version: str
    received: list[tuple[str, dict[str, Any]]]

    def _init_certificates(self) -> None:
        self.signed_chains: asyncio.Queue[str] = asyncio.Queue()  # CertificateSigned received
        self.certificate_signed_answer = "Accepted"
        self.install_answer = "Accepted"
        self.delete_answer = "Accepted"

    @on("CertificateSigned")
    def on_certificate_signed(self, certificate_chain: str, **kw: Any) -> Any:
        self.received.append(("CertificateSigned", {"certificate_chain": certificate_chain, **kw}))
        self.signed_chains.put_nowait(certificate_chain)
        return self._results.CertificateSigned(status=self.certificate_signed_answer)

    @on("InstallCertificate")
    def on_install_certificate(self, certificate_type: str, certificate: str, **_: Any) -> Any:
        self.received.append(
            (
                "InstallCertificate",
                {"certificate_type": certificate_type, "certificate": certificate},
            )
        )
        return self._results.InstallCertificate(status=self.install_answer)

    @on("DeleteCertificate")
    def on_delete_certificate(self, certificate_hash_data: dict[str, Any], **_: Any) -> Any:
        self.received.append(("DeleteCertificate", certificate_hash_data))
        return self._results.DeleteCertificate(status=self.delete_answer)

    async def sign_certificate(self, csr: str, certificate_type: str | None = None) -> Any:
        if self._version == "1.6":
            return await self.call(call16.SignCertificate(csr=csr))  # type: ignore[attr-defined]
        return await self.call(  # type: ignore[attr-defined]
            call201.SignCertificate(csr=csr, certificate_type=certificate_type)
        )


class TestCharger16(CertificateHandlers, Cp16):
    """Answers the central system's commands the way simple firmware does."""

    __test__ = False  # not a pytest test class
    _results = result16
    _version = "1.6"

    def __init__(self, charger_id: str, connection: Any) -> None:
        super().__init__(charger_id, connection)
        self._init_certificates()
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.reset_answer = "Accepted"
        self.configuration_answer = "Accepted"
        self.installed_certificates: list[dict[str, Any]] = []  # CertificateHashDataType
        # Availability as OCPP 1.6 §5.2 has it: Scheduled while a transaction is in progress
        # (``availability_answer`` overrides the answer: a charger that does not comply).
        self.availability_answer: str | None = None
        # UnlockConnector answers in turn (then "Unlocked"), and the status the connector
        # reports once an unlock worked (None: nothing)
        self.unlock_answers: list[str] = []
        self.status_after_unlock: str | None = None
        self.last_unlock: str | None = None
        self.charging: set[int] = set()
        # A driver who starts on this connector just as the next command reaches the charger
        # (the check-then-act race): StartTransaction goes out before the command is answered.
        self.driver_arrives: int | None = None
        self.starts: list[asyncio.Task[Any]] = []
        self._frame_out = asyncio.Event()

    async def _send(self, message: Any) -> None:
        await super()._send(message)
        self._frame_out.set()

    async def _driver_starts_first(self) -> None:
        if self.driver_arrives is None:
            return
        connector, self.driver_arrives = self.driver_arrives, None
        self.charging.add(connector)
        self._frame_out.clear()
        start = call16.StartTransaction(
            connector_id=connector, id_tag="DRIVER", meter_start=0, timestamp=now()
        )
        self.starts.append(asyncio.create_task(self.call(start)))
        await self._frame_out.wait()  # on the wire before this command's answer

    @on(Action16.reset)
    async def on_reset(self, type: str, **_: Any) -> Any:
        await self._driver_starts_first()
        self.received.append(("Reset", {"type": type}))
        return result16.Reset(status=self.reset_answer)

    @on(Action16.unlock_connector)
    async def on_unlock(self, connector_id: int, **_: Any) -> Any:
        await self._driver_starts_first()
        self.received.append(("UnlockConnector", {"connector_id": connector_id}))
        self.last_unlock = self.unlock_answers.pop(0) if self.unlock_answers else "Unlocked"
        return result16.UnlockConnector(status=self.last_unlock)

    @after(Action16.unlock_connector)
    async def after_unlock(self, connector_id: int, **_: Any) -> None:
        if self.last_unlock == "Unlocked" and self.status_after_unlock is not None:
            await self.status(connector_id, self.status_after_unlock)

    @on(Action16.change_availability)
    async def on_availability(self, connector_id: int, type: str, **_: Any) -> Any:
        await self._driver_starts_first()
        self.received.append(("ChangeAvailability", {"connector_id": connector_id, "type": type}))
        busy = self.charging if connector_id == 0 else self.charging & {connector_id}
        status = "Scheduled" if type == "Inoperative" and busy else "Accepted"
        return result16.ChangeAvailability(status=self.availability_answer or status)

    @on(Action16.trigger_message)
    def on_trigger(self, requested_message: str, **kw: Any) -> Any:
        self.received.append(("TriggerMessage", {"requested_message": requested_message, **kw}))
        return result16.TriggerMessage(status="Accepted")

    @on(Action16.extended_trigger_message)
    def on_extended_trigger(self, requested_message: str, **kw: Any) -> Any:
        self.received.append(
            ("ExtendedTriggerMessage", {"requested_message": requested_message, **kw})
        )
        return result16.ExtendedTriggerMessage(status="Accepted")

    @on(Action16.data_transfer)
    def on_data_transfer(self, vendor_id: str, **kw: Any) -> Any:
        self.received.append(("DataTransfer", {"vendor_id": vendor_id, **kw}))
        if vendor_id != "com.voltara":
            return result16.DataTransfer(status="UnknownVendorId")
        return result16.DataTransfer(status="Accepted", data="pong")

    @on(Action16.remote_start_transaction)
    def on_remote_start(self, id_tag: str, **kw: Any) -> Any:
        self.received.append(("RemoteStartTransaction", {"id_tag": id_tag, **kw}))
        return result16.RemoteStartTransaction(status="Accepted")

    @on(Action16.update_firmware)
    def on_update_firmware(self, location: str, retrieve_date: str, **kw: Any) -> Any:
        self.received.append(
            ("UpdateFirmware", {"location": location, "retrieve_date": retrieve_date, **kw})
        )
        return result16.UpdateFirmware()

    @on(Action16.signed_update_firmware)
    def on_signed_update_firmware(self, request_id: int, firmware: dict[str, Any], **kw: Any):  # type: ignore[no-untyped-def]
        self.received.append(
            ("SignedUpdateFirmware", {"request_id": request_id, "firmware": firmware, **kw})
        )
        return result16.SignedUpdateFirmware(status="Accepted")

    @on(Action16.get_configuration)
    def on_get_configuration(self, **kw: Any) -> Any:
        self.received.append(("GetConfiguration", kw))
        return result16.GetConfiguration(
            configuration_key=[{"key": "HeartbeatInterval", "readonly": False, "value": "60"}]
        )

    @on(Action16.change_configuration)
    def on_change_configuration(self, key: str, value: str, **_: Any) -> Any:
        self.received.append(("ChangeConfiguration", {"key": key, "value": value}))
        return result16.ChangeConfiguration(status=self.configuration_answer)

    @on(Action16.clear_cache)
    def on_clear_cache(self, **_: Any) -> Any:
        self.received.append(("ClearCache", {}))
        return result16.ClearCache(status="Accepted")

    @on(Action16.get_diagnostics)
    def on_get_diagnostics(self, location: str, **kw: Any) -> Any:
        self.received.append(("GetDiagnostics", {"location": location, **kw}))
        return result16.GetDiagnostics(file_name="diag.log")

    @on(Action16.get_log)
    def on_get_log(self, log: dict[str, Any], log_type: str, request_id: int, **_: Any) -> Any:
        self.received.append(
            ("GetLog", {"log": log, "log_type": log_type, "request_id": request_id})
        )
        return result16.GetLog(status="Accepted", filename="security.log")

    @on(Action16.get_installed_certificate_ids)
    def on_get_installed_certificate_ids(self, certificate_type: str, **_: Any) -> Any:
        self.received.append(("GetInstalledCertificateIds", {"certificate_type": certificate_type}))
        if not self.installed_certificates:
            return result16.GetInstalledCertificateIds(status="NotFound")
        return result16.GetInstalledCertificateIds(
            status="Accepted", certificate_hash_data=self.installed_certificates
        )

    @on(Action16.remote_stop_transaction)
    def on_remote_stop(self, transaction_id: int, **_: Any) -> Any:
        self.received.append(("RemoteStopTransaction", {"transaction_id": transaction_id}))
        return result16.RemoteStopTransaction(status="Accepted")

    async def boot(
        self, vendor: str = "Voltara", model: str = "WB-22", firmware: str = "VT-WB 3.4.2"
    ) -> Any:
        return await self.call(
            call16.BootNotification(
                charge_point_vendor=vendor, charge_point_model=model, firmware_version=firmware
            )
        )

    async def status(
        self, connector_id: int, status: str, error_code: str = "NoError", **kw: Any
    ) -> Any:
        return await self.call(
            call16.StatusNotification(
                connector_id=connector_id, status=status, error_code=error_code, **kw
            )
        )

    async def meter(self, connector_id: int, transaction_id: int, energy_wh: float) -> Any:
        """One MeterValues sample of the energy register (Wh), timestamped now."""
        sample = {
            "value": f"{energy_wh:g}",
            "measurand": "Energy.Active.Import.Register",
            "unit": "Wh",
        }
        return await self.call(
            call16.MeterValues(
                connector_id=connector_id,
                transaction_id=transaction_id,
                meter_value=[{"timestamp": now(), "sampled_value": [sample]}],
            )
        )


class TestCharger201(CertificateHandlers, Cp201):
    __test__ = False
    _results = result201
    _version = "2.0.1"

    def __init__(self, charger_id: str, connection: Any) -> None:
        super().__init__(charger_id, connection)
        self._init_certificates()
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.reset_answer = "Accepted"  # "Scheduled": an OnIdle reset during a transaction
        self.ongoing_transaction: str | None = None
        self.items_per_message = {"GetVariables": 50, "SetVariables": 50}
        self.never_answer_set_variables = False
        # (certificateType, CertificateHashDataType) pairs GetInstalledCertificateIds reports
        self.installed_certificates: list[tuple[str, dict[str, Any]]] = []
        self.bytes_per_message = {"GetVariables": 65536, "SetVariables": 65536}
        self.last_frame_bytes = 0  # the size of the last frame received
        # B07/B08: reportData items sent in NotifyReport parts of this many items after a
        # GetBaseReport/GetReport is accepted (none: no report follows)
        self.inventory: list[dict[str, Any]] = []
        self.report_part_size = 2
        self.reports_sent: list[int] = []  # requestIds whose last part was answered
        self.monitors: list[dict[str, Any]] = []  # MonitoringDataType, for N02 reports
        # how SetVariableMonitoring is answered: "Accepted" (ids 1..n), "Duplicate" (no id:
        # a station that kept the monitors across a reboot), "never" (it sets them and its
        # answer is lost: the next frame out, the CallResult, is dropped)
        self.monitoring_answer = "Accepted"
        self._drop_next_frame = False
        self.customer_data = ""  # what CustomerInformation reports (N09)
        self.network_profiles: dict[int, dict[str, Any]] = {}  # B09, by configuration slot
        self.report_done = asyncio.Event()

    @on(Action201.reset)
    def on_reset(self, type: str, **kw: Any) -> Any:
        self.received.append(("Reset", {"type": type, **kw}))
        return result201.Reset(status=self.reset_answer)

    @on(Action201.unlock_connector)
    def on_unlock(self, evse_id: int, connector_id: int, **_: Any) -> Any:
        self.received.append(
            ("UnlockConnector", {"evse_id": evse_id, "connector_id": connector_id})
        )
        return result201.UnlockConnector(status="Unlocked")

    @on(Action201.change_availability)
    def on_availability(self, operational_status: str, **kw: Any) -> Any:
        self.received.append(
            ("ChangeAvailability", {"operational_status": operational_status, **kw})
        )
        return result201.ChangeAvailability(status="Accepted")

    @on(Action201.trigger_message)
    def on_trigger(self, requested_message: str, **kw: Any) -> Any:
        self.received.append(("TriggerMessage", {"requested_message": requested_message, **kw}))
        return result201.TriggerMessage(status="Accepted")

    @on(Action201.request_start_transaction)
    def on_request_start(self, id_token: dict[str, Any], remote_start_id: int, **kw: Any) -> Any:
        self.received.append(
            (
                "RequestStartTransaction",
                {"id_token": id_token, "remote_start_id": remote_start_id, **kw},
            )
        )
        return result201.RequestStartTransaction(status="Accepted")

    @on(Action201.update_firmware)
    def on_update_firmware(self, request_id: int, firmware: dict[str, Any], **kw: Any) -> Any:
        self.received.append(
            ("UpdateFirmware", {"request_id": request_id, "firmware": firmware, **kw})
        )
        return result201.UpdateFirmware(status="Accepted")

    async def firmware_status(self, status: str, request_id: int | None = None) -> Any:
        return await self.call(
            call201.FirmwareStatusNotification(status=status, request_id=request_id)
        )

    @on(Action201.data_transfer)
    def on_data_transfer(self, vendor_id: str, **kw: Any) -> Any:
        self.received.append(("DataTransfer", {"vendor_id": vendor_id, **kw}))
        if kw.get("message_id") != "Ping":
            return result201.DataTransfer(status="UnknownMessageId")
        return result201.DataTransfer(status="Accepted", data={"pong": kw.get("data")})

    @on(Action201.get_transaction_status)
    def on_get_transaction_status(self, **kw: Any) -> Any:
        self.received.append(("GetTransactionStatus", kw))
        ongoing = kw.get("transaction_id") == self.ongoing_transaction
        return result201.GetTransactionStatus(messages_in_queue=False, ongoing_indicator=ongoing)

    @on(Action201.get_variables)
    def on_get_variables(self, get_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        self.received.append(("GetVariables", {"data": get_variable_data}))
        self._within_limit("GetVariables", get_variable_data)
        return result201.GetVariables(
            get_variable_result=[
                {
                    "attribute_status": "Accepted",
                    "component": d["component"],
                    "variable": d["variable"],
                    "attribute_value": self._value(d),
                }
                for d in get_variable_data
            ]
        )

    async def route_message(self, raw_msg: Any) -> None:
        text = raw_msg if isinstance(raw_msg, str) else raw_msg.decode()
        self.last_frame_bytes = len(text.encode())
        await super().route_message(raw_msg)

    def _value(self, data: dict[str, Any]) -> str:
        variable = data["variable"]
        if data["component"]["name"] == "DeviceDataCtrlr" and variable["name"] == "ItemsPerMessage":
            return str(self.items_per_message[variable.get("instance", "GetVariables")])
        if data["component"]["name"] == "DeviceDataCtrlr" and variable["name"] == "BytesPerMessage":
            return str(self.bytes_per_message[variable.get("instance", "GetVariables")])
        return "60"

    def _within_limit(self, instance: str, items: list[Any]) -> None:
        # DeviceDataCtrlr.ItemsPerMessage: a longer request is an OccurrenceConstraintViolation
        if len(items) > self.items_per_message[instance]:
            raise OccurrenceConstraintViolationError(details={"limit": instance})
        # DeviceDataCtrlr.BytesPerMessage: a larger message is a FormatViolation
        if self.last_frame_bytes > self.bytes_per_message[instance]:
            raise FormatViolationError(details={"bytes": self.last_frame_bytes})

    @on(Action201.set_variables)
    def on_set_variables(self, set_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        self.received.append(("SetVariables", {"data": set_variable_data}))
        if self.never_answer_set_variables:  # it takes the value and never answers
            return asyncio.Event().wait()
        self._within_limit("SetVariables", set_variable_data)
        return result201.SetVariables(
            set_variable_result=[
                {
                    "attribute_status": "Accepted",
                    "component": d["component"],
                    "variable": d["variable"],
                }
                for d in set_variable_data
            ]
        )

    @on(Action201.get_log)
    def on_get_log(self, log: dict[str, Any], log_type: str, request_id: int, **_: Any) -> Any:
        self.received.append(
            ("GetLog", {"log": log, "request_id": request_id, "log_type": log_type})
        )
        return result201.GetLog(status="Accepted", filename="log.txt")

    @on(Action201.get_base_report)
    def on_get_base_report(self, request_id: int, report_base: str, **_: Any) -> Any:
        self.received.append(
            ("GetBaseReport", {"report_base": report_base, "request_id": request_id})
        )
        return result201.GetBaseReport(status="Accepted")

    @after(Action201.get_base_report)
    async def after_get_base_report(self, request_id: int, **_: Any) -> None:
        await self.send_report(request_id, self.inventory)

    @on(Action201.get_report)
    def on_get_report(self, request_id: int, **kw: Any) -> Any:
        self.received.append(("GetReport", kw))
        return result201.GetReport(status="Accepted")

    @after(Action201.get_report)
    async def after_get_report(self, request_id: int, **_: Any) -> None:
        await self.send_report(request_id, self.inventory[:1])

    async def send_report(self, request_id: int, items: list[dict[str, Any]]) -> None:
        """NotifyReport parts: seqNo from 0, tbc on every part but the last."""
        if not items:
            return
        size = self.report_part_size
        parts = [items[i : i + size] for i in range(0, len(items), size)]
        for seq_no, part in enumerate(parts):
            await self.call(
                call201.NotifyReport(
                    request_id=request_id,
                    generated_at=now(),
                    seq_no=seq_no,
                    report_data=part,
                    tbc=seq_no < len(parts) - 1,
                )
            )
        self.reports_sent.append(request_id)
        self.report_done.set()

    async def wait_report(self, request_id: int, timeout: float = 10.0) -> None:
        """Until the last part of the report for this request was answered (another report,
        such as the summary self-diagnosis asks for at boot, may finish in between)."""

        async def until() -> None:
            while request_id not in self.reports_sent:
                self.report_done.clear()
                await self.report_done.wait()

        await asyncio.wait_for(until(), timeout)

    async def _send(self, message: Any) -> None:
        if self._drop_next_frame:
            self._drop_next_frame = False
            return
        await super()._send(message)

    @on(Action201.set_variable_monitoring)
    def on_set_variable_monitoring(self, set_monitoring_data: list[dict[str, Any]], **_: Any):  # type: ignore[no-untyped-def]
        self.received.append(("SetVariableMonitoring", {"data": set_monitoring_data}))
        self._drop_next_frame = self.monitoring_answer == "never"
        accepted = self.monitoring_answer in ("Accepted", "never")
        return result201.SetVariableMonitoring(
            set_monitoring_result=[
                {
                    **({"id": i + 1} if accepted else {}),
                    "status": "Accepted" if accepted else self.monitoring_answer,
                    "type": d["type"],
                    "severity": d["severity"],
                    "component": d["component"],
                    "variable": d["variable"],
                }
                for i, d in enumerate(set_monitoring_data)
            ]
        )

    @on(Action201.clear_cache)
    def on_clear_cache(self, **_: Any) -> Any:
        self.received.append(("ClearCache", {}))
        return result201.ClearCache(status="Accepted")

    @on(Action201.get_installed_certificate_ids)
    def on_get_installed_certificate_ids(self, **kw: Any) -> Any:
        self.received.append(("GetInstalledCertificateIds", kw))
        if not self.installed_certificates:
            return result201.GetInstalledCertificateIds(status="NotFound")
        return result201.GetInstalledCertificateIds(
            status="Accepted",
            certificate_hash_data_chain=[
                {"certificate_type": kind, "certificate_hash_data": data}
                for kind, data in self.installed_certificates
            ],
        )

    @on(Action201.set_network_profile)
    def on_set_network_profile(self, configuration_slot: int, connection_data: dict, **_: Any):  # type: ignore[no-untyped-def]
        self.received.append(("SetNetworkProfile", {"configuration_slot": configuration_slot}))
        self.network_profiles[configuration_slot] = connection_data
        return result201.SetNetworkProfile(status="Accepted")

    @on(Action201.customer_information)
    def on_customer_information(self, request_id: int, report: bool, clear: bool, **kw: Any) -> Any:
        self.received.append(("CustomerInformation", {"report": report, "clear": clear, **kw}))
        return result201.CustomerInformation(status="Accepted")

    @after(Action201.customer_information)
    async def after_customer_information(self, request_id: int, report: bool, **_: Any) -> None:
        """N09: the customer's data in NotifyCustomerInformation parts (data <= 512 chars)."""
        if not report:
            return
        parts = [
            self.customer_data[i : i + 512] for i in range(0, len(self.customer_data), 512)
        ] or [""]
        for seq_no, part in enumerate(parts):
            await self.call(
                call201.NotifyCustomerInformation(
                    data=part,
                    seq_no=seq_no,
                    generated_at=now(),
                    request_id=request_id,
                    tbc=seq_no < len(parts) - 1,
                )
            )
        self.reports_sent.append(request_id)
        self.report_done.set()

    @on(Action201.clear_variable_monitoring)
    def on_clear_variable_monitoring(self, id: list[int], **_: Any) -> Any:
        self.received.append(("ClearVariableMonitoring", {"id": id}))
        return result201.ClearVariableMonitoring(
            clear_monitoring_result=[
                {"id": i, "status": "Accepted" if i > 0 else "Rejected"} for i in id
            ]
        )

    @on(Action201.set_monitoring_base)
    def on_set_monitoring_base(self, monitoring_base: str, **_: Any) -> Any:
        self.received.append(("SetMonitoringBase", {"monitoring_base": monitoring_base}))
        return result201.SetMonitoringBase(status="Accepted")

    @on(Action201.set_monitoring_level)
    def on_set_monitoring_level(self, severity: int, **_: Any) -> Any:
        self.received.append(("SetMonitoringLevel", {"severity": severity}))
        return result201.SetMonitoringLevel(status="Accepted")

    @on(Action201.get_monitoring_report)
    def on_get_monitoring_report(self, request_id: int, **kw: Any) -> Any:
        self.received.append(("GetMonitoringReport", kw))
        return result201.GetMonitoringReport(status="Accepted")

    @after(Action201.get_monitoring_report)
    async def after_get_monitoring_report(self, request_id: int, **_: Any) -> None:
        """NotifyMonitoringReport parts (N02): seqNo from 0, tbc on every part but the last."""
        parts = [
            self.monitors[i : i + self.report_part_size]
            for i in range(0, len(self.monitors), self.report_part_size)
        ]
        for seq_no, part in enumerate(parts):
            await self.call(
                call201.NotifyMonitoringReport(
                    request_id=request_id,
                    generated_at=now(),
                    seq_no=seq_no,
                    monitor=part,
                    tbc=seq_no < len(parts) - 1,
                )
            )
        self.reports_sent.append(request_id)
        self.report_done.set()

    async def start_transaction(self, transaction_id: str, evse_id: int = 1) -> Any:
        """A TransactionEvent Started on the EVSE's connector 1 (a driver authorised)."""
        return await self.call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp=now(),
                trigger_reason="Authorized",
                seq_no=0,
                transaction_info={"transaction_id": transaction_id},
                evse={"id": evse_id, "connector_id": 1},
            )
        )

    @on(Action201.request_stop_transaction)
    def on_request_stop(self, transaction_id: str, **_: Any) -> Any:
        self.received.append(("RequestStopTransaction", {"transaction_id": transaction_id}))
        return result201.RequestStopTransaction(status="Accepted")

    async def boot(
        self,
        vendor: str = "Helion Power",
        model: str = "HX-150",
        firmware: str = "HX 5.2.7",
        reason: str = "PowerUp",
    ) -> Any:
        return await self.call(
            call201.BootNotification(
                charging_station={
                    "model": model,
                    "vendor_name": vendor,
                    "firmware_version": firmware,
                },
                reason=reason,
            )
        )

    async def status(self, evse_id: int, status: str) -> Any:
        return await self.call(
            call201.StatusNotification(
                timestamp=now(), connector_status=status, evse_id=evse_id, connector_id=1
            )
        )

    async def problem(
        self,
        tech_code: str | None,
        *,
        component: str = "EVSE",
        variable: str = "Problem",
        evse_id: int | None = 1,
        connector_id: int | None = None,
        value: str = "true",
        tech_info: str | None = None,
        trigger: str = "Alerting",
        event_id: int = 1,
    ) -> Any:
        """One NotifyEvent exactly as EVerest's OCPP201 module sends an error (HardWired
        notification, trigger Alerting, actualValue true/false, techCode)."""
        comp: dict[str, Any] = {"name": component}
        if evse_id is not None:
            comp["evse"] = {"id": evse_id}
            if connector_id is not None:
                comp["evse"]["connector_id"] = connector_id
        event: dict[str, Any] = {
            "event_id": event_id,
            "timestamp": now(),
            "trigger": trigger,
            "actual_value": value,
            "event_notification_type": "HardWiredNotification",
            "component": comp,
            "variable": {"name": variable},
        }
        if tech_code:
            event["tech_code"] = tech_code
        if tech_info:
            event["tech_info"] = tech_info
        if value == "false":
            event["cleared"] = True
        return await self.call(
            call201.NotifyEvent(generated_at=now(), seq_no=0, event_data=[event])
        )


@contextlib.asynccontextmanager
async def connected(
    ocpp_url: str,
    charger_id: str,
    version: str = "1.6",
    password: str | None = TEST_CHARGER_PASSWORD,
    ssl: ssl_module.SSLContext | None = None,
) -> AsyncIterator[Any]:
    """A test charger connected to the central system, its receive loop running (``ssl``: a
    client context for wss, with a client certificate for profile 3; ``password`` None: no
    HTTP Basic)."""
    subprotocol = "ocpp2.0.1" if version == "2.0.1" else "ocpp1.6"
    ws = await websockets.connect(
        f"{ocpp_url}/{charger_id}",
        subprotocols=[subprotocol],
        additional_headers=basic_auth(charger_id, password) if password is not None else None,
        ssl=ssl,
    )
    cls = TestCharger201 if version == "2.0.1" else TestCharger16
    charger = cls(charger_id, ws)
    task = asyncio.create_task(charger.start())
    try:
        yield charger
    finally:
        task.cancel()
        await ws.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def eventually(check: Any, timeout: float = 5.0, interval: float = 0.05) -> Any:
    """Poll ``check()`` (sync or async) until it returns a truthy value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)
