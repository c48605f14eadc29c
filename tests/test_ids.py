"""An id is never handed out twice, on SQLite too (AUTOINCREMENT, migration 0006): a new
customer never takes a deleted one's history, a deleted worker's token never signs in as
a new worker. Migrating an existing database there keeps every row, link and the search."""

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.testclient import TestClient

from core import migrate
from core.config import Settings
from core.contacts import search_text
from schema.registry import make_plugins
from server import create_app
from tests.fixtures import own_postgres_database
from tests.support import SECRET, Api, gid, pk_of, token_for

ME = "{ me { worker { id name } } }"


def worker(api: Api, name: str) -> str:
    email = name.lower().replace(" ", ".") + "@example.com"
    payload = api.ok(
        "createWorker", {"name": name, "email": email, "role": "ADMIN"}, "worker { id }"
    )
    return payload["worker"]["id"]


def test_a_deleted_workers_token_never_signs_in_as_a_new_worker(api):
    gone = worker(api, "Gone Admin")  # the newest worker: its id is the highest
    token = token_for(api.tenant_id, pk_of(gone))
    assert api.post(ME, token=token).json()["data"]["me"]["worker"]["name"] == "Gone Admin"
    api.ok("deleteWorker", {"id": gone}, "deletedId")
    fresh = worker(api, "Fresh Admin")
    assert pk_of(fresh) > pk_of(gone)
    response = api.post(ME, token=token)
    assert response.status_code == 401, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@contextmanager
def empty_database(database_url: str, tmp_path) -> Iterator[str]:
    """A database of its own, empty, of the same kind as the suite's."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'upgrade.db'}"
        return
    with own_postgres_database(database_url, f"upgrade_{os.getpid()}") as url:
        yield url


@contextmanager
def app_on(url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=url, secret_key=SECRET, redis_url=None, _env_file=None)
    with TestClient(create_app(settings)) as client:
        yield client


PROFILE = """query($id: ID!) { customer(id: $id) {
  name tags { name } workers { name } folders { folder { name } status { name } }
  parent { name } tickets { all { edges { node { subject } } } }
  timeline(first: 100) { edges { node { action } } }
} }"""
SEARCH = (
    """query($text: String!) { customers(filter: {search: $text}) { edges { node { name } } } }"""
)


def _filled(table, values: dict) -> dict:
    """`values` plus a plain value for every other column the old schema requires (NOT NULL,
    no default): the rows are written as that schema stood, without today's app."""
    row = dict(values)
    now = datetime.now(UTC)
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None:
            continue
        if column.primary_key and column.name == "id":
            continue
        try:
            kind = column.type.python_type
        except NotImplementedError:
            kind = str
        row[column.name] = {bool: False, int: 0, datetime: now, dict: {}, list: []}.get(kind, "")
    return row


