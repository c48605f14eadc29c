"""Real Redis, real websockets, real server processes: two `server.py` processes (A and B) on
the same database and one Redis this file starts on free ports; a subscriber on A's websocket,
writes through B's HTTP API, and the update arrives on A, also after Redis was killed and
restarted, and never at another tenant's subscriber.

Only the public API is used (HTTP and graphql-transport-ws, as a browser would), so these
tests hold whatever the subscriptions do inside. Latencies are printed (`pytest -s`)."""

import asyncio
import contextlib
import json
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx2
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from core.database import Database
from core.tenants import create_tenant
from tests.servers import AppServer, RedisServer, free_port, require_redis_server
from tests.support import SECRET, token_for

BADGES = """subscription($ids: [ID!]!) { badgeCounts(customerIds: $ids) {
  customerId version tabs { key badgeCount } } }"""
LIST = "subscription { customerListChanged { kind customerId } }"
WATCHED = 50  # customers one subscriber watches, like a page of the customer list
WAIT = 5.0  # the longest one expected message may take before the test fails
QUIET = 0.3  # how long "nothing else arrives" is watched (the server coalesces for 0.05 s)
FAST = 1.0  # the goal: updates "within a fraction of a second"


@dataclass
class Cluster:
    redis: RedisServer
    a: AppServer
    b: AppServer
    database_url: str
    channel_prefix: str

    def logs(self) -> str:
        return f"{self.a.log_tail()}\n{self.b.log_tail()}"


@pytest.fixture(scope="module")
def cluster(database_url, tmp_path_factory) -> Iterator[Cluster]:
    """Redis and the two app processes, once per database; all stopped at the end, whatever
    happened (terminate, then kill)."""
    require_redis_server()
    directory = tmp_path_factory.mktemp("processes")
    redis = RedisServer(free_port(), directory)
    channel_prefix = f"test-{uuid.uuid4().hex[:8]}"
    environment = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis.url,
        "REDIS_CHANNEL_PREFIX": channel_prefix,
        "SECRET_KEY": SECRET,
    }
    a = AppServer("a", directory, environment)
    b = AppServer("b", directory, environment)
    with ExitStack() as stack:
        stack.callback(redis.stop)
        redis.start()
        for server in (a, b):
            stack.callback(server.stop)
            server.launch()
        started = time.monotonic()
        for server in (a, b):
            server.wait_ready()
        print(f"\nA and B answered {time.monotonic() - started:.2f}s after launch")
        cluster = Cluster(redis, a, b, database_url, channel_prefix)
        yield cluster
        crashed = [s.name for s in (a, b) if not s.alive]
        assert not crashed, f"server(s) {crashed} died during the tests:\n{cluster.logs()}"


@pytest.fixture(autouse=True)
def redis_up(cluster) -> None:
    """Each test starts with Redis running, even after a test that failed while it was down."""
    if not cluster.redis.running:
        cluster.redis.start()


def run(cluster: Cluster, scenario) -> None:
    """A scenario on a fresh loop, bounded; a failure shows the servers' logs."""

    async def bounded():
        async with asyncio.timeout(30):
            await scenario()

    try:
        asyncio.run(bounded())
    except (AssertionError, TimeoutError) as exc:
        raise AssertionError(f"{exc!r}\nserver logs:\n{cluster.logs()}") from exc


# -- clients ---------------------------------------------------------------------------------


@dataclass
class Api:
    """One worker on one server's HTTP API."""

    http: httpx2.AsyncClient
    token: str

    async def query(self, query: str, **variables) -> dict:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def ok(self, name: str, input: dict, selection: str = "") -> dict:
        query = (
            f"mutation($input: {name[0].upper()}{name[1:]}Input!) {{ {name}(input: $input) "
            f"{{ {selection} userErrors {{ field message code }} }} }}"
        )
        payload = (await self.query(query, input=input))[name]
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload


@dataclass
class Tenant:
    id: int
    token: str
    customers: list[str]  # global IDs
    b: Api  # its owner on server B


async def new_tenant(database_url: str, http: httpx2.AsyncClient, customers: int) -> Tenant:
    """A tenant made in the database the way the tests' fixtures do (its owner's token signed
    with the servers' key), with tickets on and `customers` customers written through B."""
    label = uuid.uuid4().hex[:8]
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            tenant, owner = await create_tenant(
                session, f"Tenant {label}", "Olivia Owner", f"owner-{label}@example.com"
            )
            tenant_id, owner_id = tenant.id, owner.id
    finally:
        await db.dispose()
    api = Api(http, token_for(tenant_id, owner_id))
    await api.ok("enableModule", {"module": "tickets"}, "modules { name }")
    creates = " ".join(
        f'c{i}: createCustomer(input: {{name: "Customer {i}"}}) '
        "{ customer { id } userErrors { code } }"
        for i in range(customers)
    )
    data = await api.query(f"mutation {{ {creates} }}")
    assert all(data[f"c{i}"]["userErrors"] == [] for i in range(customers)), data
    await sent(http)
    return Tenant(
        tenant_id, api.token, [data[f"c{i}"]["customer"]["id"] for i in range(customers)], api
    )


