"""Settings for every ChargeFix process, each overridable by a ``CHARGEFIX_*`` variable."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration in one place.

    Every field can be set with an environment variable named ``CHARGEFIX_`` + the field name
    in upper case, e.g. ``CHARGEFIX_DATABASE_URL`` or ``CHARGEFIX_OCPP_PORT``.
    """

    model_config = SettingsConfigDict(env_prefix="CHARGEFIX_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Root of all local state (git ignores it).")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite file under the data directory."
    )
    index_dir: Path | None = Field(None, description="Chroma index folder; default data/index.")
    chroma_url: str | None = Field(None, description="Chroma server URL instead of a local index.")
    knowledge_base_dir: Path = Field(Path("knowledge_base"), description="Knowledge base root.")

    host: str = "127.0.0.1"
    ocpp_port: int = 9000
    api_port: int = 8000
    ui_port: int = 8501
    simulator_control_port: int = 9100
    public_api_url: str | None = Field(
        None, description="URL chargers use to reach the API (diagnostics uploads)."
    )
    api_url: str = Field("http://127.0.0.1:8000", description="Where the UI and CLI find the API.")
    node_id: str = Field("node-1", description="Name of this backend node in a multi-node setup.")
    node_url: str | None = Field(
        None, description="URL other nodes use to reach this node's API (default: host + port)."
    )
    cluster_secret: str | None = Field(
        None,
        description="Shared secret of the backend nodes; set it to forward commands between nodes.",
    )
    node_stale_seconds: float = Field(30.0, description="A node silent this long is gone.")
    public_ui_url: str | None = Field(
        None, description="The app's URL as consultants open it (links in notifications)."
    )
    handoff_webhook_url: str | None = Field(
        None,
        pattern=r"^https?://\S+$",
        max_length=2000,
        description="POST a JSON notice of every new handoff here (e.g. a chat tool's webhook).",
    )
    handoff_webhook_attempts: int = Field(4, ge=1, le=10, description="Tries per notice.")
    handoff_webhook_backoff_seconds: float = Field(
        1.0, ge=0, le=300, description="First wait between tries; doubles each time."
    )
    handoff_webhook_timeout_seconds: float = Field(5.0, gt=0, le=60, description="Per try.")
    handoff_webhook_queue: int = Field(
        100, ge=1, le=10_000, description="Notices waiting to be sent; more are dropped."
    )

    heartbeat_interval: int = Field(300, description="Seconds, returned in BootNotification.")
    boot_retry_interval: int = Field(
        60,
        ge=1,
        le=86_400,
        description="Seconds a Pending (commissioning) or Rejected (blocked) charger waits "
        "before its next BootNotification.",
    )
    offline_factor: float = Field(2.5, description="Offline after this many silent intervals.")
    offline_debounce_seconds: float = Field(
        120.0, description="A disconnect shorter than this raises no offline fault."
    )
    ws_ping_interval: float | None = Field(60.0, description="Websocket ping interval, seconds.")
    ws_ping_timeout: float | None = Field(30.0, description="Websocket pong timeout, seconds.")
    ws_max_message_bytes: int = Field(65536, description="Larger OCPP frames are refused.")
    command_timeout: float = Field(30.0, description="Seconds to wait for a charger's answer.")
    ocpp_unsolicited_response_alert: int = Field(
        20,
        ge=0,
        le=1_000_000,
        description="Answers to calls never sent that a connection may send before a security "
        "event is raised (once per connection); they are always dropped.",
    )
    superseded_close_timeout: float = Field(
        1.0,
        gt=0,
        le=60,
        description="Seconds an older socket of a charger that reconnected gets to close "
        "cleanly before its transport is aborted.",
    )
    refresh_state_on_connect: bool = Field(
        True, description="Send TriggerMessage StatusNotification when a charger reconnects."
    )
    auto_register: bool = Field(False, description="Demo only: accept unknown chargers.")
    accept_all_tokens: bool = Field(
        False,
        description="Demo/test only: answer Accepted for id tokens that are not in the token "
        "store (Blocked and Expired tokens stay refused). Off: unknown tokens are Invalid.",
    )
    test_charge_id_tag: str = Field(
        "CHARGEFIX-TEST",
        min_length=1,
        max_length=20,  # 1.6 idTag is CiString20Type; 2.0.1 idToken takes 36
        pattern=r"^[\x20-\x7e]+$",
        description="The id token a procedure's test charge starts with ($test_token in a "
        "remote_start step). It must be Accepted in the id-token store (the demo registers it).",
    )
    id_token_refresh_seconds: float = Field(
        30.0,
        ge=0.05,
        le=3600,
        description="How often the in-memory token cache is re-read from the database "
        "(changes made by the CLI or another node arrive within this time).",
    )
    tls_cert_file: Path | None = Field(None, description="Certificate for wss (profile 2).")
    tls_key_file: Path | None = Field(None, description="Private key for wss (profile 2).")
    tls_second_cert_file: Path | None = Field(
        None,
        description="A second server certificate of the other key type (RSA beside ECDSA): "
        "OCPP 2.0.1 A00.FR.318 / 1.6 security whitepaper A00.FR.317 cipher suites need both.",
    )
    tls_second_key_file: Path | None = Field(None, description="Its private key.")
    tls_client_ca_file: Path | None = Field(
        None,
        description="CA (PEM) that signs chargers' client certificates: security profile 3 "
        "(TLS with client certificates) for chargers registered with profile 3.",
    )
    tls_organization: str | None = Field(
        None,
        max_length=64,
        description="The CSO name: a profile-3 client certificate's and a CSR's O must contain "
        "it (A00.FR.404). Unset: not checked.",
    )
    ca_cert_file: Path | None = Field(
        None, description="Operator CA certificate (PEM) that signs chargers' CSRs (A02/A03)."
    )
    ca_key_file: Path | None = Field(
        None, description="Its private key (PEM, unencrypted, readable by the owner only)."
    )
    certificate_validity_days: int = Field(
        365, ge=1, le=3650, description="Validity of a charger certificate the CA signs."
    )
    certificates_dir: Path | None = Field(
        None,
        description="PEM certificates the operator installs on chargers (CSMS root, "
        "manufacturer root, ...): a charger's GetInstalledCertificateIds answer is matched "
        "against them to learn when its certificates expire.",
    )
    certificate_warning_days: int = Field(
        30, ge=1, le=365, description="A certificate expiring within this many days is a finding."
    )
    certificate_check_interval: float = Field(
        86_400.0,
        ge=0,
        description="Seconds between certificate expiry checks (the server's, and every "
        "connected charger's via GetInstalledCertificateIds); findings are security events. "
        "0: off.",
    )
    event_flush_interval: float = Field(0.2, description="Seconds between event-log batches.")
    journal: bool = Field(
        True,
        description="Make each state-changing CALL durable in a local journal before answering "
        "it, and replay the journal into the database at start (survives a kill -9).",
    )
    journal_dir: Path | None = Field(None, description="Journal folder; default data/journal.")
    journal_segment_bytes: int = Field(
        8 * 1024 * 1024, ge=64 * 1024, le=1024 * 1024 * 1024, description="Rotate at this size."
    )
    journal_max_bytes: int = Field(
        256 * 1024 * 1024,
        ge=1024 * 1024,
        le=64 * 1024 * 1024 * 1024,
        description="Cap on the journal; past it the oldest unstored segments are dropped.",
    )
    recorder_mode: Literal["process", "thread"] = Field(
        "process", description="Write the event log from a writer process (default) or a thread."
    )
    gc_gen0_threshold: int = Field(
        100_000,
        description="Cyclic GC generation-0 threshold: high, so short-lived message objects die "
        "by reference count before a collection and full collections (0.1-0.5 s pauses at "
        "10,000 chargers) become rare. 700 is CPython's default.",
    )
    async_schema_validation: bool = Field(
        False, description="Validate OCPP schemas in a thread pool (slower; library default)."
    )
    request_max_bytes: int = Field(
        1024 * 1024, ge=1024, le=64 * 1024 * 1024, description="Largest request body (bytes)."
    )
    photo_max_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024, description="Largest session photo."
    )
    diagnostics_max_bytes: int = Field(
        50 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024, description="Largest diagnostics file."
    )
    knowledge_upload_max_bytes: int = Field(
        64 * 1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="Largest knowledge-base upload request (all its files together).",
    )
    ingest_max_file_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024, description="Larger KB files: skipped."
    )
    ingest_max_chunks_per_file: int = Field(
        5000, ge=1, le=1_000_000, description="A KB file making more chunks is not indexed."
    )
    login_max_failures_per_account: int = Field(
        5, ge=1, le=1000, description="Failed sign-ins per account in the window, then 429."
    )
    login_max_failures_per_address: int = Field(
        20, ge=1, le=100_000, description="Failed sign-ins per client address in the window."
    )
    login_window_seconds: int = Field(
        300, ge=1, le=86_400, description="Window of the sign-in throttle, seconds."
    )
    diagnosis_enabled: bool = Field(True, description="Run self-diagnosis on the live state.")
    diagnosis_rules_dir: Path | None = Field(None, description="Rule YAML folder.")
    diagnosis_kill_switch: bool = Field(False, description="No automatic remote actions at all.")
    diagnosis_proactive: bool = Field(
        True, description="2.0.1: ask for the base report and set fault monitors at boot."
    )
    diagnosis_dry_run: bool = Field(False, description="Only record what remediation would do.")
    diagnosis_max_resets_per_day: int = Field(3, description="Resets per charger per day.")
    diagnosis_cooldown_seconds: float = Field(600.0, description="Between actions on a charger.")
    diagnosis_site_concurrent_limit: int = Field(1, description="Chargers acted on at once.")
    diagnosis_recovery_hold_seconds: float = Field(300.0, description="Healthy this long = proven.")
    diagnosis_wait_for_idle: bool = Field(True, description="Never act during a transaction.")
    diagnosis_time_scale: float = Field(1.0, description="Divide every diagnosis duration by this.")
    oidc_issuer: str | None = Field(None, description="OIDC issuer URL; unset = no OIDC sign-in.")
    oidc_client_id: str | None = Field(None, description="The app's client id at the provider.")
    oidc_audience: list[str] = Field([], description="Accepted ID token 'aud'; [] = client id.")
    oidc_role_claim: str | None = Field(None, description="Claim whose value is the role.")
    oidc_groups_claim: str = Field("groups", description="Claim with the person's groups.")
    oidc_role_map: dict[str, str] = Field({}, description="Group or e-mail -> role (JSON).")
    oidc_default_role: str | None = Field(None, description="Role of unmapped people; None=refuse")
    oidc_create_users: bool = Field(False, description="Keep a local user record per person.")

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'chargefix.db').resolve()}"

    @cached_property
    def resolved_index_dir(self) -> Path:
        return self.index_dir or self.data_dir / "index"

    @property
    def resolved_journal_dir(self) -> Path:
        return self.journal_dir or self.data_dir / "journal"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def resolved_public_ui_url(self) -> str:
        return self.public_ui_url or f"http://{self.host}:{self.ui_port}"

    @property
    def resolved_public_api_url(self) -> str:
        return self.public_api_url or f"http://{self.host}:{self.api_port}"

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.uploads_dir.mkdir(parents=True, exist_ok=True)


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (e.g. from CLI flags)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
