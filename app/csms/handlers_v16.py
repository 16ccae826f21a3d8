"""OCPP 1.6J: what the central system answers to each charger-initiated message."""

from __future__ import annotations

import itertools
import time
from typing import Any

from ocpp.exceptions import ProtocolError
from ocpp.routing import on
from ocpp.v16 import ChargePoint as OcppChargePoint16
from ocpp.v16 import call_result
from ocpp.v16.enums import Action

from app.authorization.tokens import id_tag_info_v16
from app.csms.charge_point import RecordingMixin, now_iso
from app.csms.context import CsmsContext
from app.csms.handlers_common import CommonHandlers
from app.csms.meter import latest_reading, parse_timestamp
from app.fleet.model import ActiveTransaction

# Transaction ids are integers in 1.6; seeded from the clock so ids stay unique across restarts.
_transaction_ids = itertools.count(int(time.time() * 10) % 2_000_000_000)


class ChargePoint16(RecordingMixin, CommonHandlers, OcppChargePoint16):
    _action_enum = Action

    def __init__(self, charger_id: str, connection: Any, context: CsmsContext) -> None:
        super().__init__(charger_id, connection, response_timeout=context.settings.command_timeout)
        self._init_recording(context)

    @on(Action.boot_notification)
    def on_boot(self, charge_point_vendor: str, charge_point_model: str, **kw: Any) -> Any:
        answer, interval = self._boot_answer()
        self.context.live.apply_boot(
            self.id,
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial_number=kw.get("charge_point_serial_number")
            or kw.get("charge_box_serial_number"),
            firmware_version=kw.get("firmware_version"),
            reason=None,
            registration_status=answer,
            heartbeat_interval=interval,
        )
        self.booted.set()
        return call_result.BootNotification(
            current_time=now_iso(), interval=interval, status=answer
        )

    @on(Action.status_notification, skip_schema_validation=True)
    def on_status(self, **kw: Any) -> Any:
        connector_id = kw.get("connector_id")
        status = kw.get("status")
        error_code = kw.get("error_code")
        if not isinstance(connector_id, int) or connector_id < 0:
            raise ProtocolError(details={"cause": "connectorId must be an integer >= 0"})
        if not isinstance(status, str) or not isinstance(error_code, str):
            raise ProtocolError(details={"cause": "status and errorCode are required strings"})
        self.context.live.apply_status(
            self.id,
            connector_id,
            status,
            raw_error_code=error_code[:50],
            vendor_id=_short(kw.get("vendor_id"), 255),
            vendor_error_code=_short(kw.get("vendor_error_code")),
            info=_short(kw.get("info")),
            at=parse_timestamp(kw.get("timestamp")),
        )
        return call_result.StatusNotification()

    @on(Action.meter_values)
    def on_meter_values(self, connector_id: int, meter_value: list[dict[str, Any]], **kw: Any):  # type: ignore[no-untyped-def]
        reading = latest_reading(meter_value)
        if reading is not None:
            tx_id = kw.get("transaction_id")
            self.context.live.apply_meter(
                self.id, str(tx_id) if tx_id is not None else None, connector_id, reading
            )
        return call_result.MeterValues()

    @on(Action.start_transaction)
    def on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **_: Any
    ) -> Any:
        transaction_id = next(_transaction_ids)
        self.context.live.start_transaction(
            self.id,
            ActiveTransaction(
                transaction_id=str(transaction_id),
                connector_id=connector_id,
                id_tag=id_tag,
                started_at=parse_timestamp(timestamp),
                meter_start_wh=float(meter_start),
            ),
        )
        # The charger has started it whatever we answer: it is recorded, and a refused tag
        # tells the charger to stop it (OCPP 1.6 StopTransactionOnInvalidId).
        return call_result.StartTransaction(
            transaction_id=transaction_id, id_tag_info=self._id_tag_info(id_tag)
        )

    @on(Action.stop_transaction)
    def on_stop_transaction(
        self, transaction_id: int, meter_stop: int, timestamp: str, **kw: Any
    ) -> Any:
        # Also late ones: after a hard reset the StopTransaction may arrive after the reboot.
        # transactionData may carry signed values (SampledValue format SignedData, §7.47):
        # kept with the stop reading as sent, not verified.
        data = latest_reading(kw.get("transaction_data"))
        self.context.live.stop_transaction(
            self.id,
            str(transaction_id),
            meter_stop_wh=float(meter_stop),
            reason=kw.get("reason") or "Local",
            at=parse_timestamp(timestamp),
            meter_stop_signed=data.signed if data else (),
        )
        if kw.get("id_tag"):
            return call_result.StopTransaction(id_tag_info=self._id_tag_info(kw["id_tag"]))
        return call_result.StopTransaction()

    @on(Action.authorize)
    def on_authorize(self, id_tag: str, **_: Any) -> Any:
        return call_result.Authorize(id_tag_info=self._id_tag_info(id_tag))

    def _id_tag_info(self, id_tag: str) -> dict[str, Any]:
        """IdTagInfo from the token store's cache (no database on the event loop)."""
        return id_tag_info_v16(self.context.tokens.authorize(id_tag))

    @on(Action.signed_firmware_status_notification)
    def on_signed_firmware_status(self, status: str, **_: Any) -> Any:
        # 1.6 security whitepaper: the states of a SignedUpdateFirmware (the 2.0.1 names)
        self.context.live.set_firmware_status(self.id, str(status))
        return call_result.SignedFirmwareStatusNotification()

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status(self, status: str, **_: Any) -> Any:
        self.context.live.set_log_status(self.id, str(status))
        if str(status) != "Idle":  # 1.6: Idle answers a trigger, not an upload
            self.context.recorder.log_status(self.id, None, str(status))
        return call_result.DiagnosticsStatusNotification()


def _short(value: Any, limit: int = 50) -> str | None:
    """OCPP 1.6 bounds info and vendorErrorCode to 50 characters, vendorId to 255."""
    return str(value)[:limit] if value not in (None, "") else None
