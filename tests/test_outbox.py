"""Events leave through the outbox: published after commit, never for a rolled-back write,
never lost for a committed one (start-up publishes what a crash left), and handlers that fail
break nothing."""

import logging

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from core.hookspecs import hookimpl
from core.models import EventRecord
from schema.registry import make_plugins
from server import create_app
from tests.fixtures import new_tenant, run
from tests.support import settle


def listen(client: TestClient, tenant_id: int) -> list[dict]:
    received: list[dict] = []
    client.app.state.bus.listen(tenant_id, received.append)
    return received


def published_at(client: TestClient, event_id: int):
    async def read():
        async with client.app.state.db.read() as conn:
            return await conn.scalar(
                select(EventRecord.published_at).where(EventRecord.id == event_id)
            )

    return run(client, read)


def test_a_committed_write_is_published_once_and_marked(api, client):
    received = listen(client, api.tenant_id)
    api.ok("createCustomer", {"name": "Ada"})
    assert [m["name"] for m in received] == ["customer.created"]
    message = received[0]
    assert message["tenantId"] == api.tenant_id and message["actorId"] == api.worker_id
    assert published_at(client, message["id"]) is not None


def test_a_rolled_back_write_publishes_nothing(api, client):
    received = listen(client, api.tenant_id)
    payload = api.mutate("createCustomer", {"name": "   "}, "customer { id }")
    assert payload["userErrors"][0]["code"] == "REQUIRED"
    payload = api.mutate(
        "bulkAddCustomerTags",
        {"customerIds": ["Q3VzdG9tZXI6OTk5OTk5"], "tagIds": []},
        "customers { id }",
    )
    assert payload["userErrors"]
    assert received == []


def test_other_tenants_hear_nothing(api, other_api, client):
    theirs = listen(client, other_api.tenant_id)
    api.ok("createCustomer", {"name": "Ada"})
    assert theirs == []


def test_events_a_crash_left_unpublished_go_out_at_start_up(api, settings):
    async def crash_leftover():
        async with app.state.db.transaction() as session:
            row = EventRecord(
                tenant_id=api.tenant_id,
                action="customer.updated",
                data={"changed": ["city"]},
            )
            session.add(row)
            await session.flush()
            return row.id

    app = create_app(settings)
    received: list[dict] = []
    app.state.bus.listen(api.tenant_id, received.append)
    with TestClient(app) as client:
        event_id = run(client, crash_leftover)
    app = create_app(settings)
    app.state.bus.listen(api.tenant_id, received.append)
    with TestClient(app) as client:
        settle(client)
        assert [m["id"] for m in received] == [event_id]
        assert published_at(client, event_id) is not None


class Broken:
    @hookimpl
    def hub_handle_event(self, session, event):
        raise RuntimeError("handler bug")


class Recorder:
    def __init__(self):
        self.seen: list[str] = []

    @hookimpl
    def hub_handle_event(self, session, event):
        self.seen.append(event.name)


@pytest.fixture(scope="module")
def handled(settings):
    recorder = Recorder()
    app = create_app(settings, make_plugins(extra=[Broken(), recorder]))
    with TestClient(app) as client:
        yield client, recorder


def test_a_failing_handler_breaks_neither_the_write_nor_other_handlers(handled, caplog):
    client, recorder = handled
    api = new_tenant(client)
    with caplog.at_level(logging.ERROR, logger="customer_hub.outbox"):
        created = api.ok("createCustomer", {"name": "Ada"}, "customer { id }")
    assert created["customer"]["id"]
    assert recorder.seen == ["customer.created"]
    failures = [r for r in caplog.records if "failed on event" in r.getMessage()]
    assert len(failures) == 1 and "handler bug" in failures[0].exc_text