def seed_old_schema(url: str) -> dict:
    """A tenant with tagged, assigned, filed customers, a sub-customer with a ticket and a
    deleted customer, written with SQL against the schema of revision 0005 (and the
    modules' first revisions): what an installation of then holds."""

    async def work():
        engine = create_async_engine(url)
        meta = MetaData()
        try:
            async with engine.begin() as conn:
                await conn.run_sync(meta.reflect)
                t = meta.tables

                async def add(table_name: str, /, **values) -> int:
                    table = t[table_name]
                    result = await conn.execute(
                        table.insert().values(_filled(table, values)).returning(table.c.id)
                    )
                    return result.scalar_one()

                tenant = await add("tenants", name="Old Co")
                owner = await add(
                    "workers", tenant_id=tenant, name="Olivia Owner", email="o@old.example",
                    role="owner",
                )  # fmt: skip
                ann = await add(
                    "workers", tenant_id=tenant, name="Ann Admin", email="a@old.example",
                    role="admin",
                )  # fmt: skip
                await conn.execute(
                    t["tenant_modules"]
                    .insert()
                    .values(
                        _filled(t["tenant_modules"], {"tenant_id": tenant, "module": "tickets"})
                    )
                )
                vip = await add("tags", tenant_id=tenant, name="VIP", color="#aa0000")
                sales = await add("folders", tenant_id=tenant, name="Sales", color="#00aa00")

                async def customer(name: str, parent: int | None = None) -> int:
                    return await add(
                        "customers", tenant_id=tenant, name=name, sort_name=name.lower(),
                        kind="LEAD", parent_id=parent, search_text=search_text(name, None, [], []),
                        phones=[], emails=[],
                    )  # fmt: skip

                ada = await customer("Ada Lovelace")
                kid = await customer("Byron Kid", ada)
                gone = await customer("Gone")
                await conn.execute(t["customers"].delete().where(t["customers"].c.id == gone))
                for action in ("customer.created", "customer.deleted"):  # the app logged both
                    await add(
                        "events", tenant_id=tenant, customer_id=gone, action=action, data={},
                        actor_id=owner,
                    )  # fmt: skip
                for name, values in (
                    ("customer_tags", {"customer_id": ada, "tag_id": vip}),
                    ("customer_workers", {"customer_id": ada, "worker_id": ann}),
                    ("customer_folders", {"customer_id": ada, "folder_id": sales}),
                ):
                    row = _filled(t[name], {"tenant_id": tenant, **values})
                    await conn.execute(t[name].insert().values(row))
                await add(
                    "tickets", tenant_id=tenant, customer_id=kid, number=1001,
                    subject="Printer on fire", status="OPEN", priority=1,
                )  # fmt: skip
                return {"tenant": tenant, "owner": owner, "ada": ada, "kid": kid, "gone": gone}
        finally:
            await engine.dispose()

    return asyncio.run(work())


def test_upgrading_an_existing_database_keeps_its_rows_links_and_search(database_url, tmp_path):
    locations = make_plugins().migration_locations()
    with empty_database(database_url, tmp_path) as url:
        migrate.upgrade(url, locations, "0005")
        for module in ("appointments", "insurance", "payments", "tickets"):
            migrate.upgrade(url, locations, f"{module}@head")
        old = seed_old_schema(url)

        migrate.upgrade(url, locations)

        with app_on(url) as client:
            api = Api(client, old["tenant"], old["owner"])
            ada, kid, gone = (gid("Customer", old[k]) for k in ("ada", "kid", "gone"))
            profile = api.query(PROFILE, id=ada)["customer"]
            assert profile["name"] == "Ada Lovelace"
            assert profile["tags"] == [{"name": "VIP"}]
            assert [w["name"] for w in profile["workers"]] == ["Ann Admin"]
            assert [f["folder"]["name"] for f in profile["folders"]] == ["Sales"]
            kid_profile = api.query(PROFILE, id=kid)["customer"]
            assert kid_profile["parent"] == {"name": "Ada Lovelace"}
            subjects = [e["node"]["subject"] for e in kid_profile["tickets"]["all"]["edges"]]
            assert subjects == ["Printer on fire"]

            found = api.query(SEARCH, text="Lovelace")["customers"]["edges"]
            assert [e["node"]["name"] for e in found] == ["Ada Lovelace"]
            api.ok("updateCustomer", {"id": kid, "name": "Byron Hopper"})
            found = api.query(SEARCH, text="Hopper")["customers"]["edges"]
            assert [e["node"]["name"] for e in found] == ["Byron Hopper"]

            fresh = api.ok("createCustomer", {"name": "Fresh"}, "customer { id }")["customer"]
            assert pk_of(fresh["id"]) > old["gone"]  # `gone` was the newest, then deleted
            timeline = api.query(PROFILE, id=fresh["id"])["customer"]["timeline"]["edges"]
            assert [e["node"]["action"] for e in timeline] == ["customer.created"]
            assert api.query(PROFILE, id=gone) == {"customer": None}
