"""The appointments module through the HTTP API: booking, double booking, transitions,
reminders, credits, lists, tenancy, the badge, merging, export, and the statement count."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx2
import pytest

from core.hookspecs import hookimpl
from schema.registry import make_plugins
from server import create_app
from tests.fixtures import new_tenant, run
from tests.support import Api, count_statements, gid, pk_of

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
TOMORROW = NOW.replace(hour=9, minute=0) + timedelta(days=1)

APPOINTMENT = """id start end status location notes prepaid creditUsed cancelReason
    reminders { minutesBefore remindAt } worker { name } customer { name }"""
PROFILE = f"""query($id: ID!, $first: Int, $after: String, $status: [AppointmentStatus!]) {{
  customer(id: $id) {{ appointments {{
    upcoming(first: $first, after: $after, status: $status) {{
      totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {APPOINTMENT} }} }}
    past(first: $first, status: $status) {{ totalCount nodes {{ id status }} }}
    next {{ id start }}
    upcomingCount credits
  }} }} }}"""
TABS = "query($id: ID!) { customer(id: $id) { profileTabs { key badgeCount } } }"


def at(hours: float, base: datetime = TOMORROW) -> str:
    return (base + timedelta(hours=hours)).isoformat()


def customer(api: Api, name: str = "Ada Lovelace") -> str:
    return api.ok("createCustomer", {"name": name}, "customer { id }")["customer"]["id"]


def worker(api: Api, name: str = "Wanda Worker", role: str = "MANAGER") -> str:
    email = f"{name.split()[0].lower()}.{role.lower()}@example.com"
    payload = api.ok("createWorker", {"name": name, "email": email, "role": role}, "worker { id }")
    return payload["worker"]["id"]


def book(api: Api, customer_id: str, worker_id: str, start: str, end: str, **more) -> dict:
    data = {"customerId": customer_id, "workerId": worker_id, "start": start, "end": end, **more}
    return api.mutate("bookAppointment", data, f"appointment {{ {APPOINTMENT} }}")


def booked(api: Api, *args, **more) -> dict:
    payload = book(api, *args, **more)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["appointment"]


def errors(payload: dict) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def status(api: Api, mutation: str, appointment_id: str, **more) -> dict:
    return api.mutate(mutation, {"id": appointment_id, **more}, "appointment { status creditUsed }")


def profile(api: Api, customer_id: str, **variables) -> dict:
    return api.query(PROFILE, id=customer_id, **variables)["customer"]["appointments"]


@pytest.fixture
def shop(api):
    api.enable("appointments")
    return api


def test_a_disabled_module_is_named_in_the_error(api):
    ada = customer(api)
    query = "query($id: ID!) { customer(id: $id) { appointments { upcomingCount } } }"
    (error,) = api.errors(query, id=ada)
    assert error["extensions"]["code"] == "MODULE_DISABLED"
    assert error["extensions"]["module"] == "appointments"


def test_book_and_read_back_with_reminders_badge_and_node(shop):
    ada, wanda = customer(shop), worker(shop)
    remind_at = at(-3)
    appointment = booked(
        shop,
        ada,
        wanda,
        at(0),
        at(1),
        location="  Room 1 ",
        notes="First visit",
        reminders=[{"minutesBefore": 30}, {"remindAt": remind_at}],
    )
    assert appointment["status"] == "BOOKED"
    assert appointment["location"] == "Room 1"
    assert appointment["worker"] == {"name": "Wanda Worker"}
    assert appointment["customer"] == {"name": "Ada Lovelace"}
    assert appointment["reminders"] == [
        {"minutesBefore": None, "remindAt": remind_at},
        {"minutesBefore": 30, "remindAt": at(-0.5)},
    ]
    later = booked(shop, ada, wanda, at(24), at(25))
    data = profile(shop, ada)
    assert [n["id"] for n in data["upcoming"]["nodes"]] == [appointment["id"], later["id"]]
    assert data["upcoming"]["totalCount"] == 2
    assert data["next"] == {"id": appointment["id"], "start": at(0)}
    assert data["upcomingCount"] == 2 and data["credits"] == 0
    assert data["past"] == {"totalCount": 0, "nodes": []}
    tabs = shop.query(TABS, id=ada)["customer"]["profileTabs"]
    assert {"key": "appointments", "badgeCount": 2} in tabs
    node = shop.query(
        "query($id: ID!) { node(id: $id) { ... on Appointment { id start status } } }",
        id=appointment["id"],
    )["node"]
    assert node == {"id": appointment["id"], "start": at(0), "status": "BOOKED"}


@pytest.mark.parametrize(
    "change,expected",
    [
        ({"end": at(0)}, [(["input", "end"], "INVALID")]),
        ({"end": at(25)}, [(["input", "end"], "TOO_LONG")]),
        (
            {"start": at(24 * 366 * 6), "end": at(24 * 366 * 6 + 1)},
            [(["input", "start"], "INVALID")],
        ),
        ({"location": "x" * 301}, [(["input", "location"], "TOO_LONG")]),
        (
            {"reminders": [{}, {"minutesBefore": 30, "remindAt": at(-1)}]},
            [(["input", "reminders", "0"], "INVALID"), (["input", "reminders", "1"], "INVALID")],
        ),
        (
            {"reminders": [{"minutesBefore": 0}, {"remindAt": at(0.5)}]},
            [
                (["input", "reminders", "0", "minutesBefore"], "INVALID"),
                (["input", "reminders", "1", "remindAt"], "INVALID"),
            ],
        ),
        (
            {"reminders": [{"minutesBefore": 60}, {"remindAt": at(-1)}]},
            [(["input", "reminders", "1"], "DUPLICATE")],
        ),
        (
            {"reminders": [{"minutesBefore": m} for m in range(1, 12)]},
            [(["input", "reminders"], "TOO_MANY")],
        ),
    ],
)
def test_bad_bookings_are_user_errors_and_write_nothing(shop, change, expected):
    ada, wanda = customer(shop), worker(shop)
    payload = book(shop, ada, wanda, **{"start": at(0), "end": at(1), **change})
    assert errors(payload) == expected
    assert payload["appointment"] is None
    assert profile(shop, ada)["upcoming"]["totalCount"] == 0


def test_unknown_and_foreign_ids_look_the_same(shop, other_api):
    ada, wanda = customer(shop), worker(shop)
    other_api.enable("appointments")
    theirs_customer, theirs_worker = customer(other_api, "Not yours"), worker(other_api)
    theirs = booked(other_api, theirs_customer, theirs_worker, at(0), at(1))
    for worker_id in (theirs_worker, gid("Worker", 999_999), "garbage"):
        payload = book(shop, ada, worker_id, at(0), at(1))
        assert errors(payload) == [(["input", "workerId"], "NOT_FOUND")]
    payload = book(shop, theirs_customer, wanda, at(0), at(1))
    assert errors(payload) == [(["input", "customerId"], "NOT_FOUND")]
    for mutation in ("confirmAppointment", "cancelAppointment", "completeAppointment"):
        assert errors(status(shop, mutation, theirs["id"])) == [(["input", "id"], "NOT_FOUND")]
    payload = shop.mutate(
        "rescheduleAppointment",
        {"id": theirs["id"], "start": at(2), "end": at(3)},
        "appointment { id }",
    )
    assert errors(payload) == [(["input", "id"], "NOT_FOUND")]
    payload = shop.mutate("buyAppointmentCredits", {"customerId": theirs_customer, "quantity": 1})
    assert errors(payload) == [(["input", "customerId"], "NOT_FOUND")]
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert shop.query(node, id=theirs["id"]) == {"node": None}
    query = """query($w: ID!, $from: DateTime!, $to: DateTime!) {
      workerAppointments(workerId: $w, from: $from, to: $to) { totalCount nodes { id } } }"""
    found = shop.query(query, w=theirs_worker, **{"from": at(-24), "to": at(24)})
    assert found["workerAppointments"] == {"totalCount": 0, "nodes": []}
    assert profile(other_api, theirs_customer)["upcoming"]["totalCount"] == 1


def test_a_worker_is_never_double_booked(shop):
    ada, bob, wanda, walt = (
        customer(shop),
        customer(shop, "Bob Brown"),
        worker(shop),
        worker(shop, "Walt Other"),
    )
    first = booked(shop, ada, wanda, at(0), at(1))
    payload = book(shop, bob, wanda, at(0.5), at(1.5))
    assert errors(payload) == [(["input", "start"], "DOUBLE_BOOKED")]
    message = payload["userErrors"][0]["message"]
    assert "Ada Lovelace" in message and "Wanda Worker" in message
    assert f"{TOMORROW:%Y-%m-%d %H:%M} to {TOMORROW + timedelta(hours=1):%H:%M} UTC" in message
    assert errors(book(shop, bob, wanda, at(-2), at(3))) == [(["input", "start"], "DOUBLE_BOOKED")]
    booked(shop, bob, wanda, at(1), at(2))  # back to back is fine
    booked(shop, bob, walt, at(0), at(1))  # another worker is free
    # Rescheduling checks too, but an appointment never clashes with itself.
    moved = shop.mutate(
        "rescheduleAppointment",
        {"id": first["id"], "start": at(1.5), "end": at(2.5)},
        "appointment { start }",
    )
    assert errors(moved) == [(["input", "start"], "DOUBLE_BOOKED")]
    moved = shop.ok(
        "rescheduleAppointment",
        {"id": first["id"], "start": at(-0.5), "end": at(0.5)},
        "appointment { start end }",
    )
    assert moved["appointment"] == {"start": at(-0.5), "end": at(0.5)}
    # Cancelling frees the slot.
    shop.ok("cancelAppointment", {"id": first["id"], "reason": "Ill"})
    booked(shop, ada, wanda, at(0), at(1))


def at_once(client, api: Api, mutation: str, inputs: list[dict]) -> list[list[str]]:
    """The error codes of `mutation` sent concurrently once per input, on the app's own
    event loop (where its engine lives), so the transactions really overlap."""
    kind = f"{mutation[0].upper()}{mutation[1:]}Input!"
    query = f"mutation($i: {kind}) {{ {mutation}(input: $i) {{ userErrors {{ code }} }} }}"
    headers = {"Authorization": f"Bearer {api.token}"}

    async def race():
        transport = httpx2.ASGITransport(app=client.app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http:
            sent = [
                http.post("/graphql", json={"query": query, "variables": {"i": i}}, headers=headers)
                for i in inputs
            ]
            return [r.json() for r in await asyncio.gather(*sent)]

    results = run(client, race)
    return sorted([e["code"] for e in r["data"][mutation]["userErrors"]] for r in results)


def test_two_bookings_at_once_do_not_both_win(shop, client):
    ada, bob, wanda = customer(shop), customer(shop, "Bob Brown"), worker(shop)
    inputs = [
        {"customerId": who, "workerId": wanda, "start": at(0), "end": at(1)} for who in (ada, bob)
    ]
    assert at_once(client, shop, "bookAppointment", inputs) == [[], ["DOUBLE_BOOKED"]]
    assert profile(shop, ada)["upcomingCount"] + profile(shop, bob)["upcomingCount"] == 1


def test_two_completions_at_once_use_the_last_credit_once(shop, client):
    ada, wanda = customer(shop), worker(shop)
    ids = [
        booked(shop, ada, wanda, at(-4 + i, NOW), at(-3.5 + i, NOW), prepaid=True)["id"]
        for i in range(2)
    ]
    shop.ok("buyAppointmentCredits", {"customerId": ada, "quantity": 1})
    inputs = [{"id": i} for i in ids]
    assert at_once(client, shop, "completeAppointment", inputs) == [[], ["NO_CREDITS"]]
    assert profile(shop, ada)["credits"] == 0


def test_status_transitions(shop):
    ada, wanda = customer(shop), worker(shop)
    ahead = booked(shop, ada, wanda, at(0), at(1))
    assert status(shop, "confirmAppointment", ahead["id"])["appointment"]["status"] == "CONFIRMED"
    again = status(shop, "confirmAppointment", ahead["id"])
    assert errors(again) == [(["input", "id"], "INVALID_TRANSITION")]
    early = status(shop, "completeAppointment", ahead["id"])
    assert errors(early) == [(["input", "id"], "INVALID_TRANSITION")]
    assert "before it starts" in early["userErrors"][0]["message"]
    moved = shop.ok(
        "rescheduleAppointment",
        {"id": ahead["id"], "start": at(2), "end": at(3)},
        "appointment { status }",
    )
    assert moved["appointment"]["status"] == "BOOKED"
    cancelled = shop.ok(
        "cancelAppointment",
        {"id": ahead["id"], "reason": "  Ill "},
        "appointment { status cancelReason }",
    )
    assert cancelled["appointment"] == {"status": "CANCELLED", "cancelReason": "Ill"}
    for mutation in ("confirmAppointment", "completeAppointment", "markAppointmentNoShow"):
        assert errors(status(shop, mutation, ahead["id"])) == [
            (["input", "id"], "INVALID_TRANSITION")
        ]
    payload = shop.mutate(
        "rescheduleAppointment",
        {"id": ahead["id"], "start": at(5), "end": at(6)},
        "appointment { id }",
    )
    assert errors(payload) == [(["input", "id"], "INVALID_TRANSITION")]

    started = booked(shop, ada, wanda, at(-2, NOW), at(-1, NOW))
    assert (
        status(shop, "markAppointmentNoShow", started["id"])["appointment"]["status"] == "NO_SHOW"
    )
    assert errors(status(shop, "completeAppointment", started["id"])) == [
        (["input", "id"], "INVALID_TRANSITION")
    ]
    data = profile(shop, ada)
    assert data["upcomingCount"] == 0 and data["next"] is None
    assert [n["status"] for n in data["past"]["nodes"]] == ["NO_SHOW"]
    cancelled_ahead = profile(shop, ada, status=["CANCELLED"])["upcoming"]["nodes"]
    assert [n["cancelReason"] for n in cancelled_ahead] == ["Ill"]


def test_credits_are_used_on_completion_and_never_go_negative(shop):
    ada, wanda = customer(shop), worker(shop)
    prepaid = booked(shop, ada, wanda, at(-5, NOW), at(-4, NOW), prepaid=True)
    plain = booked(shop, ada, wanda, at(-3, NOW), at(-2, NOW))
    refused = status(shop, "completeAppointment", prepaid["id"])
    assert errors(refused) == [(["input", "id"], "NO_CREDITS")]
    assert profile(shop, ada)["past"]["nodes"][-1]["status"] == "BOOKED"
    completed = status(shop, "completeAppointment", plain["id"])["appointment"]
    assert completed == {"status": "COMPLETED", "creditUsed": False}

    bad = shop.mutate(
        "buyAppointmentCredits",
        {"customerId": ada, "quantity": 0, "price": {"amount": -5, "currency": "eu"}},
    )
    assert errors(bad) == [
        (["input", "quantity"], "INVALID"),
        (["input", "price", "currency"], "INVALID"),
        (["input", "price", "amount"], "INVALID"),
    ]
    bought = shop.ok(
        "buyAppointmentCredits",
        {"customerId": ada, "quantity": 1, "price": {"amount": 4500, "currency": "EUR"}},
        "credits customer { appointments { credits } }",
    )
    assert bought["credits"] == 1 and bought["customer"]["appointments"]["credits"] == 1
    completed = status(shop, "completeAppointment", prepaid["id"])["appointment"]
    assert completed == {"status": "COMPLETED", "creditUsed": True}
    assert profile(shop, ada)["credits"] == 0
    third = booked(shop, ada, wanda, at(-1.5, NOW), at(-1, NOW), prepaid=True)
    assert errors(status(shop, "completeAppointment", third["id"])) == [
        (["input", "id"], "NO_CREDITS")
    ]
    assert profile(shop, ada)["credits"] == 0


def test_agents_book_but_only_managers_sell_credits(shop):
    agent_id = worker(shop, "Ann Agent", "AGENT")
    agent = Api(shop.client, shop.tenant_id, pk_of(agent_id))
    ada = customer(agent)
    booked(agent, ada, agent_id, at(0), at(1))
    query = """mutation($input: BuyAppointmentCreditsInput!) {
      buyAppointmentCredits(input: $input) { credits } }"""
    (error,) = agent.errors(query, input={"customerId": ada, "quantity": 3})
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert profile(shop, ada)["credits"] == 0


def test_customers_an_agent_may_not_see_stay_hidden(shop):
    ada, wanda = customer(shop), worker(shop)
    theirs = booked(shop, ada, wanda, at(0), at(1))
    agent_id = worker(shop, "Ann Agent", "AGENT")
    agent = Api(shop.client, shop.tenant_id, pk_of(agent_id))
    if agent.query("query($id: ID!) { customer(id: $id) { id } }", id=ada)["customer"]:
        pytest.skip("agents see every customer of the tenant")
    assert agent.query("query($id: ID!) { node(id: $id) { id } }", id=theirs["id"]) == {
        "node": None
    }
    query = """query($w: ID!, $from: DateTime!, $to: DateTime!) {
      workerAppointments(workerId: $w, from: $from, to: $to) { totalCount } }"""
    found = agent.query(query, w=wanda, **{"from": at(-1), "to": at(2)})
    assert found == {"workerAppointments": {"totalCount": 0}}
    assert errors(book(agent, ada, wanda, at(5), at(6))) == [(["input", "customerId"], "NOT_FOUND")]
    assert errors(status(agent, "cancelAppointment", theirs["id"])) == [
        (["input", "id"], "NOT_FOUND")
    ]
    own = customer(agent, "Own Customer")
    clash = book(agent, own, wanda, at(0), at(1))
    assert errors(clash) == [(["input", "start"], "DOUBLE_BOOKED")]
    message = clash["userErrors"][0]["message"]
    assert "another customer" in message and "Ada" not in message


def test_update_and_reschedule_keep_reminders_valid(shop):
    ada, wanda, walt = customer(shop), worker(shop), worker(shop, "Walt Other")
    appointment = booked(
        shop, ada, wanda, at(0), at(1), reminders=[{"minutesBefore": 60}, {"remindAt": at(-2)}]
    )
    payload = shop.mutate(
        "rescheduleAppointment",
        {"id": appointment["id"], "start": at(-3), "end": at(-2.5)},
        "appointment { id }",
    )
    assert errors(payload) == [(["input", "reminders"], "INVALID")]
    moved = shop.ok(
        "rescheduleAppointment",
        {
            "id": appointment["id"],
            "start": at(-3),
            "end": at(-2.5),
            "workerId": walt,
            "reminders": [{"minutesBefore": 15}],
        },
        "appointment { worker { name } reminders { minutesBefore remindAt } }",
    )["appointment"]
    assert moved == {
        "worker": {"name": "Walt Other"},
        "reminders": [{"minutesBefore": 15, "remindAt": at(-3.25)}],
    }
    updated = shop.ok(
        "updateAppointment",
        {"id": appointment["id"], "notes": "Bring forms", "location": None, "prepaid": True},
        "appointment { notes location prepaid reminders { minutesBefore } }",
    )["appointment"]
    assert updated == {
        "notes": "Bring forms",
        "location": None,
        "prepaid": True,
        "reminders": [{"minutesBefore": 15}],
    }
    shop.ok("cancelAppointment", {"id": appointment["id"]})
    late = shop.mutate("updateAppointment", {"id": appointment["id"], "reminders": []})
    assert errors(late) == [(["input", "reminders"], "INVALID_TRANSITION")]
    shop.ok("updateAppointment", {"id": appointment["id"], "notes": "Called to cancel"})


def test_pages_of_upcoming_and_past(shop):
    ada, wanda = customer(shop), worker(shop)
    ids = [booked(shop, ada, wanda, at(2 * i), at(2 * i + 1))["id"] for i in range(5)]
    first = profile(shop, ada, first=2)["upcoming"]
    assert [n["id"] for n in first["nodes"]] == ids[:2] and first["pageInfo"]["hasNextPage"]
    rest = profile(shop, ada, first=10, after=first["pageInfo"]["endCursor"])["upcoming"]
    assert [n["id"] for n in rest["nodes"]] == ids[2:] and not rest["pageInfo"]["hasNextPage"]
    assert rest["totalCount"] == 5
    past = [
        booked(shop, ada, wanda, at(-10 + 2 * i, NOW), at(-9 + 2 * i, NOW))["id"] for i in range(3)
    ]
    assert [n["id"] for n in profile(shop, ada)["past"]["nodes"]] == past[::-1]
    (error,) = shop.errors(PROFILE, id=ada, first=101)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    (error,) = shop.errors(PROFILE, id=ada, after="nonsense")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_worker_appointments_lists_a_range(shop):
    ada, bob, wanda = customer(shop), customer(shop, "Bob Brown"), worker(shop)
    a = booked(shop, ada, wanda, at(0), at(1))
    b = booked(shop, bob, wanda, at(3), at(4))
    booked(shop, bob, wanda, at(48), at(49))
    shop.ok("cancelAppointment", {"id": b["id"]})
    query = """query($w: ID!, $from: DateTime!, $to: DateTime!, $status: [AppointmentStatus!]) {
      workerAppointments(workerId: $w, from: $from, to: $to, status: $status) {
        totalCount nodes { id customer { name } } } }"""
    window = {"from": at(0.5), "to": at(24)}
    found = shop.query(query, w=wanda, **window)["workerAppointments"]
    assert [n["id"] for n in found["nodes"]] == [a["id"], b["id"]] and found["totalCount"] == 2
    found = shop.query(query, w=wanda, status=["BOOKED"], **window)["workerAppointments"]
    assert found["nodes"] == [{"id": a["id"], "customer": {"name": "Ada Lovelace"}}]
    (error,) = shop.errors(query, w=wanda, **{"from": at(0), "to": at(-1)})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_disable_keeps_the_data_and_enable_shows_it(shop):
    ada, wanda = customer(shop), worker(shop)
    appointment = booked(shop, ada, wanda, at(0), at(1))
    shop.ok("disableModule", {"module": "appointments"}, "modules { name }")
    query = "query($id: ID!) { customer(id: $id) { appointments { upcomingCount } } }"
    assert shop.errors(query, id=ada)[0]["extensions"]["code"] == "MODULE_DISABLED"
    shop.enable("appointments")
    assert profile(shop, ada)["next"]["id"] == appointment["id"]


def test_merging_moves_appointments_and_credits_and_export_shows_them(shop):
    ada, dupe, wanda = customer(shop), customer(shop, "Ada L."), worker(shop)
    booked(shop, ada, wanda, at(0), at(1))
    booked(shop, dupe, wanda, at(2), at(3), notes="from the duplicate")
    shop.ok("buyAppointmentCredits", {"customerId": dupe, "quantity": 3})
    shop.ok("buyAppointmentCredits", {"customerId": ada, "quantity": 2})
    shop.ok("mergeCustomers", {"sourceId": dupe, "targetId": ada})
    data = profile(shop, ada)
    assert data["upcomingCount"] == 2 and data["credits"] == 5
    export = shop.query("query($id: ID!) { customerExport(id: $id) }", id=ada)["customerExport"]
    module = export["modules"]["appointments"]
    assert [a["notes"] for a in module["appointments"]] == [None, "from the duplicate"]
    assert module["credits"]["balance"] == 5 and len(module["credits"]["entries"]) == 2


LIST_PAGE = f"""query($n: Int) {{ customers(first: $n) {{ nodes {{ name
  profileTabs {{ key badgeCount }}
  appointments {{ upcomingCount credits next {{ start }}
    upcoming(first: 5) {{ totalCount nodes {{ {APPOINTMENT} }} }} }} }} }} }}"""


def test_a_page_of_12_costs_the_statements_of_a_page_of_3(shop, engine):
    # 12 against 3 shows a count that does not grow with the page as well as 50 against 5
    # would (no batch size or cut-off below 12 on this path), with a quarter of the rows.
    workers = [worker(shop, f"W{i} Worker") for i in range(2)]
    names = [{"name": f"Customer {i:02}"} for i in range(12)]
    ids = [p["customer"]["id"] for p in shop.many("createCustomer", names, "customer { id }")]
    bookings = [
        {
            "customerId": customer_id,
            "workerId": workers[j],
            "start": at(i * 2 + j + 100),
            "end": at(i * 2 + j + 100.5),
            "reminders": [{"minutesBefore": 10}],
        }
        for i, customer_id in enumerate(ids)
        for j in range(2)
    ]
    shop.many("bookAppointment", bookings)
    purchases = [{"customerId": c, "quantity": 2} for c in ids[::3]]
    shop.many("buyAppointmentCredits", purchases)
    shop.query(LIST_PAGE, n=1)  # the token's first request
    with count_statements(engine) as small:
        shop.query(LIST_PAGE, n=3)
    with count_statements(engine) as large:
        data = shop.query(LIST_PAGE, n=12)
    nodes = data["customers"]["nodes"]
    assert len(nodes) == 12
    assert all(n["appointments"]["upcoming"]["totalCount"] == 2 for n in nodes)
    assert all({"key": "appointments", "badgeCount": 2} in n["profileTabs"] for n in nodes)
    assert small.count == large.count, (small.statements, large.statements)


class Recorder:
    """An always-on plugin that sees every event."""

    def __init__(self):
        self.seen: list[tuple[str, dict]] = []

    @hookimpl
    def hub_handle_event(self, session, event):
        self.seen.append((event.name, event.data))


@pytest.fixture(scope="module")
def recorded(settings):
    from starlette.testclient import TestClient

    recorder = Recorder()
    with TestClient(create_app(settings, make_plugins(extra=[recorder]))) as client:
        yield recorder, new_tenant(client)


def test_writes_emit_events(recorded):
    recorder, api = recorded
    api.enable("appointments")
    ada, wanda = customer(api), worker(api)
    recorder.seen.clear()
    appointment = booked(api, ada, wanda, at(-2, NOW), at(-1, NOW))
    status(api, "completeAppointment", appointment["id"])
    other = booked(api, ada, wanda, at(0), at(1))
    status(api, "cancelAppointment", other["id"], reason="Ill")
    api.ok("buyAppointmentCredits", {"customerId": ada, "quantity": 2})
    names = [name for name, _ in recorder.seen]
    assert names == [
        "appointment.booked",
        "appointment.completed",
        "appointment.booked",
        "appointment.cancelled",
        "appointment.credits_bought",
    ]
    assert recorder.seen[1][1]["creditUsed"] is False
    assert recorder.seen[3][1]["reason"] == "Ill"
    assert recorder.seen[4][1] == {"quantity": 2, "balance": 2}
