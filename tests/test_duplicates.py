"""Duplicate customers: identities kept by every write, warnings and the BLOCK policy on
create and update, and the `possibleDuplicates` cleanup list."""

import asyncio

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import create_async_engine

from core import identities, migrate
from core.models import CustomerIdentity
from schema.registry import make_plugins
from tests.fixtures import run
from tests.support import Api, as_worker, create_customer, create_worker, pk_of
from tests.test_ids import _filled, app_on, empty_database


def lookup(api: Api, kind: str, values: list) -> dict:
    async def work():
        async with api.client.app.state.db.transaction(api.tenant_id) as session:
            return await identities.lookup(session, api.tenant_id, kind, values)

    return run(api.client, work)


def test_normalize():
    assert identities.normalize("EMAIL", "  Ada@Example.COM ") == "ada@example.com"
    assert identities.normalize("EMAIL", "not an email") is None
    assert identities.normalize("PHONE", "+1 (555) 010-2000") == "550102000"
    assert identities.normalize("PHONE", "15550102000") == "550102000"
    assert identities.normalize("PHONE", "12-34") is None
    assert identities.normalize("NAME_CITY", ("Ánna  Berg", "OSLO")) == "anna berg|oslo"
    assert identities.normalize("NAME_CITY", ("Berg, Anna", "oslo")) == "anna berg|oslo"
    assert identities.normalize("NAME_CITY", ("Anna Berg", None)) is None


def test_identities_follow_every_write(api, other_api):
    ada = create_customer(
        api,
        "Ada Lovelace",
        city="London",
        emails=[{"value": "ada@example.com"}],
        phones=[{"value": "+1 (555) 010-2000"}],
    )
    create_customer(other_api, "Ada Lovelace", emails=[{"value": "ada@example.com"}])
    assert lookup(api, "EMAIL", ["ADA@example.com ", "nobody@example.com"]) == {
        "ADA@example.com ": [pk_of(ada)]
    }
    assert lookup(api, "PHONE", ["15550102000"]) == {"15550102000": [pk_of(ada)]}
    assert lookup(api, "NAME_CITY", [("lovelace ada", "london")]) == {
        ("lovelace ada", "london"): [pk_of(ada)]
    }

    api.ok(
        "updateCustomer",
        {"id": ada, "emails": [{"value": "countess@example.com"}], "city": "Paris"},
    )
    assert lookup(api, "EMAIL", ["ada@example.com"]) == {}
    assert lookup(api, "EMAIL", ["countess@example.com"]) == {"countess@example.com": [pk_of(ada)]}
    assert lookup(api, "NAME_CITY", [("Ada Lovelace", "London")]) == {}
    assert lookup(api, "PHONE", ["555 010 2000"]) == {"555 010 2000": [pk_of(ada)]}

    kid = api.ok(
        "createSubCustomer",
        {"parentId": ada, "name": "Ada Jr", "emails": [{"value": "countess@example.com"}]},
        "customer { id }",
    )["customer"]["id"]
    assert lookup(api, "EMAIL", ["countess@example.com"]) == {
        "countess@example.com": sorted([pk_of(ada), pk_of(kid)])
    }
    api.ok("mergeCustomers", {"sourceId": kid, "targetId": ada})
    assert lookup(api, "EMAIL", ["countess@example.com"]) == {"countess@example.com": [pk_of(ada)]}
    api.ok("deleteCustomer", {"id": ada})
    assert lookup(api, "PHONE", ["15550102000"]) == {}


