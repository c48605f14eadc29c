"""The table per database (markdown, so it pastes into a closing note)."""

import math

from bench.scale.measure import Measurement
from bench.scale.scenarios import Scenario

HEADER = (
    "| scenario | c | done | cut | err | req/s | p50 ms | p95 ms | p99 ms | server CPU ms/req "
    "| db CPU ms/req | stmts | p50 xF | req/s F÷ | load |\n"
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
)


def _ms(value: float, bound: bool) -> str:
    if math.isnan(value):
        return "n/a"
    text = f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
    return f">{text}" if bound else text


def _per(total: float | None, m: Measurement) -> str:
    if total is None or not m.answered:
        return "n/a"
    value = total * 1000 / m.answered
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def row(m: Measurement, title: str, floor: Measurement | None = None) -> str:
    p50, p50_bound = m.percentile(0.5)
    p95, p95_bound = m.percentile(0.95)
    p99, p99_bound = m.percentile(0.99)
    approx = "≈" if m.cut else ""
    ratio = speed = "n/a"
    if floor is not None and floor.done:
        f50, _ = floor.percentile(0.5)
        ratio = f"{'>' if p50_bound else ''}{p50 / f50:,.1f}"
        speed = f"{floor.rate / m.rate:,.1f}" if m.rate else "∞"
    cells = [
        title,
        m.clients,
        m.done,
        len(m.cut),
        sum(m.errors.values()),
        f"{m.rate:,.1f}",
        _ms(p50, p50_bound),
        _ms(p95, p95_bound),
        _ms(p99, p99_bound),
        (approx if m.answered else "") + _per(m.server_cpu, m),
        (approx if m.answered else "") + _per(m.db_cpu, m),
        "n/a" if m.statements is None else m.statements,
        ratio,
        speed,
        f"{m.load:.1f}",
    ]
    return "| " + " | ".join(str(c) for c in cells) + " |"


def table(
    label: str,
    scenarios: dict[str, Scenario],
    results: list[Measurement],
    floors: dict[tuple[str, int], Measurement],
) -> str:
    lines = [f"\n### {label}\n", HEADER]
    for m in results:
        floor = floors.get((m.name, m.clients))
        title = scenarios[m.name].title + (f" [{m.path}]" if m.path else "")
        lines.append(row(m, title, floor))
    for (name, _clients), m in floors.items():
        lines.append(row(m, f"F: {scenarios[name].title}"))
    return "\n".join(lines)


LEGEND = """
c: concurrent closed-loop clients; done: requests answered in the window (after the warm-up);
cut: requests still unanswered `--grace` s after the window, not waited for (p50/p95/p99 marked
'>' when they fall on one: at least that long); err: non-200 answers or GraphQL errors;
req/s: done / time to the last answer; server CPU: the server process (user + system); db
CPU: the bench database's PostgreSQL backends and their parallel workers (polled every
25 ms); both over the whole run, warm-up included, per request answered ('≈' when requests
were cut, whose work is partly counted); stmts: SQL statements per request, counted in
process (one request, engine events); p50 xF: p50 over the raw floor's p50 at the same
clients; req/s F÷: the floor's req/s over this one (the clients are one Python process on
the same 2 cores: the floor's req/s at 16 clients is bounded by them); load: the machine's
1-minute load average at the end (shared with other work: numbers are noisy)."""
