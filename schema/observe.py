"""What operators watch: one log line per request and Prometheus metrics at `/metrics`.

The request line carries ids, names, timings and codes only: never a token, a variable or
a field value, so no customer data reaches the logs. Operation names come from clients, so
the metrics keep at most `MAX_OPERATIONS` of them per process (the rest count as `other`):
an unbounded label set is how a metrics endpoint takes a server down."""

import logging
import re
import time
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

log = logging.getLogger("customer_hub.request")

MAX_OPERATIONS = 200
NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
CODE = re.compile(r"[A-Z][A-Z0-9_]{0,39}")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


@dataclass
class Outcome:
    """What a request did, filled in as it runs (`Context.outcome`)."""

    operation: str | None = None
    codes: list[str] = field(default_factory=list)
    status: int = 200
    path: str | None = None  # which execution path answered: "compiled" or "fallback"


LEADING = re.compile(r"(?:\s|,|#[^\n]*)*(?:query|mutation|subscription)\s+([_A-Za-z]\w{0,99})")


def operation_name(data) -> str | None:
    """The request's `operationName`, else the name of the document's first operation (one
    sent without `operationName` is usually the only one)."""
    name = getattr(data, "operation_name", None)
    if name:
        return name
    found = LEADING.match(getattr(data, "query", None) or "")
    return found.group(1) if found else None


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    return name if NAME.fullmatch(name) else "invalid"


class Metrics:
    """One registry per app (tests build many apps in one process)."""

    def __init__(self, status):
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "hub_requests",
            "GraphQL requests by operation name and outcome (ok, or the first error code).",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "hub_request_duration_seconds",
            "Time from the request's arrival to its answer.",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.statements = Histogram(
            "hub_request_statements",
            "SQL statements a request ran.",
            buckets=(1, 2, 3, 5, 8, 13, 21, 34, 55, 100),
            registry=self.registry,
        )
        self.paths = Counter(
            "hub_execution_paths",
            "GraphQL operations by the path that answered them: compiled (one SQL statement "
            "per root field) or fallback (field by field).",
            ["path"],
            registry=self.registry,
        )
        self.operations: set[str] = set()
        self.registry.register(_Gauges(status))

    def _bounded(self, name: str) -> str:
        if name in self.operations or len(self.operations) < MAX_OPERATIONS:
            self.operations.add(name)
            return name
        return "other"

    def observe(self, outcome: Outcome, seconds: float, statements: int) -> None:
        operation = self._bounded(operation_label(outcome.operation))
        first = next((c for c in outcome.codes if CODE.fullmatch(c)), None)
        self.requests.labels(operation, first or "ok").inc()
        self.latency.labels(operation).observe(seconds)
        self.statements.observe(statements)
        if outcome.path is not None:
            self.paths.labels(outcome.path).inc()

    async def endpoint(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class _Gauges:
    """Read when scraped: `status()` returns `{name: (help, value)}`."""

    def __init__(self, status):
        self.status = status

    def describe(self):
        return []

    def collect(self):
        for name, (text, value) in self.status().items():
            gauge = GaugeMetricFamily(name, text)
            gauge.add_metric([], value)
            yield gauge


def log_request(ctx, outcome: Outcome, seconds: float, statements: int) -> None:
    principal = ctx.principal_or_none
    log.info(
        "%s %s %d in %.1f ms, %d statements",
        ctx.request_id,
        operation_label(outcome.operation),
        outcome.status,
        seconds * 1000,
        statements,
        extra={
            "request_id": ctx.request_id,
            "tenant_id": principal.tenant_id if principal else None,
            "worker_id": principal.worker_id if principal else None,
            "operation": outcome.operation
            if outcome.operation and NAME.fullmatch(outcome.operation)
            else None,
            "status": outcome.status,
            "duration_ms": round(seconds * 1000, 2),
            "statements": statements,
            "codes": outcome.codes,
        },
    )


def configure_logging(level: str, fmt: str) -> None:
    """Text for a developer's terminal, one JSON object per line for a log pipeline."""
    handler = logging.StreamHandler()
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def clock() -> float:
    return time.perf_counter()