def test_lookup_is_an_index_probe(api):
    create_customer(api, "Probe", emails=[{"value": "probe@example.com"}])
    statement = (
        select(CustomerIdentity.value, CustomerIdentity.customer_id)
        .where(
            CustomerIdentity.tenant_id == api.tenant_id,
            CustomerIdentity.kind == "EMAIL",
            CustomerIdentity.value.in_(["probe@example.com", "x@example.com"]),
        )
        .order_by(CustomerIdentity.value, CustomerIdentity.customer_id)
    )

    async def work():
        async with api.client.app.state.db.transaction(api.tenant_id) as session:
            conn = await session.connection()
            compiled = statement.compile(conn, compile_kwargs={"literal_binds": True})
            if conn.dialect.name == "sqlite":
                rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
            else:
                await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                rows = await conn.exec_driver_sql(f"EXPLAIN {compiled}")
            return " ".join(str(r[-1]) for r in rows)

    plan = run(api.client, work)
    assert "ix_customer_identities_tenant_id_kind_value_customer_id" in plan, plan
    assert "SCAN customer_identities" not in plan and "Seq Scan" not in plan, plan


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection")
def test_the_migration_fills_identities_of_existing_customers(database_url, tmp_path):
    locations = make_plugins().migration_locations()
    with empty_database(database_url, tmp_path) as url:
        migrate.upgrade(url, locations, "0011_standard_fields")

        async def seed():
            engine = create_async_engine(url)
            meta = MetaData()
            try:
                async with engine.begin() as conn:
                    await conn.run_sync(meta.reflect, only=["tenants", "customers"])
                    t = meta.tables
                    tenant = (
                        await conn.execute(
                            t["tenants"].insert().values(_filled(t["tenants"], {"name": "Old"}))
                        )
                    ).inserted_primary_key[0]
                    ids = []
                    for n in range(3):
                        values = {
                            "tenant_id": tenant, "name": f"Old {n}", "sort_name": f"old {n}",
                            "kind": "LEAD", "city": "Oslo", "search_text": "",
                            "emails": [{"value": "same@old.example", "primary": True}],
                            "phones": [{"value": f"+47 22 00 00 0{n}", "primary": True}],
                        }  # fmt: skip
                        row = t["customers"].insert().values(_filled(t["customers"], values))
                        ids.append((await conn.execute(row)).inserted_primary_key[0])
                    return tenant, ids
            finally:
                await engine.dispose()

        tenant, ids = asyncio.run(seed())
        migrate.upgrade(url, locations)
        with app_on(url) as client:
            api = Api(client, tenant, 0)
            assert lookup(api, "EMAIL", ["same@old.example"]) == {"same@old.example": ids}
            assert lookup(api, "PHONE", ["22000001"]) == {}
            assert lookup(api, "PHONE", ["4722000001"]) == {"4722000001": [ids[1]]}
            assert lookup(api, "NAME_CITY", [("old 2", "oslo")]) == {("old 2", "oslo"): [ids[2]]}


DUPES = "customer { id } duplicates { customer { id name } reasons matchedValues }"
GROUPS = """query($first: Int, $after: String) { possibleDuplicates(first: $first, after: $after) {
  groups { reason value customers { id } cursor } hasNextPage endCursor } }"""


def set_policy(api: Api, policy: str) -> None:
    api.ok("updateTenantSettings", {"duplicatePolicy": policy}, "tenant { duplicatePolicy }")


def test_the_same_email_twice_is_written_with_a_warning(api, other_api):
    create_customer(other_api, "Elsewhere", emails=[{"value": "ada@example.com"}])
    first = api.ok(
        "createCustomer", {"name": "Ada", "emails": [{"value": "ada@example.com"}]}, DUPES
    )
    assert first["duplicates"] == []  # another tenant's customer is no duplicate
    second = api.ok(
        "createCustomer", {"name": "A. Lovelace", "emails": [{"value": " ADA@example.com"}]}, DUPES
    )
    assert second["customer"]["id"]
    assert second["duplicates"] == [
        {
            "customer": {"id": first["customer"]["id"], "name": "Ada"},
            "reasons": ["EMAIL"],
            "matchedValues": ["ada@example.com"],
        }
    ]
    total = api.query("{ customers { totalCount } }")["customers"]["totalCount"]
    assert total == 2


def test_phone_digits_and_name_with_city_match(api):
    one = create_customer(api, "Anna Berg", city="Oslo", phones=[{"value": "+1 (555) 010-2000"}])
    found = api.ok(
        "createCustomer",
        {"name": "Berg, Anna", "city": "OSLO", "phones": [{"value": "15550102000"}]},
        DUPES,
    )["duplicates"]
    assert [(d["customer"]["id"], sorted(d["reasons"])) for d in found] == [
        (one, ["NAME_CITY", "PHONE"])
    ]
    assert sorted(found[0]["matchedValues"]) == ["550102000", "anna berg|oslo"]