async def sent(http: httpx2.AsyncClient, within: float = WAIT) -> None:
    """Until the server's outbox has sent what was written through it, so a subscription
    opened next does not hear the set-up's events (they go out after the answer)."""
    deadline = time.monotonic() + within
    while (await http.get("/health")).json()["outbox"]["waiting"]:
        assert time.monotonic() < deadline, "the outbox did not drain"
        await asyncio.sleep(0.02)


class Socket:
    """A graphql-transport-ws client; every message is kept with the time it arrived."""

    def __init__(self, ws: ClientConnection):
        self.ws = ws
        self.inbox: asyncio.Queue[tuple[float, dict]] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    @asynccontextmanager
    async def open(cls, server: AppServer, token: str) -> AsyncIterator["Socket"]:
        async with connect(
            server.ws_url, subprotocols=["graphql-transport-ws"], open_timeout=WAIT
        ) as ws:
            payload = {"Authorization": f"Bearer {token}"}
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            async with asyncio.timeout(WAIT):
                ack = json.loads(await ws.recv())
            assert ack["type"] == "connection_ack", ack
            socket = cls(ws)
            try:
                yield socket
            finally:
                socket.reader.cancel()
                await asyncio.gather(socket.reader, return_exceptions=True)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                arrived = time.monotonic()
                message = json.loads(raw)
                if message["type"] == "ping":
                    await self.ws.send(json.dumps({"type": "pong"}))
                    continue
                self.inbox.put_nowait((arrived, message))
        except ConnectionClosed:
            pass
        self.inbox.put_nowait((time.monotonic(), {"type": "closed", "code": self.ws.close_code}))

    async def subscribe(self, id: str, query: str, **variables) -> None:
        message = {
            "id": id,
            "type": "subscribe",
            "payload": {"query": query, "variables": variables},
        }
        await self.ws.send(json.dumps(message))

    async def next(self, within: float = WAIT) -> tuple[float, dict]:
        """The next `next` message: (arrival time, message); fails after `within` seconds."""
        try:
            async with asyncio.timeout(within):
                arrived, message = await self.inbox.get()
        except TimeoutError:
            raise AssertionError(f"no message within {within}s") from None
        assert message["type"] == "next", message
        assert not message["payload"].get("errors"), message
        return arrived, message

    async def badges(self, count: int, within: float = WAIT) -> list[tuple[float, "Badges"]]:
        """The next `count` badge counts, each within `within` seconds of the one before."""
        return [
            (arrived, Badges.of(message))
            for arrived, message in [await self.next(within) for _ in range(count)]
        ]

    async def quiet(self, seconds: float = QUIET) -> None:
        """Nothing arrives for `seconds`."""
        await asyncio.sleep(seconds)
        assert self.inbox.empty(), self.inbox.get_nowait()


@dataclass
class Badges:
    customer_id: str
    version: int
    tickets: int

    @classmethod
    def of(cls, message: dict) -> "Badges":
        data = message["payload"]["data"]["badgeCounts"]
        counts = {tab["key"]: tab["badgeCount"] for tab in data["tabs"]}
        return cls(data["customerId"], data["version"], counts["tickets"])


