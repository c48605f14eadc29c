"""Contact people of a customer through the API: add, change, make primary, remove; at most one
primary, also under concurrent requests; search by a contact finds the customer; events on
the timeline; permissions, visibility and tenancy; merge; the cost of a list page."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, text

from core.demo import seed_demo
from tests.fixtures import run
from tests.support import Api, count_statements, gid, pk_of
from tests.test_access import api_id, worker

pytestmark = pytest.mark.seeded_demo  # the demo is in the databases from the start

CONTACT = "id name email phone jobTitle department primary"
CONTACTS = """
query($id: ID!) { customer(id: $id) {
  version contacts { id name email phone primary } primaryContact { name }
} }"""


def company(api: Api, name: str = "Northwind Traders", **fields) -> str:
    return api.ok("createCustomer", {"name": name, **fields}, "customer { id }")["customer"]["id"]


def add(api: Api, customer_id: str, name: str, **fields) -> dict:
    selection = f"contact {{ {CONTACT} }} customer {{ id name version }}"
    return api.mutate("addContact", {"customerId": customer_id, "name": name, **fields}, selection)


def added(api: Api, customer_id: str, name: str, **fields) -> dict:
    payload = add(api, customer_id, name, **fields)
    assert payload["userErrors"] == [], payload["userErrors"]
    return {**payload["contact"], "customer": payload["customer"]}


def contacts(api: Api, customer_id: str) -> dict:
    return api.query(CONTACTS, id=customer_id)["customer"]


def problems(payload: dict) -> list[tuple[str, str]]:
    return sorted((".".join(e["field"]), e["code"]) for e in payload["userErrors"])


def searched(api: Api, term: str) -> list[str]:
    query = "query($s: String) { customers(filter: {search: $s}) { totalCount nodes { name } } }"
    found = api.query(query, s=term)["customers"]
    assert found["totalCount"] == len(found["nodes"])
    return sorted(n["name"] for n in found["nodes"])


def timeline(api: Api, customer_id: str) -> list[tuple[str, str]]:
    query = "query($id: ID!) { customer(id: $id) { timeline(first: 20) { nodes { %s } } } }"
    entries = api.query(query % "action summary", id=customer_id)["customer"]["timeline"]["nodes"]
    return [(e["action"], e["summary"]) for e in entries]


def test_add_change_and_remove_contacts(api):
    acme = company(api)
    before = contacts(api, acme)["version"]
    anna = added(
        api,
        acme,
        "  Anna Berg ",
        email="Anna@Northwind.Example",
        phone="+49 30 1234567",
        jobTitle="Head of Purchasing",
        department="Purchasing",
    )
    assert anna == {
        "id": anna["id"],
        "name": "Anna Berg",
        "email": "anna@northwind.example",
        "phone": "+49 30 1234567",
        "jobTitle": "Head of Purchasing",
        "department": "Purchasing",
        "primary": True,  # the first contact of a customer without a primary
        "customer": {
            "id": acme,
            "name": "Northwind Traders",
            "version": anna["customer"]["version"],
        },
    }
    assert anna["customer"]["version"] > before
    bob = added(api, acme, "Bob Stone")
    assert bob["primary"] is False
    read = contacts(api, acme)
    assert [c["name"] for c in read["contacts"]] == ["Anna Berg", "Bob Stone"]
    assert read["primaryContact"] == {"name": "Anna Berg"}
    assert read["version"] > before

    changed = api.mutate(
        "updateContact",
        {"id": bob["id"], "email": "bob@northwind.example", "department": None, "name": "Bob S."},
        f"contact {{ {CONTACT} }}",
    )
    assert changed["userErrors"] == []
    assert changed["contact"]["email"] == "bob@northwind.example"
    assert changed["contact"]["name"] == "Bob S."
    node = api.query(
        "query($id: ID!) { node(id: $id) { ... on CustomerContact { name } } }", id=bob["id"]
    )["node"]
    assert node == {"name": "Bob S."}

    removed = api.mutate(
        "removeContact", {"id": anna["id"]}, "removedContactId customer { contacts { name } }"
    )
    assert removed["removedContactId"] == anna["id"]
    assert removed["customer"]["contacts"] == [{"name": "Bob S."}]
    assert contacts(api, acme)["primaryContact"] is None
    again = api.mutate("removeContact", {"id": anna["id"]}, "removedContactId")
    assert again["removedContactId"] is None and problems(again) == [("input.id", "NOT_FOUND")]


def test_at_most_one_primary_and_the_primary_comes_first(api):
    acme = company(api)
    anna = added(api, acme, "Anna")
    bob = added(api, acme, "Bob", primary=True)
    carl = added(api, acme, "Carl", primary=False)
    read = contacts(api, acme)
    assert [(c["name"], c["primary"]) for c in read["contacts"]] == [
        ("Bob", True),
        ("Anna", False),
        ("Carl", False),
    ]
    made = api.mutate("setPrimaryContact", {"id": carl["id"]}, "contact { primary }")
    assert made["contact"] == {"primary": True}
    assert [c["primary"] for c in contacts(api, acme)["contacts"]] == [True, False, False]
    assert contacts(api, acme)["primaryContact"] == {"name": "Carl"}
    api.ok("updateContact", {"id": carl["id"], "primary": False})
    assert not any(c["primary"] for c in contacts(api, acme)["contacts"])
    # With no primary, the next contact added becomes it unless told otherwise.
    assert added(api, acme, "Dora")["primary"] is True
    assert {anna["id"], bob["id"]} <= {c["id"] for c in contacts(api, acme)["contacts"]}


def test_concurrent_primaries_leave_exactly_one(api):
    acme = company(api)
    people = [added(api, acme, f"Person {n}", primary=False) for n in range(8)]

    def make_primary(contact):
        return api.mutate("setPrimaryContact", {"id": contact["id"]}, "contact { id }")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(make_primary, people))
    assert all(r["userErrors"] == [] for r in results)
    assert sum(c["primary"] for c in contacts(api, acme)["contacts"]) == 1

    def add_primary(n):
        return add(api, acme, f"Racer {n}", primary=True)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(add_primary, range(8)))
    assert all(r["userErrors"] == [] for r in results)
    read = contacts(api, acme)["contacts"]
    assert len(read) == 16 and sum(c["primary"] for c in read) == 1
    assert read[0]["primary"] and read[0]["name"].startswith("Racer")


def test_validation_errors_are_user_errors_and_write_nothing(api):
    acme = company(api)
    bad = add(api, acme, " ", email="not-an-email", phone="call me", department="d" * 101)
    assert bad["contact"] is None
    assert problems(bad) == [
        ("input.department", "TOO_LONG"),
        ("input.email", "INVALID"),
        ("input.name", "REQUIRED"),
        ("input.phone", "INVALID"),
    ]
    anna = added(api, acme, "Anna")
    cleared = api.mutate("updateContact", {"id": anna["id"], "name": None}, "contact { id }")
    assert problems(cleared) == [("input.name", "REQUIRED")]
    unknown = add(api, gid("Customer", 999_999), "Ghost")
    assert problems(unknown) == [("input.customerId", "NOT_FOUND")]
    assert [c["name"] for c in contacts(api, acme)["contacts"]] == ["Anna"]


def test_search_by_a_contact_finds_the_company(api):
    acme = company(api)
    company(api, "Globex")
    anna = added(api, acme, "Anneliese Quixote", email="aq@northwind.example", phone="030 555 0199")
    assert searched(api, "quixote") == ["Northwind Traders"]
    assert searched(api, "aq@northwind") == ["Northwind Traders"]
    assert searched(api, "0305550199") == ["Northwind Traders"]
    api.ok("updateContact", {"id": anna["id"], "name": "Anneliese Zebulon"})
    assert searched(api, "quixote") == []
    assert searched(api, "zebulon") == ["Northwind Traders"]
    api.ok("updateCustomer", {"id": acme, "city": "Berlin"})  # the customer's own edit keeps it
    assert searched(api, "zebulon") == ["Northwind Traders"]
    api.ok("removeContact", {"id": anna["id"]})
    assert searched(api, "zebulon") == []


def test_contact_events_show_on_the_timeline(api):
    acme = company(api)
    anna = added(api, acme, "Anna Berg")
    bob = added(api, acme, "Bob Stone")
    api.ok("updateContact", {"id": bob["id"], "jobTitle": "CFO"})
    api.ok("setPrimaryContact", {"id": bob["id"]})
    api.ok("removeContact", {"id": anna["id"]})
    assert timeline(api, acme)[:7] == [
        ("customer.contact_removed", "Olivia Owner removed the contact Anna Berg"),
        ("customer.primary_contact_changed", "Olivia Owner made Bob Stone the primary contact"),
        ("customer.contact_updated", "Olivia Owner changed the contact Bob Stone"),
        ("customer.contact_added", "Olivia Owner added the contact Bob Stone"),
        ("customer.primary_contact_changed", "Olivia Owner made Anna Berg the primary contact"),
        ("customer.contact_added", "Olivia Owner added the contact Anna Berg"),
        ("customer.created", "Olivia Owner created the customer"),
    ]


def test_an_agent_without_edit_rights_is_forbidden_and_nothing_is_written(api):
    agent = worker(api, "Ann Agent", "AGENT")
    mine = company(api, "Assigned Co", workerIds=[api_id(agent)])
    hidden = company(api, "Hidden Co")
    contact = added(api, mine, "Anna")
    secret = added(api, hidden, "Secret Person")
    # Visibility: another customer's contact looks unknown, and so does search through it.
    assert problems(add(agent, hidden, "Intruder")) == [("input.customerId", "NOT_FOUND")]
    sneaky = agent.mutate("updateContact", {"id": secret["id"], "name": "X"}, "contact { id }")
    assert problems(sneaky) == [("input.id", "NOT_FOUND")]
    node = agent.query("query($id: ID!) { node(id: $id) { id } }", id=secret["id"])
    assert node["node"] is None
    assert searched(agent, "secret person") == []
    assert added(agent, mine, "Agent's pick")["name"] == "Agent's pick"
    # Permission: without customers.edit every contact write is FORBIDDEN.
    api.ok("setRolePermission", {"role": "AGENT", "permission": "customers.edit", "granted": False})
    query = "mutation($id: ID!) { setPrimaryContact(input: {id: $id}) { contact { id } } }"
    errors = agent.errors(query, id=contact["id"])
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]
    errors = agent.errors(
        'mutation($c: ID!) { addContact(input: {customerId: $c, name: "N"}) { contact { id } } }',
        c=mine,
    )
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]
    assert [c["name"] for c in contacts(api, mine)["contacts"]] == ["Anna", "Agent's pick"]


def test_another_tenants_contacts_are_unknown(api, other_api):
    acme = company(api)
    anna = added(api, acme, "Anna")
    assert problems(add(other_api, acme, "X")) == [("input.customerId", "NOT_FOUND")]
    for name in ("updateContact", "setPrimaryContact", "removeContact"):
        payload = other_api.mutate(name, {"id": anna["id"]}, "__typename")
        assert problems(payload) == [("input.id", "NOT_FOUND")], name
    assert (
        other_api.query("query($id: ID!) { node(id: $id) { id } }", id=anna["id"])["node"] is None
    )
    assert [c["name"] for c in contacts(api, acme)["contacts"]] == ["Anna"]


def test_merge_moves_contacts_and_the_target_keeps_its_primary(api):
    source = company(api, "Northwind (old)")
    target = company(api, "Northwind")
    added(api, source, "Sam Source")
    added(api, source, "Sue Source")
    added(api, target, "Tina Target")
    api.ok("mergeCustomers", {"sourceId": source, "targetId": target})
    read = contacts(api, target)
    assert [(c["name"], c["primary"]) for c in read["contacts"]] == [
        ("Tina Target", True),
        ("Sam Source", False),
        ("Sue Source", False),
    ]
    assert searched(api, "sue source") == ["Northwind"]
    lonely = company(api, "No contacts")
    other = company(api, "Has a primary")
    added(api, other, "Pia Primary")
    api.ok("mergeCustomers", {"sourceId": other, "targetId": lonely})
    assert contacts(api, lonely)["primaryContact"] == {"name": "Pia Primary"}


def test_export_lists_the_contacts(api):
    acme = company(api)
    added(api, acme, "Anna", email="anna@example.com")
    data = api.query("query($id: ID!) { customerExport(id: $id) }", id=acme)["customerExport"]
    assert [(c["name"], c["email"], c["is_primary"]) for c in data["contacts"]] == [
        ("Anna", "anna@example.com", True)
    ]


PAGE = """
query($first: Int) { customers(first: $first) { nodes {
  id name contacts { name primary } primaryContact { name }
  billingAddress { city country } shippingAddress { city }
  payment { method } communication { doNotContact email { allowed } }
} } }"""


def test_a_page_of_12_costs_what_a_page_of_3_does(api, engine):
    # 12 against 3 shows a count that does not grow with the page as well as 50 against 5
    # would (no batch size or cut-off below 12 on this path), with a quarter of the rows.
    address = {"line1": "Main St 1", "city": "Springfield", "country": "US"}
    names = [{"name": f"Company {n:02d}", "billingAddress": address} for n in range(12)]
    ids = [p["customer"]["id"] for p in api.many("createCustomer", names, "customer { id }")]
    people = [{"customerId": c, "name": f"Person {n}"} for n, c in enumerate(ids) if n % 5 == 0]
    api.many("addContact", people)
    api.query(PAGE, first=3)  # warm-up
    costs = {}
    for size in (3, 12):
        with count_statements(engine) as counter:
            nodes = api.query(PAGE, first=size)["customers"]["nodes"]
        assert len(nodes) == size
        costs[size] = counter.count
    assert costs[3] == costs[12], costs
    with_contacts = [n for n in nodes if n["contacts"]]
    assert len(with_contacts) == 3
    assert all(n["primaryContact"] == {"name": n["contacts"][0]["name"]} for n in with_contacts)
    assert all(n["billingAddress"] == {"city": "Springfield", "country": "US"} for n in nodes)


def test_contacts_and_addresses_cost_the_profile_no_statement(api, engine):
    acme = company(api, billingAddress={"line1": "Main St 1", "country": "US"})
    added(api, acme, "Anna")
    plain = "query($id: ID!) { customer(id: $id) { name tags { name } } }"
    rich = (
        "query($id: ID!) { customer(id: $id) { name tags { name } contacts { name } "
        "primaryContact { name } billingAddress { country } shippingAddress { country } } }"
    )
    costs = []
    for query in (plain, rich):
        api.query(query, id=acme)
        with count_statements(engine) as counter:
            api.query(query, id=acme)
        costs.append(counter.count)
    assert costs[0] == costs[1], costs


def test_the_contact_id_is_of_its_own_type(api):
    acme = company(api)
    anna = added(api, acme, "Anna")
    assert pk_of(anna["id"]) > 0
    wrong = api.mutate("updateContact", {"id": acme, "name": "X"}, "contact { id }")
    assert problems(wrong) == [("input.id", "NOT_FOUND")]


def test_the_demo_has_standard_fields_and_contacts(client):
    tenant_id, admin_id = run(
        client, lambda: seed_demo(client.app.state.db, client.app.state.plugins)
    )
    admin = Api(client, tenant_id, admin_id)
    nodes = admin.query(
        "{ customers(first: 100) { nodes { name company website industry jobTitle "
        "billingAddress { country } payment { method } communication { email { status } } "
        "contacts { name email primary } } } }"
    )["customers"]["nodes"]
    with_contacts = [n for n in nodes if n["contacts"]]
    assert len(with_contacts) >= 10
    assert all(sum(c["primary"] for c in n["contacts"]) == 1 for n in with_contacts)
    assert all(n["company"] for n in with_contacts)
    assert sum(bool(n["website"]) for n in nodes) >= 30
    assert sum(bool(n["billingAddress"]) for n in nodes) >= 30
    assert {n["payment"]["method"] for n in nodes} > {None}
    assert {n["communication"]["email"]["status"] for n in nodes} >= {"OPTED_IN", "OPTED_OUT"}
    person = with_contacts[0]["contacts"][-1]
    assert with_contacts[0]["name"] in searched(admin, person["email"])


def test_search_by_a_contact_uses_the_trigram_index_in_a_big_tenant(api, client, engine):
    """PostgreSQL, 5,000 customers whose contacts are in their search text, analysed, with
    sequential scans priced out as in a big tenant (tests/test_profile.py): a contact's name
    is found through the trigram index on the search text (whether the lookup takes it or
    the tenant's index depends on the planner's estimates, as for any term: docs/development.md
    "Search"), and no statement of the search page scans `customers`. The filler rows go
    afterwards, so other tests' plans see the statistics they expect."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner")

    async def grow():
        async with client.app.state.db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO customers (tenant_id, kind, name, sort_name, search_text, "
                    "contact_search_text, phones, emails, custom_fields, blocked, version, "
                    "created_at, updated_at) "
                    "SELECT :tenant, 'CUSTOMER', 'Firm ' || n, 'firm ' || n, "
                    "'firm ' || n || ' person ' || n, 'person ' || n, '[]', '[]', '{}', false, "
                    "1, now(), now() FROM generate_series(1, 5000) n"
                ),
                {"tenant": api.tenant_id},
            )
            await session.execute(text("ANALYZE customers"))

    run(client, grow)
    acme = company(api)
    added(api, acme, "Xylia Quimbleton")
    captured: list[tuple[str, tuple]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, tuple(parameters or ())))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        assert searched(api, "quimbleton") == ["Northwind Traders"]
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)

    async def plans() -> list[str]:
        async with client.app.state.db.read() as conn:
            await conn.exec_driver_sql("SET enable_seqscan = off")  # as at a million rows
            lookup = await conn.execute(
                text(
                    "EXPLAIN SELECT c.id FROM customers c "
                    "WHERE c.search_text LIKE '%quimbleton%' LIMIT 1001"
                )
            )
            found = ["\n".join(r[0] for r in lookup)]
            for statement, parameters in captured:
                rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
                found.append("\n".join(r[0] for r in rows))
            await conn.exec_driver_sql("RESET enable_seqscan")
            return found

    async def shrink():
        async with client.app.state.db.transaction() as session:
            await session.execute(
                text("DELETE FROM customers WHERE tenant_id = :tenant AND name LIKE 'Firm %'"),
                {"tenant": api.tenant_id},
            )
            await session.execute(text("ANALYZE customers"))

    try:
        lookup, *page = run(client, plans)
    finally:
        run(client, shrink)
    assert "ix_customers_search_trgm" in lookup, lookup
    assert captured and not [p for p in page if "Seq Scan on customers" in p], page
