"""Settings read from the environment (and an optional `.env`), with defaults that run
on a bare machine: a SQLite file under `var/`, no Redis, a secret kept in `var/`."""

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = Field(
        default="development",
        description="production: GraphiQL, introspection and field suggestions are off "
        "unless set explicitly.",
    )

    database_url: str = Field(
        default=f"sqlite+aiosqlite:///{VAR_DIR / 'customer-hub.db'}",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://…",
    )
    # One process on a small machine: a request holds one connection at a time, briefly.
    # All kept open: an overflow connection closed as a burst ebbs is reopened moments later
    # and plans its statements anew (the compiled profile's: 15 ms each, its first five runs).
    db_pool_size: int = Field(default=20, ge=1, description="Connections kept open.")
    db_max_overflow: int = Field(
        default=0, ge=0, description="Connections opened beyond the pool at busy moments."
    )
    db_pool_timeout: float = Field(
        default=2.0,
        gt=0,
        description="Seconds a request waits for a connection; then 503 SERVICE_UNAVAILABLE.",
    )
    db_write_timeout: float = Field(
        default=10.0,
        gt=0,
        description="SQLite: seconds a write waits for its turn (in this process, then for "
        "another process sharing the file); then 503 SERVICE_UNAVAILABLE.",
    )
    db_statement_timeout: float = Field(
        default=30.0, gt=0, description="PostgreSQL: longest statement, in seconds."
    )
    db_idle_in_transaction_timeout: float = Field(
        default=30.0,
        gt=0,
        description="PostgreSQL: a connection idle in a transaction this long is ended.",
    )
    db_application_name: str = Field(
        default="customer-hub",
        description="PostgreSQL: `application_name` of the app's connections (pg_stat_activity).",
    )
    max_concurrent_requests: int = Field(
        default=16,
        ge=1,
        description="HTTP operations run at once; the others queue (keep it under the pool's "
        "size and overflow, which background work shares).",
    )
    request_queue_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a request may queue for its turn; then 503 SERVICE_UNAVAILABLE.",
    )
    search_candidates: int = Field(
        default=1000,
        ge=0,
        description="A search term with at most this many matches in the tenant is read "
        "through the trigram index; a more common one filters the walk down the ordered list, "
        "within a budget of 20 times this many rows (docs/development.md, Search); 0: always "
        "the walk.",
    )
    redis_url: str | None = Field(default=None, description="Redis URL for the event bus.")
    redis_channel_prefix: str = Field(
        default="hub",
        min_length=1,
        description="Names the bus's Redis channels (`<prefix>:events:<tenant id>`): deployments "
        "sharing one Redis need different prefixes; processes of one deployment the same.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Signs access tokens. Unset: a random key is created in var/secret-key.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="`json`: one JSON object per log line (the default in production).",
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP collector (e.g. http://localhost:4318): traces are exported "
        "there. Unset: no tracing at all.",
    )
    otel_service_name: str = Field(default="customer-hub", description="`service.name`.")
    persisted_queries: Literal["off", "auto", "only"] = Field(
        default="auto",
        description="`auto`: Apollo's automatic persisted queries (shared through Redis when "
        "set); `only`: only the documents of PERSISTED_QUERIES_MANIFEST run; `off`: neither.",
    )
    persisted_queries_manifest: Path | None = Field(
        default=None,
        description="Apollo's persisted query list (JSON): the documents `only` allows; with "
        "`auto`, known to every process from the start.",
    )
    metrics: bool = Field(default=True, description="Serve Prometheus metrics at `/metrics`.")
    metrics_token: str | None = Field(
        default=None,
        description="If set, `/metrics` answers only `Authorization: Bearer <this token>`.",
    )
    graphiql: bool = True
    graphiql_assets: Path = Field(
        default=VAR_DIR / "graphiql",
        description="GraphiQL's files, fetched from the npm registry by `make install` "
        "(`python -m schema.graphiql`); missing: the page loads them from a CDN.",
    )
    access_token_ttl_minutes: int = 60 * 24
    sql_echo: bool = False
    plugins: str | None = Field(
        default=None,
        description="Comma-separated entry-point names of the plugins to load; unset: all.",
    )

    # Hostile queries (schema/limits.py): every refusal names the variable it hit.
    max_query_depth: int = Field(default=12, ge=1, description="Nested field levels.")
    max_aliases: int = Field(default=50, ge=0, description="Aliases, counted through fragments.")
    max_tokens: int = Field(default=5_000, ge=1, description="Lexical tokens of a document.")
    max_repeated_fields: int = Field(
        default=20,
        ge=1,
        description="Fields merged under one response name (graphql compares them pairwise).",
    )
    max_fragment_spreads: int = Field(
        default=50,
        ge=0,
        description="Fragment spreads in one selection set, through fragments and merged fields.",
    )
    max_query_cost: int = Field(
        default=50_000,
        ge=1,
        description="Estimated cost: 1 per field, times the page size inside a list.",
    )
    max_body_bytes: int = Field(default=256 * 1024, ge=1, description="HTTP request body.")
    max_json_depth: int = Field(
        default=64,
        ge=2,
        le=1000,
        description="Nesting of a request's JSON (the body is 1, its variables 2); the JSON "
        "parsers stop near 1,000 levels themselves.",
    )
    upload_max_file_bytes: int = Field(
        default=25 * 1024 * 1024,
        ge=1,
        description="One uploaded file (GraphQL multipart request); larger: 413 FILE_TOO_LARGE.",
    )
    upload_max_request_bytes: int = Field(
        default=100 * 1024 * 1024,
        ge=1,
        description="A whole multipart upload request; larger: 413 REQUEST_TOO_LARGE.",
    )
    upload_max_files: int = Field(
        default=10, ge=1, description="Files in one multipart request; more: 413 TOO_MANY_FILES."
    )
    import_max_rows: int = Field(
        default=1_000_000,
        ge=1,
        description="Data rows of one CSV import; more: TOO_MANY_ROWS when it is uploaded.",
    )
    import_chunk_rows: int = Field(
        default=500,
        ge=1,
        le=5000,
        description="Lines of a CSV import per transaction (and checkpoint) of its job.",
    )
    storage: Literal["local", "s3"] = Field(
        default="local",
        description="Where uploaded files are kept: `local` (STORAGE_DIR) or `s3` "
        "(any S3-compatible object store: S3_BUCKET, S3_ENDPOINT_URL, ...).",
    )
    storage_dir: Path = Field(
        default=VAR_DIR / "uploads", description="`local` storage: the folder of the files."
    )
    s3_bucket: str | None = Field(default=None, description="`s3` storage: the bucket.")
    s3_endpoint_url: str | None = Field(
        default=None, description="`s3` storage: the endpoint of a non-AWS store (MinIO, ...)."
    )
    s3_region: str | None = Field(default=None, description="`s3` storage: the region.")
    s3_access_key_id: str | None = Field(
        default=None, description="`s3` storage; unset: boto3's usual credential chain."
    )
    s3_secret_access_key: str | None = Field(default=None, description="`s3` storage.")
    s3_prefix: str = Field(default="", description="`s3` storage: a prefix for every key.")
    s3_redirect_downloads: bool = Field(
        default=False,
        description="`s3` storage: a checked download answers 302 to a presigned URL of the "
        "object store (valid 60 s) instead of streaming through the app.",
    )
    download_url_seconds: int = Field(
        default=300, ge=1, description="How long a file's signed download URL stays valid."
    )
    upload_pending_seconds: int = Field(
        default=3600,
        ge=1,
        description="An upload still pending after this long was interrupted: `sweep_files` "
        "removes its object and row.",
    )
    introspection: bool = Field(default=True, description="False turns introspection off.")
    merge_undo_days: int = Field(
        default=30,
        ge=0,
        description="For how many days a merge of two customers can be undone (`undoMerge`).",
    )
    count_cap: int = Field(
        default=100_000,
        ge=1,
        description="A `totalCount` no counter answers stops after this many items and is "
        "reported as a lower bound (`totalCountIsExact: false`).",
    )
    compiled_execution: bool = Field(
        default=True,
        description="Answer the queries the compiler covers (`schema/compiled`) with one SQL "
        "statement per root field building the JSON; false: every operation runs field by "
        "field.",
    )
    execution_debug: bool = Field(
        default=False,
        description="Say in each response which path answered it (`extensions.execution`: "
        "`compiled` or `fallback`).",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Origins (besides the server's own) allowed to open websockets.",
    )
    files_sweep_seconds: float = Field(
        default=3600,
        ge=0,
        description="How often uploads a crash left pending and files of customers erased "
        "without their removal job are removed (`sweep_files`, also at start-up); 0: never.",
    )
    outbox_sweep_seconds: float = Field(
        default=15,
        ge=0,
        description="How often unpublished events are looked for (a crash's leftovers); 0: "
        "only at start-up.",
    )
    job_concurrency: int = Field(
        default=2,
        ge=0,
        description="Jobs one process runs at once, and the most database connections its "
        "job runner holds; 0: this process runs no jobs.",
    )
    job_keep_days: float = Field(
        default=30,
        ge=0,
        description="Finished jobs are removed this long after they ended (by each "
        "process's housekeeping, every FILES_SWEEP_SECONDS); 0: kept for ever.",
    )
    job_lease_seconds: float = Field(
        default=30,
        gt=0,
        description="A running job's lease: if its process dies, another takes the job over "
        "this long after the last heartbeat. Keep each chunk of work well under it.",
    )
    job_poll_seconds: float = Field(
        default=2,
        ge=0,
        description="How often the runner looks for jobs other processes enqueued or left; "
        "0: only at start-up, when this process enqueues, and at due times it knows.",
    )
    job_retry_seconds: float = Field(
        default=10,
        gt=0,
        description="First wait before a failed job is tried again; doubled on each attempt.",
    )
    job_progress_seconds: float = Field(
        default=1,
        gt=0,
        description="Progress of a running job is written and announced at most this often.",
    )
    webhook_private_targets: bool = Field(
        default=False,
        description="Outgoing webhooks: whether endpoints may be (or resolve to) loopback, "
        "private, link-local, multicast or reserved addresses (development, tests). Off: such "
        "URLs are refused when an endpoint is saved, and a delivery whose host resolves to one "
        "fails at once.",
    )
    webhook_local_http: bool | None = Field(
        default=None,
        description="Outgoing webhooks: whether an endpoint may be plain http on localhost or "
        "127.0.0.1 (tests, development); every other endpoint must be https. Unset: as "
        "WEBHOOK_PRIVATE_TARGETS (localhost is a private target).",
    )
    webhook_timeout_seconds: float = Field(
        default=10,
        gt=0,
        description="Outgoing webhooks: the longest wait for an endpoint's answer (connect, "
        "send, read); then the attempt counts as failed and is retried.",
    )
    webhook_retry_seconds: list[float] = Field(
        default_factory=lambda: [30, 120, 600, 1800, 3600, 10800, 21600, 43200],
        description="Outgoing webhooks: the waits before each retry of a failed delivery "
        "(full jitter: a random wait up to each value); ~24 h in all. After the last the "
        "delivery is FAILED.",
    )
    webhook_disable_after: int = Field(
        default=5,
        ge=1,
        description="Outgoing webhooks: an endpoint is switched off after this many deliveries "
        "in a row failed for good (`webhook.endpoint_disabled`).",
    )
    bulk_inline_max: int = Field(
        default=500,
        ge=0,
        le=500,
        description="A bulk action by filter matching at most this many customers runs in the "
        "request (all or none); more run as a `customers.bulk` job. Undo likewise.",
    )
    bulk_undo_hours: float = Field(
        default=24, gt=0, description="How long a bulk action can be undone."
    )
    subscription_queue: int = Field(
        default=100, ge=1, description="Updates one slow websocket client may have waiting."
    )
    ws_ping_interval: float = Field(
        default=20,
        ge=0,
        description="Seconds between the server's graphql-transport-ws pings; 0: none.",
    )
    ws_ping_timeout: float = Field(
        default=20,
        gt=0,
        description="Seconds a client has to answer a ping with a pong before it is closed (4413).",
    )
    field_suggestions: bool = Field(
        default=True, description='False drops "Did you mean …?" from error messages.'
    )
    export_inline_max: int = Field(
        default=10_000,
        ge=0,
        description="`exportCustomers`: up to this many matching customers the CSV streams "
        "from a link at once; more run as a job that stores the file.",
    )
    export_page_size: int = Field(
        default=1_000,
        ge=1,
        le=10_000,
        description="Customers read per statement batch of an export (memory stays bounded).",
    )
    export_keep_hours: float = Field(
        default=24,
        gt=0,
        description="How long an export job's stored CSV is kept before it is removed.",
    )
    segments_dynamic_max: int = Field(
        default=100,
        ge=0,
        description="Dynamic segments a tenant may keep: `Customer.segments` tests a page "
        "against all of them in one statement.",
    )

    @model_validator(mode="after")
    def _production_defaults(self) -> "Settings":
        """A production API does not describe itself to strangers by default."""
        if self.environment == "production":
            for name in ("graphiql", "introspection", "field_suggestions"):
                if name not in self.model_fields_set:
                    setattr(self, name, False)
            if "log_format" not in self.model_fields_set:
                self.log_format = "json"
        if self.webhook_local_http is None:
            self.webhook_local_http = self.webhook_private_targets
        return self

    @cached_property
    def signing_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = VAR_DIR / "secret-key"
        if not path.exists():
            VAR_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