def summary(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"min {min(ms):.0f} ms, median {statistics.median(ms):.0f} ms, max {max(ms):.0f} ms"


# -- the tests -------------------------------------------------------------------------------


def test_a_write_through_b_reaches_a_subscriber_on_a(cluster):
    async def scenario():
        async with httpx2.AsyncClient(base_url=cluster.b.url, timeout=WAIT) as http:
            tenant = await new_tenant(cluster.database_url, http, WATCHED)
            async with Socket.open(cluster.a, tenant.token) as ws:
                await ws.subscribe("badges", BADGES, ids=tenant.customers)
                initial = [b for _, b in await ws.badges(WATCHED)]
                assert sorted(b.customer_id for b in initial) == sorted(tenant.customers)
                assert {b.tickets for b in initial} == {0}
                version = max(b.version for b in initial)
                # A listens on its tenant's channel, named by REDIS_CHANNEL_PREFIX; B does not.
                probe = Redis.from_url(cluster.redis.url)
                try:
                    channel = f"{cluster.channel_prefix}:events:{tenant.id}"
                    assert await probe.pubsub_numsub(channel) == [(channel.encode(), 1)]
                finally:
                    await probe.aclose()

                latencies, round_trips = [], []
                for customer in tenant.customers[::10]:
                    sent = time.monotonic()
                    await tenant.b.ok("openTicket", {"customerId": customer, "subject": "Help"})
                    round_trips.append(time.monotonic() - sent)
                    arrived, update = (await ws.badges(1))[0]
                    latencies.append(arrived - sent)
                    assert (update.customer_id, update.tickets) == (customer, 1)
                    assert update.version > version
                    version = update.version
                await ws.quiet()  # the other watched customers are not sent again

        print(f"\nupdate on A after the write's request to B: {summary(latencies)}")
        print(f"the write's round trip on B: {summary(round_trips)}")
        assert max(latencies) < FAST, latencies

    run(cluster, scenario)


def test_a_subscriber_hears_nothing_of_another_tenant_across_processes(cluster):
    async def scenario():
        async with httpx2.AsyncClient(base_url=cluster.b.url, timeout=WAIT) as http:
            one = await new_tenant(cluster.database_url, http, 3)
            two = await new_tenant(cluster.database_url, http, 2)
            async with (
                Socket.open(cluster.a, one.token) as witness,
                Socket.open(cluster.a, two.token) as ws,
            ):
                # Tenant 2's owner asks for tenant 1's customers too (IDs are guessable), and
                # for list changes, where a removal is sent without a visibility check.
                await ws.subscribe("badges", BADGES, ids=two.customers + one.customers)
                await ws.subscribe("list", LIST)
                initial = [b.customer_id for _, b in await ws.badges(len(two.customers))]
                assert sorted(initial) == sorted(two.customers)
                await witness.subscribe("badges", BADGES, ids=[one.customers[0]])
                await witness.badges(1)

                # Tenant 1 writes through B, its ticket last: once tenant 1's own subscriber
                # on A has that, A has had all of tenant 1's events (one channel, in order).
                await one.b.ok("deleteCustomer", {"id": one.customers[2]}, "deletedId")
                await one.b.ok("createCustomer", {"name": "New"}, "customer { id }")
                await one.b.ok("updateCustomer", {"id": one.customers[1], "city": "Paris"})
                await one.b.ok("openTicket", {"customerId": one.customers[0], "subject": "1"})
                _, heard = (await witness.badges(1))[0]
                assert (heard.customer_id, heard.tickets) == (one.customers[0], 1)

                # Then tenant 2 writes: what tenant 2 hears next is its own write, and only it.
                await two.b.ok("openTicket", {"customerId": two.customers[0], "subject": "2"})
                got = {}
                for _ in range(2):
                    _, message = await ws.next()
                    got[message["id"]] = message
                assert sorted(got) == ["badges", "list"], got
                badges = Badges.of(got["badges"])
                assert (badges.customer_id, badges.tickets) == (two.customers[0], 1)
                change = got["list"]["payload"]["data"]["customerListChanged"]
                assert change == {"kind": "CHANGED", "customerId": two.customers[0]}
                await ws.quiet()

    run(cluster, scenario)


def test_after_redis_restarts_a_resyncs_and_hears_b_again(cluster):
    """Redis is SIGKILLed under a live subscription; a write made through B while it is down
    shows in the fresh counts A sends when Redis is back (and B's outbox sends its event
    then too)."""

    async def scenario():
        async with httpx2.AsyncClient(base_url=cluster.b.url, timeout=WAIT) as http:
            tenant = await new_tenant(cluster.database_url, http, WATCHED)
            during, after = tenant.customers[3], tenant.customers[4]
            async with Socket.open(cluster.a, tenant.token) as ws:
                await ws.subscribe("badges", BADGES, ids=tenant.customers)
                initial = [b for _, b in await ws.badges(WATCHED)]
                version = max(b.version for b in initial)

                await asyncio.to_thread(cluster.redis.stop, kill=True)
                sent = time.monotonic()
                await tenant.b.ok("openTicket", {"customerId": during, "subject": "Down"})
                write_while_down = time.monotonic() - sent
                await ws.quiet(0.1)  # no Redis, no signal
                await asyncio.to_thread(cluster.redis.start)
                restarted = time.monotonic()

                resync = await ws.badges(WATCHED)
                first, last = resync[0][0] - restarted, resync[-1][0] - restarted
                fresh = {b.customer_id: b for _, b in resync}
                assert sorted(fresh) == sorted(tenant.customers)
                assert {c: b.tickets for c, b in fresh.items() if b.tickets} == {during: 1}
                assert min(b.version for b in fresh.values()) >= version

                sent = time.monotonic()
                await tenant.b.ok("openTicket", {"customerId": after, "subject": "Up"})
                arrived, update = (await ws.badges(1))[0]
                late = []  # B's outbox sends the event it held once Redis is back: at most
                while update.customer_id == during:  # a repeat of what the resync showed
                    late.append(update)
                    arrived, update = (await ws.badges(1))[0]
                latency = arrived - sent
                assert (update.customer_id, update.tickets) == (after, 1)
                assert update.version > version
                if not late:
                    with contextlib.suppress(AssertionError):
                        late += [b for _, b in await ws.badges(1, within=QUIET)]
                assert [(b.customer_id, b.tickets) for b in late] in ([], [(during, 1)])
                await ws.quiet()

        print(
            f"\nwrite on B with Redis down took {write_while_down * 1000:.0f} ms; "
            f"resync on A {first * 1000:.0f}-{last * 1000:.0f} ms after Redis restarted "
            f"(versions {sorted({b.version for b in fresh.values()})} vs {version} before); "
            f"next update {latency * 1000:.0f} ms after the write's request"
        )
        assert latency < FAST

    run(cluster, scenario)
