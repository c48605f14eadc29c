"""A client that stops reading is dropped with close code 4413, not buffered without end, and
its subscriptions are released at once, while it still has not read: a real server process
(only a real socket pushes back) and websockets that never read with a tiny receive buffer.
Each detector on a server of its own: updates piling up in a subscription's queue (tiny
`SUBSCRIPTION_QUEUE`, tenant-wide changes that make every subscription resend its counts);
the graphql-transport-ws keep-alive (short `WS_PING_INTERVAL` and `WS_PING_TIMEOUT`, a few
updates a second); the same when the ping cannot even be sent (buffers full before it). A
client reading normally beside it keeps its socket and its updates; one that answers the
server's pings stays connected."""

import asyncio
import json
import socket
import time

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from schema.live import SLOW_CLIENT_REASON
from schema.sockets import NO_PONG_REASON
from tests import test_processes as p
from tests.servers import AppServer
from tests.support import SECRET

WATCHED = 200
QUEUE = 2
PING_INTERVAL = 0.5
PING_TIMEOUT = 1.0
DROPPED_WITHIN = PING_INTERVAL + PING_TIMEOUT + 1.5
STALLED_INTERVAL = 2.5  # a dozen bulky subscriptions' first counts take about 1 s to send
# About 3 KB per customer and update, so the socket's buffers (up to 4 MiB in the kernel)
# fill within a few updates.
_TABS = " ".join(f"t{i}: tabs {{ key title icon badgeCount }}" for i in range(12))
BULKY = f"""subscription($ids: [ID!]!) {{ badgeCounts(customerIds: $ids) {{
  customerId version {_TABS} }} }}"""
UPDATE = """mutation($id: ID!, $city: String) {
  updateCustomer(input: {id: $id, city: $city}) { userErrors { code } } }"""


def _server(database_url, tmp_path_factory, name: str, **settings):
    environment = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET, **settings}
    server = AppServer(name, tmp_path_factory.mktemp(name), environment)
    try:
        server.launch()
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    """Only the queue can drop a client here (the keep-alive's defaults are far longer)."""
    yield from _server(database_url, tmp_path_factory, "slow", SUBSCRIPTION_QUEUE=str(QUEUE))


@pytest.fixture(scope="module")
def stalled(database_url, tmp_path_factory):
    """A socket's buffers fill within a ping interval here."""
    yield from _server(
        database_url,
        tmp_path_factory,
        "stalled",
        WS_PING_INTERVAL=str(STALLED_INTERVAL),
        WS_PING_TIMEOUT=str(PING_TIMEOUT),
    )


@pytest.fixture(scope="module")
def pinging(database_url, tmp_path_factory):
    """Only the keep-alive can drop a client here (the default queue outlasts the tests)."""
    yield from _server(
        database_url,
        tmp_path_factory,
        "pinging",
        WS_PING_INTERVAL=str(PING_INTERVAL),
        WS_PING_TIMEOUT=str(PING_TIMEOUT),
    )


