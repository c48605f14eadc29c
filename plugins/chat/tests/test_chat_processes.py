"""`chatMessages` across two real `server.py` processes sharing one database and one Redis
(the cluster of `tests/test_processes.py`): a message posted through B arrives on a socket
subscribed on A; an agent who may not see the customer is refused on A and hears nothing."""

import asyncio
import uuid
from contextlib import ExitStack

import httpx2
import pytest

from tests.servers import AppServer, RedisServer, free_port, require_redis_server
from tests.support import SECRET, pk_of, token_for
from tests.test_processes import WAIT, Cluster, Socket, new_tenant, run, sent

STARTUP = 120.0  # the shared machine is loaded: two processes may take long to answer


@pytest.fixture(scope="module")
def cluster(database_url, tmp_path_factory):
    """`tests/test_processes.py`'s cluster (Redis, A and B), waiting longer for start-up."""
    require_redis_server()
    directory = tmp_path_factory.mktemp("chat-processes")
    redis = RedisServer(free_port(), directory)
    prefix = f"chat-{uuid.uuid4().hex[:8]}"
    environment = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis.url,
        "REDIS_CHANNEL_PREFIX": prefix,
        "SECRET_KEY": SECRET,
    }
    a, b = AppServer("a", directory, environment), AppServer("b", directory, environment)
    with ExitStack() as stack:
        stack.callback(redis.stop)
        redis.start()
        for server in (a, b):
            stack.callback(server.stop)
            server.launch()
        for server in (a, b):
            server.wait_ready(STARTUP)
        yield Cluster(redis, a, b, database_url, prefix)


LIVE = """subscription($customer: ID!) { chatMessages(customerId: $customer) {
  change message { id body } } }"""


def test_a_message_posted_on_b_reaches_a_subscriber_on_a(cluster):
    async def scenario():
        async with httpx2.AsyncClient(base_url=cluster.b.url, timeout=30) as http:
            tenant = await new_tenant(cluster.database_url, http, 2)
            await tenant.b.ok("enableModule", {"module": "chat"}, "modules { name }")
            ada, bob = tenant.customers
            made = await tenant.b.ok(
                "createWorker",
                {"name": "Ann Agent", "email": "ann@example.com", "role": "AGENT"},
                "worker { id }",
            )
            agent_id = made["worker"]["id"]
            await tenant.b.ok("assignWorkers", {"customerId": bob, "workerIds": [agent_id]})
            await sent(http)
            agent_token = token_for(tenant.id, pk_of(agent_id))
            async with (
                Socket.open(cluster.a, tenant.token) as owner_ws,
                Socket.open(cluster.a, agent_token) as agent_ws,
            ):
                await owner_ws.subscribe("chat", LIVE, customer=ada)
                await agent_ws.subscribe("hidden", LIVE, customer=ada)
                _, refused = await _any(agent_ws)
                assert refused["type"] in ("error", "next"), refused
                errors = (
                    refused["payload"]
                    if refused["type"] == "error"
                    else refused["payload"]["errors"]
                )
                assert errors[0]["extensions"]["code"] == "NOT_FOUND"
                if refused["type"] == "next":  # then the operation completes
                    _, done = await _any(agent_ws)
                    assert done == {"id": "hidden", "type": "complete"}, done
                await agent_ws.subscribe("bob", LIVE, customer=bob)
                await asyncio.sleep(0.5)  # both subscriptions joined the bus on A
                payload = await tenant.b.ok(
                    "postChatMessage", {"customerId": ada, "body": "Across"}, "message { id }"
                )
                _, message = await owner_ws.next()
                got = message["payload"]["data"]["chatMessages"]
                assert got == {
                    "change": "POSTED",
                    "message": {"id": payload["message"]["id"], "body": "Across"},
                }
                await agent_ws.quiet()
                await owner_ws.quiet()

    run(cluster, scenario)


async def _any(socket: Socket):
    async with asyncio.timeout(WAIT):
        return await socket.inbox.get()
