"""Core tables: the operator/site/charger hierarchy, live state, the OCPP event log, faults,
transactions, commands, security events, diagnostics uploads, API tokens and users."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, JSONType, UTCDateTime, utcnow

# BigInteger primary keys that still autoincrement on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Operator(Base):
    """A charge point operator (CPO): owns sites."""

    __tablename__ = "operators"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sites: Mapped[list[Site]] = relationship(back_populates="operator")


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operators.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    operator: Mapped[Operator] = relationship(back_populates="sites")
    chargers: Mapped[list[Charger]] = relationship(back_populates="site")


class Charger(Base):
    """A registered charge point: identity and credentials (security profile 1)."""

    __tablename__ = "chargers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    vendor: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    firmware_version: Mapped[str | None] = mapped_column(String(100))
    ocpp_version: Mapped[str | None] = mapped_column(String(10))
    label: Mapped[str | None] = mapped_column(String(200))
    auto_registered: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A Basic-auth password being rotated (app/csms/directory.py): its hash, and whether the
    # charger took it (sent: asked, no answer yet; accepted: it answered Accepted).
    pending_password_hash: Mapped[str | None] = mapped_column(String(200))
    pending_password_state: Mapped[str | None] = mapped_column(String(20))
    pending_password_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # commissioning (BootNotification Pending), active (Accepted), blocked (Rejected)
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    # OCPP security profile the charger must connect with (app/csms/central_system.py):
    # None/1/2: HTTP Basic (2: over TLS); 3: TLS client certificate, no Basic auth.
    security_profile: Mapped[int | None] = mapped_column(Integer)

    site: Mapped[Site] = relationship(back_populates="chargers")


class ChargerStateRow(Base):
    """The last known live state of a charger as JSON, so it survives a backend restart."""

    __tablename__ = "charger_state"

    charger_id: Mapped[str] = mapped_column(
        ForeignKey("chargers.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[dict[str, Any]] = mapped_column(JSONType)
    node_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EventRow(Base):
    """Append-only log of every OCPP frame received or sent."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_charger_ts", "charger_id", "ts"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charger_id: Mapped[str] = mapped_column(String(64))
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    direction: Mapped[str] = mapped_column(String(4))  # "in" | "out"
    message_type: Mapped[int] = mapped_column(Integer)  # 2 CALL, 3 CALLRESULT, 4 CALLERROR, 0 bad
    unique_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str | None] = mapped_column(String(64))
    frame: Mapped[str] = mapped_column(Text)  # the OCPP-J frame exactly as it crossed the wire


class FaultRow(Base):
    """A fault as the charger reported it: raised, and later cleared."""

    __tablename__ = "faults"
    __table_args__ = (Index("ix_faults_charger_open", "charger_id", "cleared_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    charger_id: Mapped[str] = mapped_column(String(64))
    connector_id: Mapped[int] = mapped_column(Integer, default=0)
    tech_code: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(40))  # StatusNotification, NotifyEvent, offline
    error_code: Mapped[str] = mapped_column(String(64))
    raw_error_code: Mapped[str | None] = mapped_column(String(64))
    vendor_error_code: Mapped[str | None] = mapped_column(String(64))
    info: Mapped[str | None] = mapped_column(String(255))
    component: Mapped[str | None] = mapped_column(String(64))
    variable: Mapped[str | None] = mapped_column(String(64))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TransactionRow(Base):
    __tablename__ = "transactions"
    __table_args__ = (UniqueConstraint("charger_id", "transaction_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charger_id: Mapped[str] = mapped_column(String(64), index=True)
    transaction_id: Mapped[str] = mapped_column(String(64))
    connector_id: Mapped[int] = mapped_column(Integer)
    id_tag: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    meter_start_wh: Mapped[float | None] = mapped_column(Float)
    meter_stop_wh: Mapped[float | None] = mapped_column(Float)
    stop_reason: Mapped[str | None] = mapped_column(String(64))
    # OCPP 2.0.1 SignedMeterValueType of the start / stop readings, as sent (not verified)
    meter_start_signed: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    meter_stop_signed: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    # E11/E12: TransactionEvents sent while the station was offline; seqNo holes [first, last]
    offline_events: Mapped[int | None] = mapped_column(Integer)
    seq_gaps: Mapped[list[list[int]] | None] = mapped_column(JSONType)


class CommandRow(Base):
    """Audit of every remote command: who, when, what, the charger's answer."""

    __tablename__ = "commands"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charger_id: Mapped[str] = mapped_column(String(64), index=True)
    command: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType)
    requested_by: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500))
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outcome: Mapped[str] = mapped_column(String(20))  # answered, or the refusal's kind
    response: Mapped[Any] = mapped_column(JSONType, nullable=True)
    round_trip_ms: Mapped[float | None] = mapped_column(Float)
    origin: Mapped[str | None] = mapped_column(String(20))  # api, session, handoff, diagnosis
    on_behalf_of: Mapped[str | None] = mapped_column(String(100))
    overrides: Mapped[str | None] = mapped_column(String(100))  # guards a consultant overrode