async def _tenant(server: AppServer, http) -> p.Tenant:
    tenant = await p.new_tenant(server.environment["DATABASE_URL"], http, 50)
    api = p.Api(http, tenant.token)
    for batch in range(1, WATCHED // 50):
        creates = " ".join(
            f'c{i}: createCustomer(input: {{name: "More {batch}.{i}"}}) {{ customer {{ id }} }}'
            for i in range(50)
        )
        data = await api.query(f"mutation {{ {creates} }}")
        tenant.customers += [data[f"c{i}"]["customer"]["id"] for i in range(50)]
    return tenant


async def _init(ws: ClientConnection, token: str) -> None:
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    await ws.send(json.dumps(init))
    assert json.loads(await ws.recv())["type"] == "connection_ack"


async def _subscribe(ws: ClientConnection, query: str, ids: list[str], id: str = "1") -> None:
    payload = {"query": query, "variables": {"ids": ids}}
    await ws.send(json.dumps({"id": id, "type": "subscribe", "payload": payload}))


async def _stuck_socket(server: AppServer, token: str, ids: list[str], query: str = BULKY):
    """A websocket whose client reads nothing after subscribing, with a 4 KiB receive buffer
    (the kernel's, then the client library's own queue of one frame, fill at once)."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    await asyncio.get_running_loop().sock_connect(raw, ("127.0.0.1", server.port))
    ws = await connect(
        server.ws_url, sock=raw, subprotocols=["graphql-transport-ws"], max_queue=1
    ).__aenter__()
    await _init(ws, token)
    await _subscribe(ws, query, ids)
    return ws


async def _read_to_the_end(ws: ClientConnection) -> tuple[int, str]:
    """Reading at last: what was buffered, then the close."""
    try:
        async with asyncio.timeout(10):
            async for _ in ws:
                pass
    except ConnectionClosed:
        pass
    return ws.close_code, ws.close_reason


async def _subscriptions(http, expected: int, within: float = DROPPED_WITHIN) -> None:
    """`/health` shows `expected` live subscriptions within `within` seconds."""
    deadline = time.monotonic() + within
    while (found := (await http.get("/health")).json()["subscriptions"]) != expected:
        assert time.monotonic() < deadline, f"{found} subscriptions, not {expected}"
        await asyncio.sleep(0.05)


async def _update(api: p.Api, reader: p.Socket, customer: str, n: int) -> None:
    """One change, and the reader beside the slow client gets its counts."""
    await api.query(UPDATE, id=customer, city=f"City {n}")
    _, message = await reader.next()
    assert message["payload"]["data"]["badgeCounts"]["customerId"] == customer


def test_a_client_that_stops_reading_is_dropped_with_4413(server):
    async def scenario():
        async with p.httpx2.AsyncClient(base_url=server.url, timeout=10) as http:
            tenant = await _tenant(server, http)
            api = p.Api(http, tenant.token)
            stuck = await _stuck_socket(server, tenant.token, tenant.customers)
            async with p.Socket.open(server, tenant.token) as reader:
                await reader.subscribe("1", p.BADGES, ids=tenant.customers[:1])
                await reader.next()
                grant = {"role": "AGENT", "permission": "tags.manage"}
                for n in range(16):  # each one: every subscription's counts sent again
                    await api.ok("setRolePermission", {**grant, "granted": n % 2 == 0})
                    await reader.next()
                    await asyncio.sleep(0.06)
                await reader.quiet(0.2)
                await _subscriptions(http, 1)  # the reader's: the stuck one is gone, unread
                await _update(api, reader, tenant.customers[0], 1)
                started = time.monotonic()
                assert await _read_to_the_end(stuck) == (4413, SLOW_CLIENT_REASON)
                assert time.monotonic() - started < 10
            await _subscriptions(http, 0)

    asyncio.run(scenario())


def test_a_client_that_stops_reading_under_a_modest_event_rate_is_dropped_with_4413(pinging):
    """Its queue never fills (every update still fits in the socket's buffers): the pong it
    does not send gives it away."""

    async def scenario():
        async with p.httpx2.AsyncClient(base_url=pinging.url, timeout=10) as http:
            tenant = await p.new_tenant(pinging.environment["DATABASE_URL"], http, 10)
            api = p.Api(http, tenant.token)
            async with p.Socket.open(pinging, tenant.token) as reader:
                await reader.subscribe("1", p.BADGES, ids=tenant.customers)
                await reader.badges(len(tenant.customers))
                stuck = await _stuck_socket(pinging, tenant.token, tenant.customers, p.BADGES)
                started = time.monotonic()
                await _subscriptions(http, 2)
                n = 0
                while (await http.get("/health")).json()["subscriptions"] == 2:
                    assert time.monotonic() - started < DROPPED_WITHIN, "not dropped"
                    n += 1
                    await _update(api, reader, tenant.customers[n % 10], n)
                    await asyncio.sleep(0.2)  # a few changes a second
                assert time.monotonic() - started > PING_INTERVAL
                assert n >= 3
                await _subscriptions(http, 1)
                for later in range(n + 1, n + 4):  # the reader goes on, across pings
                    await _update(api, reader, tenant.customers[later % 10], later)
                    await asyncio.sleep(PING_INTERVAL / 2)
                assert await _read_to_the_end(stuck) == (4413, NO_PONG_REASON)
            await _subscriptions(http, 0)

    asyncio.run(scenario())


def test_a_ping_that_cannot_even_be_sent_drops_the_client_with_4413(stalled):
    """First counts enough to fill the socket's buffers, never read, and no event after them:
    only the keep-alive's bounded send notices (the queue stays empty, the subscriptions'
    sends wait for ever)."""

    async def scenario():
        async with p.httpx2.AsyncClient(base_url=stalled.url, timeout=10) as http:
            tenant = await _tenant(stalled, http)
            stuck = await _stuck_socket(stalled, tenant.token, tenant.customers)
            for id in range(2, 13):
                await _subscribe(stuck, BULKY, tenant.customers, str(id))
            await _subscriptions(http, 12)
            await _subscriptions(http, 0, STALLED_INTERVAL + PING_TIMEOUT + 1.5)
            assert await _read_to_the_end(stuck) == (4413, NO_PONG_REASON)

    asyncio.run(scenario())


def test_a_client_that_reads_but_never_answers_pings_is_dropped_with_4413(pinging):
    async def scenario():
        async with p.httpx2.AsyncClient(base_url=pinging.url, timeout=10) as http:
            tenant = await p.new_tenant(pinging.environment["DATABASE_URL"], http, 2)
            async with connect(pinging.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
                await _init(ws, tenant.token)
                await _subscribe(ws, p.BADGES, tenant.customers)
                started = time.monotonic()
                received = []
                with pytest.raises(ConnectionClosed):
                    async with asyncio.timeout(DROPPED_WITHIN):
                        async for raw in ws:
                            received.append(json.loads(raw)["type"])
                assert time.monotonic() - started > PING_INTERVAL + PING_TIMEOUT - 0.1
                assert sorted(received) == ["next", "next", "ping"]
                assert (ws.close_code, ws.close_reason) == (4413, NO_PONG_REASON)
            await _subscriptions(http, 0)

    asyncio.run(scenario())


def test_a_client_that_answers_pings_stays_connected(pinging):
    async def scenario():
        async with p.httpx2.AsyncClient(base_url=pinging.url, timeout=10) as http:
            tenant = await p.new_tenant(pinging.environment["DATABASE_URL"], http, 2)
            api = p.Api(http, tenant.token)
            async with connect(pinging.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
                await _init(ws, tenant.token)
                await _subscribe(ws, p.BADGES, tenant.customers[:1])
                pings = updates = 0
                started = time.monotonic()
                while time.monotonic() - started < 6 * PING_INTERVAL:
                    with pytest.raises(TimeoutError):
                        async with asyncio.timeout(PING_INTERVAL / 2):
                            while True:
                                message = json.loads(await ws.recv())
                                if message["type"] == "ping":
                                    pings += 1
                                    await ws.send(json.dumps({"type": "pong"}))
                                else:
                                    assert message["type"] == "next", message
                                    updates += 1
                    await api.query(UPDATE, id=tenant.customers[0], city=f"City {pings}")
                assert pings >= 4
                assert updates >= 6
                await _subscriptions(http, 1)
            await _subscriptions(http, 0)

    asyncio.run(scenario())
