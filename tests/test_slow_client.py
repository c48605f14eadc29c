"""A client that stops reading is dropped with close code 4413, not buffered without end: a
real server process (only a real socket pushes back), a websocket that never reads with a
tiny receive buffer, and tenant-wide changes that make every subscription resend its
counts. A client reading normally beside it keeps its socket."""

import asyncio
import json
import socket
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests import test_processes as p
from tests.servers import AppServer
from tests.support import SECRET

WATCHED = 200
QUEUE = 2
# About 3 KB per customer and update, so the socket's buffers (up to 4 MiB in the kernel)
# fill within a few updates.
_TABS = " ".join(f"t{i}: tabs {{ key title icon badgeCount }}" for i in range(12))
BULKY = f"""subscription($ids: [ID!]!) {{ badgeCounts(customerIds: $ids) {{
  customerId version {_TABS} }} }}"""


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    environment = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "SUBSCRIPTION_QUEUE": str(QUEUE),
    }
    server = AppServer("slow", tmp_path_factory.mktemp("slow"), environment)
    try:
        server.launch()
        server.wait_ready()
        yield server
    finally:
        server.stop()


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


async def _stuck_socket(server: AppServer, token: str, ids: list[str]):
    """A websocket whose client reads nothing after subscribing, with a 4 KiB receive buffer
    (the kernel's, then the client library's own queue of one frame, fill at once)."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    await asyncio.get_running_loop().sock_connect(raw, ("127.0.0.1", server.port))
    ws = await connect(
        server.ws_url, sock=raw, subprotocols=["graphql-transport-ws"], max_queue=1
    ).__aenter__()
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    await ws.send(json.dumps(init))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    payload = {"query": BULKY, "variables": {"ids": ids}}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    return ws


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
            code = None
            started = time.monotonic()
            try:
                async with asyncio.timeout(10):
                    async for _ in stuck:  # reading at last: what was buffered, then the close
                        pass
            except ConnectionClosed:
                pass
            code = stuck.close_code
            assert code == 4413, (code, stuck.close_reason)
            assert time.monotonic() - started < 10

    asyncio.run(scenario())