class PartnerSite(Base):
    """A site assigned to a partner account: the chargers a partner may act on."""

    __tablename__ = "partner_sites"

    partner: Mapped[str] = mapped_column(String(100), primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    assigned_by: Mapped[str | None] = mapped_column(String(100))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SecurityEventRow(Base):
    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    charger_id: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(500))
    remote_address: Mapped[str | None] = mapped_column(String(100))
    # when the charger says it happened (SecurityEventNotification timestamp, A04); ``ts`` is
    # when the backend heard of it (a queued event may arrive long after, or with a bad clock)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DiagnosticsUpload(Base):
    """A diagnostics/log upload slot handed to a charger, and the file once it arrives."""

    __tablename__ = "diagnostics_uploads"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charger_id: Mapped[str] = mapped_column(String(64), index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    filename: Mapped[str | None] = mapped_column(String(255))
    stored_path: Mapped[str | None] = mapped_column(String(500))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(40), default="requested")
    # what was asked (DiagnosticsLog or SecurityLog) and the requestId GetLog carried (the slot's
    # id; 1.6 GetDiagnostics has none); the charger's own upload status as it reported it
    # (2.0.1 N01 / 1.6 security LogStatusNotification, 1.6 DiagnosticsStatusNotification)
    log_type: Mapped[str | None] = mapped_column(String(20))
    request_id: Mapped[int | None] = mapped_column(BigInteger)
    charger_status: Mapped[str | None] = mapped_column(String(40))
    charger_status_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    user_name: Mapped[str | None] = mapped_column(String(100))


