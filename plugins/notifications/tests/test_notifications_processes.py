"""The live unread count across two real server processes sharing one Redis
(`tests/test_processes.py`'s cluster): Ann subscribes on A, the owner assigns customers
through B, and only Ann's count arrives on A, a fresh value each time."""

import httpx2

from tests.support import pk_of, token_for
from tests.test_processes import (  # noqa: F401 (fixtures)
    WAIT,
    Socket,
    cluster,
    new_tenant,
    redis_up,
    run,
    sent,
)

COUNT = "subscription { notificationCount }"


def test_an_assignment_through_b_reaches_the_assignees_count_on_a(cluster):  # noqa: F811
    async def scenario():
        async with httpx2.AsyncClient(base_url=cluster.b.url, timeout=WAIT) as http:
            tenant = await new_tenant(cluster.database_url, http, 0)
            owner = tenant.b
            await owner.ok("enableModule", {"module": "notifications"}, "modules { name }")
            ids = {}
            for name in ("Ann", "Bob"):
                email = f"{name.lower()}@example.com"
                made = await owner.ok(
                    "createWorker", {"name": name, "email": email, "role": "AGENT"}, "worker { id }"
                )
                ids[name] = made["worker"]["id"]
            await sent(http)
            ann_token = token_for(tenant.id, pk_of(ids["Ann"]))
            async with (
                Socket.open(cluster.a, ann_token) as ann,
                Socket.open(cluster.a, tenant.token) as witness,
            ):
                await ann.subscribe("count", COUNT)
                _, first = await ann.next()
                assert first["payload"]["data"]["notificationCount"] == 0
                await witness.subscribe("count", COUNT)
                await witness.next()
                await owner.ok("createCustomer", {"name": "Bea", "workerIds": [ids["Bob"]]})
                await owner.ok("createCustomer", {"name": "Ada", "workerIds": [ids["Ann"]]})
                _, update = await ann.next()
                assert update["payload"]["data"]["notificationCount"] == 1
                await ann.quiet()
                await witness.quiet()  # the owner assigned, and was not notified

    run(cluster, scenario)