def test_an_update_warns_only_about_what_it_added(api):
    ada = create_customer(api, "Ada", emails=[{"value": "ada@example.com"}])
    twin = create_customer(api, "Ada twin", emails=[{"value": "ada@example.com"}])
    assert api.ok("updateCustomer", {"id": twin, "notes": "x"}, DUPES)["duplicates"] == []
    bob = create_customer(api, "Bob")
    found = api.ok("updateCustomer", {"id": bob, "emails": [{"value": "ada@example.com"}]}, DUPES)[
        "duplicates"
    ]
    assert sorted(d["customer"]["id"] for d in found) == sorted([ada, twin])


def test_block_refuses_and_writes_nothing(api):
    ada = create_customer(api, "Ada", emails=[{"value": "ada@example.com"}])
    set_policy(api, "BLOCK")
    payload = api.mutate(
        "createCustomer", {"name": "Ada again", "emails": [{"value": "ada@example.com"}]}, DUPES
    )
    assert payload["customer"] is None
    assert [e["code"] for e in payload["userErrors"]] == ["DUPLICATE"]
    assert [d["customer"]["id"] for d in payload["duplicates"]] == [ada]
    assert api.query("{ customers { totalCount } }")["customers"]["totalCount"] == 1
    bob = create_customer(api, "Bob", emails=[{"value": "bob@example.com"}])
    refused = api.mutate("updateCustomer", {"id": bob, "emails": [{"value": "ada@example.com"}]})
    assert [e["code"] for e in refused["userErrors"]] == ["DUPLICATE"]
    assert lookup(api, "EMAIL", ["bob@example.com"]) == {"bob@example.com": [pk_of(bob)]}

    forced = api.ok(
        "createCustomer",
        {"name": "Ada again", "emails": [{"value": "ada@example.com"}], "allowDuplicate": True},
        DUPES,
    )
    assert [d["customer"]["id"] for d in forced["duplicates"]] == [ada]
    agent = as_worker(api, create_worker(api, "Agnes Agent"))
    refused = agent.mutate(
        "createCustomer",
        {"name": "Ada thrice", "emails": [{"value": "ada@example.com"}], "allowDuplicate": True},
        DUPES,
    )
    assert [e["code"] for e in refused["userErrors"]] == ["DUPLICATE"]
    assert refused["duplicates"] == []  # the agent sees neither Ada


def test_a_sub_customer_is_no_duplicate_of_its_parent(api):
    parent = create_customer(api, "Parent", phones=[{"value": "+47 22 33 44 55"}])
    child = api.ok(
        "createSubCustomer", {"parentId": parent, "name": "Child"}, DUPES
    )  # copies the phones
    assert child["duplicates"] == []


def test_possible_duplicates_pages_groups_of_visible_customers(api, other_api):
    a = create_customer(api, "A", emails=[{"value": "same@example.com"}])
    b = create_customer(api, "B", emails=[{"value": "same@example.com"}])
    c = create_customer(api, "C", city="Rome", phones=[{"value": "555 123 456"}])
    d = create_customer(api, "C", city="rome", phones=[{"value": "+39 555 123 456"}])
    create_customer(api, "Alone", emails=[{"value": "alone@example.com"}])
    create_customer(other_api, "Foreign", emails=[{"value": "same@example.com"}])
    seen, after = [], None
    while True:
        page = api.query(GROUPS, first=1, after=after)["possibleDuplicates"]
        seen += [
            (g["reason"], g["value"], [x["id"] for x in g["customers"]]) for g in page["groups"]
        ]
        if not page["hasNextPage"]:
            break
        after = page["endCursor"]
    assert seen == [
        ("EMAIL", "same@example.com", [a, b]),
        ("NAME_CITY", "c|rome", [c, d]),
        ("PHONE", "555123456", [c, d]),
    ]
    agent_id = create_worker(api, "Agnes Agent")
    api.ok("assignWorkers", {"customerId": a, "workerIds": [agent_id]})
    agent = as_worker(api, agent_id)
    assert agent.query(GROUPS)["possibleDuplicates"]["groups"] == []
    api.ok("assignWorkers", {"customerId": b, "workerIds": [agent_id]})
    groups = agent.query(GROUPS)["possibleDuplicates"]["groups"]
    assert [(g["value"], len(g["customers"])) for g in groups] == [("same@example.com", 2)]
    assert other_api.query(GROUPS)["possibleDuplicates"]["groups"] == []
