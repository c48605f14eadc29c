"""The reservations module through the HTTP API: resources, capacity and opening hours,
transitions, idempotency, tenancy, visibility on the calendar, the badge, merging, erasing,
export, events on the timeline, and the statement count of a list page."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support import Api, as_worker, count_statements, create_customer, create_worker

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
# a Monday more than a week ahead: every test's future reservations fall on it
MONDAY = NOW.date() + timedelta(days=7 + (7 - NOW.weekday()) % 7)
EVERY_DAY = [
    {"weekday": day, "opens": "00:00", "closes": "00:00"}
    for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
]
RESERVATION = """id start end partySize note status version cancelReason
    resource { name } customer { name } createdBy { name }"""
RESOURCE = "id name kind capacity active version openingHours { weekday opens closes }"


def at(hour: float, day: date = MONDAY) -> str:
    return (datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hour)).isoformat()


def resource(api: Api, name: str = "Table 4", capacity: int = 2, hours=None, **more) -> str:
    data = {"name": name, "capacity": capacity, "openingHours": hours or EVERY_DAY, **more}
    made = api.ok("createReservationResource", data, "resource { id }")
    return made["resource"]["id"]


def reserve(api: Api, customer_id: str, resource_id: str, start, end, **more) -> dict:
    data = {"customerId": customer_id, "resourceId": resource_id, "start": start, "end": end}
    return api.mutate("createReservation", {**data, **more}, f"reservation {{ {RESERVATION} }}")


def reserved(api: Api, *args, **more) -> dict:
    payload = reserve(api, *args, **more)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["reservation"]


def codes(payload: dict) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def move(api: Api, mutation: str, reservation_id: str, **more) -> dict:
    return api.mutate(mutation, {"id": reservation_id, **more}, "reservation { status version }")


PROFILE = """query($id: ID!, $status: [ReservationStatus!], $from: DateTime, $to: DateTime) {
  customer(id: $id) { reservations { upcomingCount
    all(status: $status, from: $from, to: $to) { totalCount nodes { id status start } } } } }"""


def profile(api: Api, customer_id: str, **variables) -> dict:
    return api.query(PROFILE, id=customer_id, **variables)["customer"]["reservations"]


CALENDAR = """query($r: ID!, $from: Date!, $days: Int) {
  resourceCalendar(resourceId: $r, from: $from, days: $days) { timeZone resource { name }
    days { date openingHours { start end }
      entries { start end partySize reservation { id status customer { name } } } } } }"""


@pytest.fixture
def shop(api):
    api.enable("reservations")
    return api


def test_a_disabled_module_is_named_in_the_error(api):
    ada = create_customer(api)
    query = "query($id: ID!) { customer(id: $id) { reservations { upcomingCount } } }"
    (error,) = api.errors(query, id=ada)
    assert error["extensions"]["code"] == "MODULE_DISABLED"


def test_resources_are_made_changed_and_deactivated(shop):
    hours = [{"weekday": "MONDAY", "opens": "09:00", "closes": "17:30"}]
    made = shop.ok(
        "createReservationResource",
        {"name": " Room 1 ", "capacity": 8, "openingHours": hours, "kind": "ROOM"},
        f"resource {{ {RESOURCE} }}",
    )["resource"]
    assert made["name"] == "Room 1" and made["active"] and made["version"] == 1
    assert made["openingHours"] == [
        {"weekday": "MONDAY", "opens": "09:00:00", "closes": "17:30:00"}
    ]
    changed = shop.ok(
        "updateReservationResource",
        {"id": made["id"], "capacity": 10, "expectedVersion": 1},
        f"resource {{ {RESOURCE} }}",
    )["resource"]
    assert changed["capacity"] == 10 and changed["version"] == 2
    stale = shop.mutate(
        "updateReservationResource", {"id": made["id"], "name": "X", "expectedVersion": 1}
    )
    assert codes(stale) == [(["input", "expectedVersion"], "VERSION_CONFLICT")]
    gone = shop.ok("deactivateReservationResource", {"id": made["id"]}, "resource { active }")
    assert gone["resource"] == {"active": False}
    listed = "query($all: Boolean!) { reservationResources(includeInactive: $all) { name } }"
    assert shop.query(listed, all=False) == {"reservationResources": []}
    assert shop.query(listed, all=True) == {"reservationResources": [{"name": "Room 1"}]}
    node = "query($id: ID!) { node(id: $id) { ... on ReservationResource { name capacity } } }"
    assert shop.query(node, id=made["id"])["node"] == {"name": "Room 1", "capacity": 10}


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"capacity": 0}, [(["input", "capacity"], "INVALID")]),
        ({"name": " "}, [(["input", "name"], "REQUIRED")]),
        (
            {"openingHours": [{"weekday": "MONDAY", "opens": "10:00", "closes": "09:00"}]},
            [(["input", "openingHours", "0"], "INVALID")],
        ),
        (
            {
                "openingHours": [
                    {"weekday": "MONDAY", "opens": "09:00", "closes": "12:00"},
                    {"weekday": "MONDAY", "opens": "11:00", "closes": "13:00"},
                ]
            },
            [(["input", "openingHours"], "INVALID")],
        ),
    ],
)
def test_bad_resources_are_user_errors(shop, data, expected):
    base = {"name": "Room", "capacity": 1, "openingHours": EVERY_DAY}
    assert codes(shop.mutate("createReservationResource", {**base, **data})) == expected
    assert shop.query("{ reservationResources { id } }") == {"reservationResources": []}


def test_agents_reserve_but_only_managers_shape_resources(shop):
    table = resource(shop)
    agent = as_worker(shop, create_worker(shop, "Ann Agent"))
    data = {"name": "Mine", "capacity": 1, "openingHours": EVERY_DAY}
    (error,) = agent.errors(
        "mutation($i: CreateReservationResourceInput!) { createReservationResource(input: $i) "
        "{ userErrors { code } } }",
        i=data,
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    own = create_customer(agent, "Own Customer")
    reserved(agent, own, table, at(10), at(11))


def test_overlaps_within_capacity_pass_and_beyond_are_refused(shop):
    ada, bob, cyd = (create_customer(shop, n) for n in ("Ada", "Bob", "Cyd"))
    table = resource(shop, capacity=4)
    first = reserved(shop, ada, table, at(10), at(12), partySize=2)
    reserved(shop, bob, table, at(11), at(13), partySize=2)  # 4 of 4 from 11 to 12
    full = reserve(shop, cyd, table, at(11.5), at(11.75))
    assert codes(full) == [(["input", "partySize"], "OVER_CAPACITY")]
    assert "room for 0 of 4" in full["userErrors"][0]["message"]
    assert "Ada" not in full["userErrors"][0]["message"]
    assert codes(reserve(shop, cyd, table, at(9), at(14), partySize=1)) == [
        (["input", "partySize"], "OVER_CAPACITY")
    ]
    reserved(shop, cyd, table, at(12), at(13), partySize=2)  # back to back with Ada's: 4
    reserved(shop, cyd, table, at(9), at(10), partySize=4)  # before all of them
    assert codes(reserve(shop, cyd, table, at(15), at(16), partySize=5)) == [
        (["input", "partySize"], "OVER_CAPACITY")
    ]
    # The peak counts what overlaps at one instant, not everything in the range.
    pair = resource(shop, "Pair", capacity=2)
    reserved(shop, ada, pair, at(9), at(10))
    reserved(shop, bob, pair, at(10), at(11))
    reserved(shop, cyd, pair, at(9), at(11))  # 2 at any instant
    assert codes(reserve(shop, cyd, pair, at(9.5), at(10.5))) == [
        (["input", "partySize"], "OVER_CAPACITY")
    ]
    # Cancelling frees the place.
    shop.ok("cancelReservation", {"id": first["id"], "reason": "Ill"})
    reserved(shop, cyd, table, at(11.5), at(11.75), partySize=2)


def test_opening_hours_are_the_tenants_wall_clock(shop):
    shop.ok("updateTenantSettings", {"timeZone": "Europe/Berlin"}, "tenant { timeZone }")
    zone = ZoneInfo("Europe/Berlin")
    hours = [{"weekday": "MONDAY", "opens": "09:00", "closes": "17:00"}]
    room = resource(shop, "Room", capacity=1, hours=hours)
    ada = create_customer(shop)

    def local(hour: int, day: date = MONDAY) -> str:
        return datetime(day.year, day.month, day.day, hour, tzinfo=zone).astimezone(UTC).isoformat()

    reserved(shop, ada, room, local(9), local(10))
    reserved(shop, ada, room, local(16), local(17))
    outside = [
        (local(8), local(10)),
        (local(16), local(18)),
        (local(10, MONDAY + timedelta(days=1)), local(11, MONDAY + timedelta(days=1))),
    ]
    for start, end in outside:
        payload = reserve(shop, ada, room, start, end)
        assert codes(payload) == [(["input", "start"], "OUTSIDE_OPENING_HOURS")], (start, end)
        assert "Europe/Berlin" in payload["userErrors"][0]["message"]
    assert codes(reserve(shop, ada, room, local(11), local(10))) == [(["input", "end"], "INVALID")]
    shop.ok("deactivateReservationResource", {"id": room})
    assert codes(reserve(shop, ada, room, local(12), local(13))) == [
        (["input", "resourceId"], "RESOURCE_INACTIVE")
    ]
    day = shop.query(CALENDAR, r=room, **{"from": MONDAY.isoformat()})["resourceCalendar"]
    assert day["timeZone"] == "Europe/Berlin"
    assert day["days"][0]["openingHours"] == [
        {"start": datetime.fromisoformat(local(9)).isoformat(), "end": local(17)}
    ]


def test_status_transitions_and_versions(shop):
    ada, table = create_customer(shop), resource(shop)
    yesterday = NOW.date() - timedelta(days=1)
    past = reserved(shop, ada, table, at(10, yesterday), at(11, yesterday))
    assert past["status"] == "PENDING" and past["version"] == 1
    assert codes(move(shop, "completeReservation", past["id"])) == [
        (["input", "id"], "INVALID_TRANSITION")
    ]
    assert codes(move(shop, "confirmReservation", past["id"], expectedVersion=7)) == [
        (["input", "expectedVersion"], "VERSION_CONFLICT")
    ]
    confirmed = move(shop, "confirmReservation", past["id"], expectedVersion=1)
    assert confirmed["reservation"] == {"status": "CONFIRMED", "version": 2}
    again = move(shop, "confirmReservation", past["id"])  # a retry: no-op
    assert again["reservation"] == {"status": "CONFIRMED", "version": 2}
    done = move(shop, "completeReservation", past["id"])
    assert done["reservation"] == {"status": "COMPLETED", "version": 3}
    assert codes(move(shop, "cancelReservation", past["id"])) == [
        (["input", "id"], "INVALID_TRANSITION")
    ]
    ahead = reserved(shop, ada, table, at(10), at(11))
    move(shop, "confirmReservation", ahead["id"])
    assert codes(move(shop, "markReservationNoShow", ahead["id"])) == [
        (["input", "id"], "INVALID_TRANSITION")
    ]
    # New times make a confirmed reservation pending again; a note alone does not.
    noted = shop.ok(
        "updateReservation", {"id": ahead["id"], "note": "Quiet"}, "reservation { status }"
    )
    assert noted["reservation"] == {"status": "CONFIRMED"}
    moved = shop.ok(
        "updateReservation",
        {"id": ahead["id"], "start": at(12), "end": at(13), "partySize": 2},
        f"reservation {{ {RESERVATION} }}",
    )["reservation"]
    assert (moved["status"], moved["partySize"], moved["note"]) == ("PENDING", 2, "Quiet")
    assert codes(shop.mutate("updateReservation", {"id": ahead["id"], "partySize": 3})) == [
        (["input", "partySize"], "OVER_CAPACITY")
    ]
    cancelled = shop.ok(
        "cancelReservation", {"id": ahead["id"], "reason": "Ill"}, "reservation { cancelReason }"
    )
    assert cancelled["reservation"] == {"cancelReason": "Ill"}
    assert codes(
        shop.mutate("updateReservation", {"id": ahead["id"], "start": at(14), "end": at(15)})
    ) == [(["input", "id"], "INVALID_TRANSITION")]


def test_a_retried_create_makes_one_reservation(shop):
    ada, table = create_customer(shop), resource(shop)
    first = reserved(shop, ada, table, at(10), at(11), idempotencyKey="k-1")
    again = reserved(shop, ada, table, at(10), at(11), idempotencyKey="k-1")
    assert again["id"] == first["id"]
    other = reserve(shop, ada, table, at(12), at(13), idempotencyKey="k-1")
    assert codes(other) == [(["input", "idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")]
    assert profile(shop, ada)["all"]["totalCount"] == 1


def test_another_tenant_sees_nothing(shop, other_api):
    other_api.enable("reservations")
    ada, table = create_customer(shop), resource(shop)
    mine = reserved(shop, ada, table, at(10), at(11))
    theirs_customer = create_customer(other_api, "Theirs")
    node = "query($id: ID!) { node(id: $id) { id } }"
    for global_id in (mine["id"], table):
        assert other_api.query(node, id=global_id) == {"node": None}
    assert other_api.query("{ reservationResources(includeInactive: true) { id } }") == {
        "reservationResources": []
    }
    (error,) = other_api.errors(CALENDAR, r=table, **{"from": MONDAY.isoformat()})
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert codes(reserve(other_api, theirs_customer, table, at(12), at(13))) == [
        (["input", "resourceId"], "NOT_FOUND")
    ]
    theirs_table = resource(other_api)
    assert codes(reserve(other_api, ada, theirs_table, at(12), at(13))) == [
        (["input", "customerId"], "NOT_FOUND")
    ]
    for mutation in ("confirmReservation", "cancelReservation"):
        assert codes(move(other_api, mutation, mine["id"])) == [(["input", "id"], "NOT_FOUND")]
    # Their reservation of their table does not count against ours, nor ours against theirs.
    reserved(other_api, theirs_customer, theirs_table, at(10), at(11), partySize=2)
    assert profile(shop, ada)["upcomingCount"] == 1


def test_the_customer_lists_and_the_badge(shop):
    ada, table = create_customer(shop), resource(shop, capacity=10)
    yesterday = NOW.date() - timedelta(days=1)
    old = reserved(shop, ada, table, at(10, yesterday), at(11, yesterday))
    a = reserved(shop, ada, table, at(10), at(11))
    b = reserved(shop, ada, table, at(12), at(13))
    c = reserved(shop, ada, table, at(14), at(15))
    move(shop, "confirmReservation", b["id"])
    move(shop, "cancelReservation", c["id"])
    found = profile(shop, ada)
    assert found["upcomingCount"] == 2
    assert [n["id"] for n in found["all"]["nodes"]] == [old["id"], a["id"], b["id"], c["id"]]
    upcoming = profile(shop, ada, **{"from": NOW.isoformat(), "status": ["PENDING", "CONFIRMED"]})
    assert [n["id"] for n in upcoming["all"]["nodes"]] == [a["id"], b["id"]]
    window = profile(shop, ada, **{"from": at(11), "to": at(14)})
    assert [n["id"] for n in window["all"]["nodes"]] == [b["id"]]
    bob = create_customer(shop, "Bob")
    reserved(shop, bob, table, at(16), at(17))
    find = "query($where: CustomerWhere) { customers(where: $where) { nodes { name } } }"
    where = {"field": "reservations.upcoming", "op": "GT", "value": 1}
    assert shop.query(find, where=where)["customers"]["nodes"] == [{"name": "Ada"}]
    tabs = "query($id: ID!) { customer(id: $id) { profileTabs { key badgeCount } } }"
    assert {"key": "reservations", "badgeCount": 2} in shop.query(tabs, id=ada)["customer"][
        "profileTabs"
    ]


def test_the_calendar_hides_who_reserved_from_those_who_may_not_see_them(shop):
    table = resource(shop, capacity=6)
    agent_id = create_worker(shop, "Ann Agent")
    agent = as_worker(shop, agent_id)
    hidden, shown = create_customer(shop, "Hidden Hal"), create_customer(shop, "Shown Sue")
    shop.ok("assignWorkers", {"customerId": shown, "workerIds": [agent_id]})
    if agent.query("query($id: ID!) { customer(id: $id) { id } }", id=hidden)["customer"]:
        pytest.skip("agents see every customer of the tenant")
    secret = reserved(shop, hidden, table, at(10), at(11), partySize=3, note="secret")
    visible = reserved(shop, shown, table, at(12), at(13), partySize=2)
    reserved(
        shop, shown, table, at(9, MONDAY + timedelta(days=1)), at(10, MONDAY + timedelta(days=1))
    )
    cancelled = reserved(shop, shown, table, at(14), at(15))
    move(shop, "cancelReservation", cancelled["id"])
    week = agent.query(CALENDAR, r=table, days=2, **{"from": MONDAY.isoformat()})
    monday, tuesday = week["resourceCalendar"]["days"]
    assert monday["date"] == MONDAY.isoformat() and len(tuesday["entries"]) == 1
    assert monday["entries"] == [
        {"start": at(10), "end": at(11), "partySize": 3, "reservation": None},
        {
            "start": at(12),
            "end": at(13),
            "partySize": 2,
            "reservation": {
                "id": visible["id"],
                "status": "PENDING",
                "customer": {"name": "Shown Sue"},
            },
        },
    ]
    assert monday["openingHours"] == [{"start": at(0), "end": at(24)}]
    owners = shop.query(CALENDAR, r=table, **{"from": MONDAY.isoformat()})
    entries = owners["resourceCalendar"]["days"][0]["entries"]
    assert entries[0]["reservation"]["id"] == secret["id"]
    assert agent.query("query($id: ID!) { node(id: $id) { id } }", id=secret["id"]) == {
        "node": None
    }
    # Booking still counts the hidden party, without naming it.
    full = reserve(agent, shown, table, at(10), at(11), partySize=4)
    assert codes(full) == [(["input", "partySize"], "OVER_CAPACITY")]
    assert "Hal" not in full["userErrors"][0]["message"]
    for days in (0, 8):
        (error,) = agent.errors(CALENDAR, r=table, days=days, **{"from": MONDAY.isoformat()})
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_merging_erasing_and_export(shop):
    ada, dupe, table = create_customer(shop), create_customer(shop, "Ada L."), resource(shop)
    reserved(shop, ada, table, at(10), at(11))
    reserved(shop, dupe, table, at(12), at(13), note="from the duplicate", idempotencyKey="d")
    shop.ok("mergeCustomers", {"sourceId": dupe, "targetId": ada})
    assert profile(shop, ada)["upcomingCount"] == 2
    export = shop.query("query($id: ID!) { customerExport(id: $id) }", id=ada)["customerExport"]
    rows = export["modules"]["reservations"]
    assert [(r["resource"], r["note"]) for r in rows] == [
        ("Table 4", None),
        ("Table 4", "from the duplicate"),
    ]
    shop.ok("deleteCustomer", {"id": ada}, "deletedId")
    bob = create_customer(shop, "Bob")
    reserved(shop, bob, table, at(10), at(11), partySize=2)  # the places are free again


def test_events_show_on_the_timeline(shop):
    ada, table = create_customer(shop), resource(shop, "Window table")
    made = reserved(shop, ada, table, at(10), at(11))
    move(shop, "confirmReservation", made["id"])
    move(shop, "cancelReservation", made["id"], reason="Ill")
    query = """query($id: ID!) { customer(id: $id) {
      timeline(first: 10) { nodes { action summary data } } } }"""
    nodes = shop.query(query, id=ada)["customer"]["timeline"]["nodes"]
    mine = [n for n in nodes if n["action"].startswith("reservation.")]
    assert [n["action"] for n in mine] == [
        "reservation.cancelled",
        "reservation.confirmed",
        "reservation.created",
    ]
    assert "Window table" in mine[2]["summary"]
    assert mine[0]["data"]["reason"] == "Ill" and mine[0]["data"]["partySize"] == 1


LIST_PAGE = f"""query($n: Int) {{ customers(first: $n) {{ nodes {{ name
  profileTabs {{ key badgeCount }}
  reservations {{ upcomingCount
    all(first: 5) {{ totalCount nodes {{ {RESERVATION} }} }} }} }} }} }}"""


def test_a_page_of_12_costs_the_statements_of_a_page_of_3(shop, engine):
    tables = [resource(shop, f"Table {i}", capacity=50) for i in range(2)]
    names = [{"name": f"Customer {i:02}"} for i in range(12)]
    ids = [p["customer"]["id"] for p in shop.many("createCustomer", names, "customer { id }")]
    inputs = [
        {"customerId": c, "resourceId": tables[j], "start": at(8 + j), "end": at(9 + j)}
        for c in ids
        for j in range(2)
    ]
    shop.many("createReservation", inputs)
    shop.query(LIST_PAGE, n=1)  # the token's first request
    with count_statements(engine) as small:
        shop.query(LIST_PAGE, n=3)
    with count_statements(engine) as large:
        data = shop.query(LIST_PAGE, n=12)
    nodes = data["customers"]["nodes"]
    assert len(nodes) == 12
    assert all(n["reservations"]["all"]["totalCount"] == 2 for n in nodes)
    assert all(n["reservations"]["upcomingCount"] == 2 for n in nodes)
    assert all({"key": "reservations", "badgeCount": 2} in n["profileTabs"] for n in nodes)
    assert small.count == large.count, (small.statements, large.statements)
    print(f"list page statements: 3 rows {small.count}, 12 rows {large.count}")