class User(Base):
    """A person who signs in to the app (local account)."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class UserQualification(Base):
    """A qualification a person holds (``app/security/qualifications.py``), keyed by account
    name like the partner's sites: a signed-in user or a named script token."""

    __tablename__ = "user_qualifications"

    user_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    qualification: Mapped[str] = mapped_column(String(40), primary_key=True)
    granted_by: Mapped[str | None] = mapped_column(String(100))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NodeRow(Base):
    """A backend node: where its API is reachable and when it was last alive."""

    __tablename__ = "nodes"

    node_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    api_url: Mapped[str] = mapped_column(String(300))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DeadLetterRow(Base):
    """A record the event-log writer could not store, kept with the error instead of lost."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    node_id: Mapped[str | None] = mapped_column(String(64))
    target_table: Mapped[str] = mapped_column(String(64))  # where the record was meant to go
    kind: Mapped[str] = mapped_column(String(32))  # "frame" or the recorder's op kind
    record: Mapped[str] = mapped_column(Text)  # the record as JSON
    error: Mapped[str] = mapped_column(Text)


class FaultCodeTableVersion(Base):
    """A version of one vendor's fault-code table written by a knowledge editor. Published
    versions replace the shipped table of the same vendor (knowledge_base/fault_codes)."""

    __tablename__ = "fault_code_tables"
    __table_args__ = (UniqueConstraint("vendor_key", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    vendor_key: Mapped[str] = mapped_column(String(100), index=True)  # lower-case vendor name
    vendor: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # draft, published, retired
    yaml_text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(100))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class IdTokenRow(Base):
    """A token (RFID card, key code, eMAID...) the central system answers Authorize for."""

    __tablename__ = "id_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(36))  # as entered (OCPP 2.0.1: up to 36)
    token_key: Mapped[str] = mapped_column(String(36), unique=True)  # lower case: CiString match
    token_type: Mapped[str | None] = mapped_column(String(20))  # IdTokenEnumType; None = any
    status: Mapped[str] = mapped_column(String(10))  # Accepted, Blocked, Expired, Invalid
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    group_id: Mapped[str | None] = mapped_column(String(36))  # parentIdTag / groupIdToken
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(100))


class FirmwareCampaignRow(Base):
    """A firmware update across the chargers of one model (app/firmware_campaigns)."""

    __tablename__ = "firmware_campaigns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    from_version: Mapped[str | None] = mapped_column(String(100))
    # the update_firmware command's parameters (catalogue), one JSON object
    update: Mapped[dict[str, Any]] = mapped_column(JSONType)
    max_sites: Mapped[int] = mapped_column(Integer, default=1)
    stop_after_failures: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20))  # running, stopped, completed
    stop_reason: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FirmwareCampaignItemRow(Base):
    """One charger of a campaign: where its update stands."""

    __tablename__ = "firmware_campaign_items"
    __table_args__ = (UniqueConstraint("campaign_id", "charger_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("firmware_campaigns.id", ondelete="CASCADE"), index=True
    )
    charger_id: Mapped[str] = mapped_column(String(64))
    site_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20))  # pending, waiting, sent, succeeded, ...
    firmware_status: Mapped[str | None] = mapped_column(String(40))
    request_id: Mapped[int | None] = mapped_column(BigInteger)
    old_version: Mapped[str | None] = mapped_column(String(100))
    new_version: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InventoryRow(Base):
    """One variable of a charger's device model as its last complete NotifyReport of one
    report base said (OCPP 2.0.1 B07/B08; ``app/csms/inventory.py``): replaced per report."""

    __tablename__ = "charger_inventory"
    __table_args__ = (Index("ix_charger_inventory_charger", "charger_id", "report_base"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charger_id: Mapped[str] = mapped_column(String(64))
    report_base: Mapped[str] = mapped_column(String(30))
    request_id: Mapped[int] = mapped_column(BigInteger)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer)
    component: Mapped[str] = mapped_column(String(50))
    component_instance: Mapped[str | None] = mapped_column(String(50))
    evse_id: Mapped[int | None] = mapped_column(Integer)
    connector_id: Mapped[int | None] = mapped_column(Integer)
    variable: Mapped[str] = mapped_column(String(50))
    variable_instance: Mapped[str | None] = mapped_column(String(50))
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    characteristics: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)


class MonitorRow(Base):
    """One monitor set on a charger's variable, as its last complete NotifyMonitoringReport of
    one selection said (OCPP 2.0.1 N02; ``app/csms/monitoring.py``): replaced per report."""

    __tablename__ = "charger_monitors"
    __table_args__ = (Index("ix_charger_monitors_charger", "charger_id", "selection"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charger_id: Mapped[str] = mapped_column(String(64))
    selection: Mapped[str] = mapped_column(String(30))
    request_id: Mapped[int] = mapped_column(BigInteger)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer)
    component: Mapped[str] = mapped_column(String(50))
    component_instance: Mapped[str | None] = mapped_column(String(50))
    evse_id: Mapped[int | None] = mapped_column(Integer)
    connector_id: Mapped[int | None] = mapped_column(Integer)
    variable: Mapped[str] = mapped_column(String(50))
    variable_instance: Mapped[str | None] = mapped_column(String(50))
    monitor_id: Mapped[int] = mapped_column(BigInteger)
    transaction: Mapped[bool] = mapped_column(Boolean, default=False)
    value: Mapped[float | None] = mapped_column(Float)
    type: Mapped[str | None] = mapped_column(String(30))
    severity: Mapped[int | None] = mapped_column(Integer)


class CustomerInformationRow(Base):
    """A customer's data one station reported for one CustomerInformation request (OCPP 2.0.1
    N09/N10): the NotifyCustomerInformation parts joined. Personal data: admins only."""

    __tablename__ = "customer_information"
    __table_args__ = (Index("ix_customer_information_charger", "charger_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charger_id: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[int] = mapped_column(BigInteger)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    parts: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)
