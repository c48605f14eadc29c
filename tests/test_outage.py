"""Redis down never slows a write: two `server.py` processes (A and B) on one database and a
throwaway Redis; writes go on through both while Redis is SIGKILLed and restarted. Every
write is answered at its usual latency; afterwards a `customerEvents` subscriber on A has
every acknowledged write's event, and its `badgeCounts` equal the database.

The events a process could not publish wait in its outbox and go out when Redis is back;
what the subscriber's process missed while its own connection was down it reads from the
database when it resyncs. Only the public API is used."""

import asyncio
import statistics
import time

import httpx2

from tests.test_processes import (  # noqa: F401 (fixtures)
    BADGES,
    Api,
    Socket,
    cluster,
    new_tenant,
    redis_up,
    run,
)

EVENTS = """subscription($customer: ID!) { customerEvents(customerId: $customer) {
  id action customerId data } }"""
CUSTOMERS = 12
FOLLOWED = 4  # customers with a customerEvents subscription
WRITERS = 4  # half through A, half through B
SETTLE = 15.0  # the longest the subscriber may take to hear everything after Redis is back


def test_writes_go_on_while_redis_is_down_and_nothing_is_lost(cluster):  # noqa: F811
    async def scenario():
        async with (
            httpx2.AsyncClient(base_url=cluster.a.url, timeout=10) as http_a,
            httpx2.AsyncClient(base_url=cluster.b.url, timeout=10) as http_b,
        ):
            tenant = await new_tenant(cluster.database_url, http_b, CUSTOMERS)
            apis = [Api(http_a, tenant.token), Api(http_b, tenant.token)]
            async with Socket.open(cluster.a, tenant.token) as ws:
                await ws.subscribe("badges", BADGES, ids=tenant.customers)
                await ws.badges(CUSTOMERS)
                for i, customer in enumerate(tenant.customers[:FOLLOWED]):
                    await ws.subscribe(f"events{i}", EVENTS, customer=customer)
                await events_live(ws, apis[0], tenant.customers[:FOLLOWED])

                phase = "before"
                written: list[tuple[str, str, int, float]] = []  # phase, customer, number, s
                stop = asyncio.Event()

                async def writer(k: int):
                    api, n = apis[k % 2], 0
                    while not stop.is_set():
                        customer = tenant.customers[(k + n * WRITERS) % CUSTOMERS]
                        n += 1
                        began = time.monotonic()
                        payload = await api.ok(
                            "openTicket",
                            {"customerId": customer, "subject": f"w{k}.{n}"},
                            "ticket { number }",
                        )
                        took = time.monotonic() - began
                        written.append((phase, customer, payload["ticket"]["number"], took))

                writers = [asyncio.create_task(writer(k)) for k in range(WRITERS)]
                await asyncio.sleep(1.0)
                phase = "down"
                await asyncio.to_thread(cluster.redis.stop, kill=True)
                await asyncio.sleep(2.5)
                phase = "after"
                await asyncio.to_thread(cluster.redis.start)
                await asyncio.sleep(1.0)
                stop.set()
                await asyncio.gather(*writers)

                expected_events = {
                    (customer, number)
                    for _, customer, number, _ in written
                    if customer in tenant.customers[:FOLLOWED]
                }
                expected_badges = {customer: 0 for customer in tenant.customers}
                for _, customer, _, _ in written:
                    expected_badges[customer] += 1

                heard_events: set[tuple[str, int]] = set()
                badges: dict[str, int] = {}
                deadline = time.monotonic() + SETTLE
                while time.monotonic() < deadline:
                    counted = all(badges.get(c, 0) == n for c, n in expected_badges.items())
                    if heard_events >= expected_events and counted:
                        break
                    try:
                        _, message = await ws.next(within=deadline - time.monotonic())
                    except AssertionError:
                        break
                    data = message["payload"]["data"]
                    if "customerEvents" in data:
                        event = data["customerEvents"]
                        if event["action"] == "ticket.opened":
                            heard_events.add((event["customerId"], event["data"]["number"]))
                    else:
                        counts = data["badgeCounts"]
                        tabs = {t["key"]: t["badgeCount"] for t in counts["tabs"]}
                        badges[counts["customerId"]] = tabs["tickets"]

            missing = expected_events - heard_events
            assert not missing, f"{len(missing)} of {len(expected_events)} events never arrived"
            assert {c: badges.get(c, 0) for c in expected_badges} == expected_badges
            truth = await apis[0].query(
                "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Customer { "
                "tickets { openCount } } } }",
                ids=tenant.customers,
            )
            assert {n["id"]: n["tickets"]["openCount"] for n in truth["nodes"]} == expected_badges

        latency = {
            p: [took for phase, _, _, took in written if phase == p]
            for p in ("before", "down", "after")
        }
        print(
            "\nwrites per phase (median / max ms): "
            + ", ".join(
                f"{p} {len(t)}: {statistics.median(t) * 1000:.0f} / {max(t) * 1000:.0f}"
                for p, t in latency.items()
            )
        )
        assert all(latency.values()), latency
        usual = statistics.median(latency["before"])
        assert statistics.median(latency["down"]) < 3 * usual + 0.05, latency  # no wait on Redis
        assert max(latency["down"]) < 2.0, latency["down"]

    run(cluster, scenario)


async def events_live(ws, api, customers: list[str]) -> None:
    """Until each `events<i>` subscription has delivered an event. `customerEvents` sends
    nothing before one, and an event committed before the subscription read its starting
    point is not its to send: writers started at once lost their first tickets now and
    then. So write a change to each customer not yet heard, again, until all are heard."""
    heard: set[str] = set()
    for attempt in range(20):
        for i, customer in enumerate(customers):
            if f"events{i}" not in heard:
                change = {"id": customer, "city": f"Live {attempt}"}
                await api.ok("updateCustomer", change, "customer { id }")
        deadline = time.monotonic() + 0.5
        while len(heard) < len(customers) and time.monotonic() < deadline:
            try:
                _, message = await ws.next(within=deadline - time.monotonic())
            except AssertionError:
                break
            if message["id"].startswith("events"):
                heard.add(message["id"])
        if len(heard) == len(customers):
            return
    raise AssertionError(f"events subscriptions not live: {sorted(heard)}")
