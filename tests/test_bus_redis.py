"""The Redis bus against real Redis servers this file starts on free ports (never the shared
6379): fan-out across processes, exactly once; subscriptions that follow the listeners; a
reconnect by itself after Redis restarts, with a resync; no exception while Redis is down;
one app's write heard by another app's bus; and deployments kept apart by their channel prefix.
The same against real server processes: tests/test_processes.py."""

import asyncio
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis
from starlette.testclient import TestClient

from core.bus import make_bus
from core.bus_redis import RedisBus
from core.config import Settings
from server import create_app
from tests.fixtures import new_tenant, run
from tests.servers import RedisServer, free_port, require_redis_server
from tests.support import SECRET


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    require_redis_server()
    server = RedisServer(free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run_async(scenario, *args):
    """Run a scenario on a fresh loop; a hang fails instead of blocking the suite; and no task
    may outlive the buses it started."""

    async def guarded():
        await asyncio.wait_for(scenario(*args), 20)
        leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert leftover == [], leftover

    asyncio.run(guarded())


@asynccontextmanager
async def started(url: str, prefix: str, **options):
    bus = RedisBus(url, prefix=prefix, **options)
    await bus.start()
    try:
        yield bus
    finally:
        await bus.close()


async def eventually(predicate, within: float = 5.0) -> float:
    """Seconds until `predicate()` held; fails after `within`."""
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < within, "condition not reached in time"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


def prefix() -> str:
    return f"test:{uuid.uuid4().hex[:8]}:"


def ids(messages: list[dict]) -> list:
    return [m["id"] for m in messages]


def test_another_process_hears_the_tenant_exactly_once_and_no_other_tenant(redis_server):
    async def scenario():
        channels = prefix()
        async with (
            started(redis_server.url, channels) as a,
            started(redis_server.url, channels) as b,
        ):
            a1: list[dict] = []
            b1: list[dict] = []
            b2: list[dict] = []
            a.listen(1, a1.append)
            b.listen(1, b1.append)
            b.listen(2, b2.append)
            assert await a.settled() and await b.settled()

            await b.publish(1, {"id": "from b"})
            await b.publish(2, {"id": "for tenant 2"})
            await a.publish(1, {"id": "from a"})
            # Redis keeps a channel's order: once the fence is in, any duplicate would be too.
            await a.publish(1, {"id": "fence"})
            await b.publish(2, {"id": "fence"})
            await eventually(lambda: "fence" in ids(a1) and "fence" in ids(b1 + b2))
            await eventually(lambda: ids(b1)[-1:] == ["fence"] and ids(b2)[-1:] == ["fence"])

            assert ids(a1) == ["from b", "from a", "fence"]  # its own publish: once, via Redis
            assert ids(b1) == ["from b", "from a", "fence"]
            assert ids(b2) == ["for tenant 2", "fence"]

    run_async(scenario)


def test_subscriptions_follow_the_listeners(redis_server):
    async def scenario():
        channels = prefix()
        probe = Redis.from_url(redis_server.url)

        async def subscribers(tenant_id: int) -> int:
            [(_, count)] = await probe.pubsub_numsub(f"{channels}{tenant_id}")
            return count

        async def pubsub_connections() -> int:
            return len(await probe.client_list(_type="pubsub"))

        try:
            async with started(redis_server.url, channels) as bus:
                first: list[dict] = []
                second: list[dict] = []
                other: list[dict] = []
                remove_first = bus.listen(7, first.append)
                remove_second = bus.listen(7, second.append)
                remove_other = bus.listen(8, other.append)
                assert await bus.settled()
                assert await subscribers(7) == 1 and await subscribers(8) == 1
                assert await pubsub_connections() == 1  # one per process, whatever the tenants

                remove_first()
                await bus.publish(7, {"id": 1})
                await eventually(lambda: ids(second) == [1])
                assert await subscribers(7) == 1

                remove_second()
                start = time.monotonic()
                while await subscribers(7):
                    assert time.monotonic() - start < 5, "tenant 7 still subscribed"
                    await asyncio.sleep(0.01)
                await bus.publish(7, {"id": 2})
                await bus.publish(8, {"id": "fence"})
                await eventually(lambda: ids(other) == ["fence"])
                assert ids(first) == [] and ids(second) == [1]
                assert await subscribers(8) == 1

                again: list[dict] = []
                bus.listen(7, again.append)  # a new first listener subscribes again
                assert await bus.settled()
                await bus.publish(7, {"id": 3})
                await eventually(lambda: ids(again) == [3])

                remove_other()
            start = time.monotonic()  # closed: Redis notices the closed socket a moment later
            while await subscribers(7) or await pubsub_connections():
                assert time.monotonic() - start < 5, "the bus's connection is still open"
                await asyncio.sleep(0.01)
        finally:
            await probe.aclose()

    run_async(scenario)


def test_the_bus_reconnects_by_itself_after_redis_restarts_and_resyncs(redis_server):
    async def scenario():
        channels = prefix()
        async with (
            started(redis_server.url, channels) as a,
            started(redis_server.url, channels) as b,
        ):
            heard: list[dict] = []
            resyncs: list[float] = []

            async def on_resync():
                resyncs.append(time.monotonic())

            a.on_resync.append(on_resync)
            a.listen(1, heard.append)
            assert await a.settled()

            sent = 0

            async def stream():  # b publishes every 10 ms, through the outage
                nonlocal sent
                while True:
                    sent += 1
                    await b.publish(1, {"id": sent})
                    await asyncio.sleep(0.01)

            streaming = asyncio.create_task(stream())
            try:
                await eventually(lambda: len(heard) >= 5)
                redis_server.stop(kill=True)
                await eventually(lambda: not a.connected)
                lost_at = sent
                await asyncio.sleep(0.3)  # publishing into the void must not raise
                assert not streaming.done()

                redis_server.start()
                restarted = time.monotonic()
                await eventually(lambda: resyncs, within=5)
                assert a.connected
                await eventually(lambda: heard[-1]["id"] > lost_at + 3, within=5)
                back = time.monotonic() - restarted
            finally:
                streaming.cancel()
                await asyncio.gather(streaming, return_exceptions=True)

            numbers = ids(heard)
            assert numbers == sorted(set(numbers))  # in order, never twice; some lost
            assert len(resyncs) == 1 and resyncs[0] - restarted < 3
            assert back < 5
            print(f"resync {resyncs[0] - restarted:.2f}s, events again {back:.2f}s after restart")

    run_async(scenario)


def test_a_silent_redis_counts_as_a_drop(redis_server):
    """No FIN, no answer (a partition): the heartbeat PING goes unanswered, the bus reconnects."""

    async def scenario():
        resyncs: list[float] = []

        async def on_resync():
            resyncs.append(time.monotonic())

        async with started(redis_server.url, prefix(), heartbeat=0.2, timeout=1.0) as bus:
            bus.on_resync.append(on_resync)
            heard: list[dict] = []
            bus.listen(1, heard.append)
            assert await bus.settled()
            await asyncio.sleep(0.6)  # idle: PINGs are answered, nothing happens
            assert bus.connected and resyncs == []

            probe = Redis.from_url(redis_server.url)
            try:
                paused = time.monotonic()
                await probe.execute_command("CLIENT", "PAUSE", 1500, "ALL")
                await eventually(lambda: not bus.connected, within=2)
                await eventually(lambda: resyncs, within=5)
                assert resyncs[0] - paused >= 1.5  # not before Redis answers again
                await bus.publish(1, {"id": "after"})
                await eventually(lambda: ids(heard) == ["after"])
            finally:
                await probe.aclose()

    run_async(scenario)


def test_redis_down_neither_raises_nor_floods_the_log(caplog, tmp_path):
    require_redis_server()
    server = RedisServer(free_port(), tmp_path)  # not started yet

    async def scenario():
        heard: list[dict] = []
        resyncs: list[int] = []

        async def on_resync():
            resyncs.append(1)

        before = time.monotonic()
        async with started(server.url, prefix()) as bus:
            assert time.monotonic() - before < 1  # a start without Redis does not hang
            bus.on_resync.append(on_resync)
            bus.listen(1, heard.append)
            for number in range(3):
                assert await bus.publish(1, {"id": number}) is False  # the outbox retries
            await asyncio.sleep(0.8)  # several reconnect attempts
            warnings = [
                r.getMessage()
                for r in caplog.records
                if r.name == "customer_hub.bus" and r.levelno >= logging.WARNING
            ]
            assert len(warnings) == 2, warnings  # once for the reader, once for publishing

            server.start()  # comes up later: the bus connects by itself and resyncs
            try:
                assert await bus.settled(within=5)
                await eventually(lambda: resyncs == [1])
                await bus.publish(1, {"id": "late"})
                await eventually(lambda: ids(heard) == ["late"])
            finally:
                server.stop()

    with caplog.at_level(logging.DEBUG, logger="customer_hub.bus"):
        run_async(scenario)


def test_a_write_in_one_app_reaches_the_bus_of_another(redis_server, settings):
    shared = settings.model_copy(update={"redis_url": redis_server.url})
    with TestClient(create_app(shared)) as a, TestClient(create_app(shared)) as b:
        api = new_tenant(a)
        heard_a: list[dict] = []
        heard_b: list[dict] = []
        a.app.state.bus.listen(api.tenant_id, heard_a.append)
        b.app.state.bus.listen(api.tenant_id, heard_b.append)
        assert run(a, a.app.state.bus.settled) and run(b, b.app.state.bus.settled)

        api.ok("createCustomer", {"name": "Ada"})

        deadline = time.monotonic() + 5
        while not (heard_a and heard_b) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [m["name"] for m in heard_b] == ["customer.created"]
        assert heard_b[0]["tenantId"] == api.tenant_id
        assert heard_a == heard_b  # the writing app hears it through Redis too, once


def test_deployments_sharing_a_redis_hear_only_their_own_channel_prefix(redis_server):
    """`REDIS_CHANNEL_PREFIX`: two deployments (blue, green) on one Redis, same tenant ids."""

    async def scenario():
        blue_a = make_bus(redis_server.url, "blue")
        blue_b = make_bus(redis_server.url, "blue")
        green = make_bus(redis_server.url, "green")
        heard: dict[str, list[dict]] = {"blue_a": [], "blue_b": [], "green": []}
        for name, bus in (("blue_a", blue_a), ("blue_b", blue_b), ("green", green)):
            bus.listen(1, heard[name].append)
            await bus.start()
        try:
            assert all([await blue_a.settled(), await blue_b.settled(), await green.settled()])

            await blue_a.publish(1, {"id": "blue"})
            await green.publish(1, {"id": "green"})
            # Per-channel order: once each deployment's fence is in, a stray would be too.
            await blue_b.publish(1, {"id": "fence"})
            await green.publish(1, {"id": "fence"})
            await eventually(lambda: all(ids(h)[-1:] == ["fence"] for h in heard.values()))

            assert ids(heard["blue_a"]) == ids(heard["blue_b"]) == ["blue", "fence"]
            assert ids(heard["green"]) == ["green", "fence"]
        finally:
            for bus in (blue_a, blue_b, green):
                await bus.close()

    run_async(scenario)


def test_the_app_names_its_channels_by_the_setting(monkeypatch):
    monkeypatch.setenv("REDIS_CHANNEL_PREFIX", "staging")
    configured = Settings(
        database_url="sqlite+aiosqlite:///:memory:",
        redis_url="redis://127.0.0.1:1/0",  # never connected: the bus is not started
        secret_key=SECRET,
        _env_file=None,
    )
    assert configured.redis_channel_prefix == "staging"
    bus = create_app(configured).state.bus
    assert bus._channel(7) == "staging:events:7"
    assert make_bus(configured.redis_url)._channel(7) == "hub:events:7"  # the default
