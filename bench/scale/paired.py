"""The API's p50 against the raw floor's, asked in turn. One client sends a block of
requests to the API, then the same page in a block to the floor, then to the API again, and
so on, so both servers are timed on the same machine over the same minutes.

Why: the windows of the main table are measured one after the other, a minute or more
apart, and a shared VM changes speed from one minute to the next (here the floor's own
profile statement took 0.55 ms, then 1.5 ms twenty minutes later, run the same way). The
ratio of two windows then says more about the machine than about either server. Blocks,
not single requests: a server asked once in turn sits idle while the other answers, its
caches cold when its turn comes, and that added about 1.3 ms to both p50s (the profile:
F's 2.0 ms alone, 3.15 ms one by one). Only at one client: at 16, two servers would run at
once and share the two cores, which is another measurement."""

import time
from dataclasses import dataclass

import httpx2
import orjson

from bench.scale.measure import REQUEST_TIMEOUT, Measurement, error_of


@dataclass
class Target:
    label: str
    base: str
    path: str
    body: dict
    headers: dict


BLOCK = 25  # requests to one target before the next one's turn


async def in_turn(targets: list[Target], warm_up: float, seconds: float, max_requests: int):
    """A `Measurement` per target (one client, latencies only): rounds of `BLOCK` requests
    to each target in order, for `seconds` after `warm_up` or until each target answered
    `max_requests` in the window (`--max-requests`, as the main table's windows)."""
    found = [Measurement(t.label, 1) for t in targets]
    payloads = [orjson.dumps(t.body) for t in targets]
    headers = [{**t.headers, "content-type": "application/json"} for t in targets]
    async with httpx2.AsyncClient(timeout=REQUEST_TIMEOUT) as http:
        started = time.perf_counter()
        measured_from, window_end = started + warm_up, started + warm_up + seconds
        asked = 0  # requests per target in the window
        while (now := time.perf_counter()) < window_end and asked < max_requests:
            measured = now >= measured_from
            for target, payload, header, m in zip(targets, payloads, headers, found, strict=True):
                url = target.base + target.path
                for _ in range(BLOCK):
                    sent = time.perf_counter()
                    response = await http.post(url, content=payload, headers=header)
                    took = (time.perf_counter() - sent) * 1000
                    if not measured:
                        continue
                    if error := error_of(response):
                        m.errors[error] += 1
                    else:
                        m.latencies.append(took)
            asked += BLOCK if measured else 0
        elapsed = time.perf_counter() - measured_from
    for m in found:
        m.elapsed = elapsed
    return found


HEADER = (
    "| asked in turn, 1 client | requests | p50 ms | F's p50 ms | p50 xF | p90 ms | F's p90 ms |\n"
    "|---|--:|--:|--:|--:|--:|--:|"
)


def row(title: str, ours: Measurement, floor: Measurement) -> str:
    p50, f50 = ours.percentile(0.5)[0], floor.percentile(0.5)[0]
    p90, f90 = ours.percentile(0.9)[0], floor.percentile(0.9)[0]
    cells = [title, ours.done, f"{p50:.2f}", f"{f50:.2f}", f"{p50 / f50:.2f}", f"{p90:.2f}",
             f"{f90:.2f}"]  # fmt: skip
    return "| " + " | ".join(str(c) for c in cells) + " |"
