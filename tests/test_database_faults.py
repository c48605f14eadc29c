"""A statement the database cancels (its `statement_timeout`, here while it waits for a row
lock another session holds) answers 503 SERVICE_UNAVAILABLE with Retry-After, writes
nothing, and the same request succeeds once the lock is gone. PostgreSQL only: SQLite has
no statement timeout (a busy file waits `busy_timeout`)."""

import asyncio
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.testclient import TestClient

from server import create_app
from tests.fixtures import new_tenant
from tests.support import pk_of

UPDATE = """mutation($id: ID!) { updateCustomer(input: {id: $id, city: "Lyon"}) {
  customer { city } userErrors { code } } }"""


class RowLock(threading.Thread):
    """Another session holding `FOR UPDATE` on one customer until released."""

    def __init__(self, url: str, customer_id: int):
        super().__init__(daemon=True)
        self.url, self.customer_id = url, customer_id
        self.held, self.release = threading.Event(), threading.Event()

    def run(self):
        async def hold():
            engine = create_async_engine(self.url)
            try:
                async with engine.connect() as conn, conn.begin():
                    await conn.execute(
                        text("SELECT id FROM customers WHERE id = :id FOR UPDATE"),
                        {"id": self.customer_id},
                    )
                    self.held.set()
                    await asyncio.to_thread(self.release.wait, 30)
            finally:
                await engine.dispose()

        asyncio.run(hold())


def test_a_cancelled_statement_is_503_and_writes_nothing(settings, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's statement_timeout")
    impatient = settings.model_copy(update={"db_statement_timeout": 0.3})
    with TestClient(create_app(impatient)) as client:
        api = new_tenant(client)
        created = api.ok("createCustomer", {"name": "Locked", "city": "Paris"}, "customer { id }")
        customer_id = created["customer"]["id"]
        lock = RowLock(database_url, pk_of(customer_id))
        lock.start()
        assert lock.held.wait(10)
        try:
            response = api.post(UPDATE, {"id": customer_id})
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"]
            assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        finally:
            lock.release.set()
            lock.join(10)
        city = api.query("query($id: ID!) { customer(id: $id) { city } }", id=customer_id)
        assert city["customer"]["city"] == "Paris"
        again = api.post(UPDATE, {"id": customer_id}).json()
        assert again["data"]["updateCustomer"]["customer"]["city"] == "Lyon"
