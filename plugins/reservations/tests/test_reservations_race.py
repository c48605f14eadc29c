"""Concurrent bookings against a real `server.py` process per database: many clients
reserving the last places of a resource at once never book it beyond capacity (exactly the
free places are taken, every other client is told OVER_CAPACITY), and a create retried at
once with its idempotency key makes one reservation."""

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx2
import pytest

from tests.servers import module_server, post_data
from tests.test_processes import new_tenant

RACERS = 12
CAPACITY = 4
CREATE = """mutation($input: CreateReservationInput!) { createReservation(input: $input) {
  reservation { id } userErrors { code } } }"""
COUNT = """query($r: ID!, $from: Date!) {
  resourceCalendar(resourceId: $r, from: $from) { days { entries { partySize } } } }"""
EVERY_DAY = [
    {"weekday": day, "opens": "00:00", "closes": "00:00"}
    for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
]


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    with module_server(
        "reservations", tmp_path_factory.mktemp("reservations-race"), database_url
    ) as app:
        yield app


def outcome(answer: dict) -> str:
    errors = answer["createReservation"]["userErrors"]
    return errors[0]["code"] if errors else "reserved"


def test_the_last_places_go_to_exactly_as_many_clients(server, database_url):
    day = datetime.now(UTC).date() + timedelta(days=3)
    start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=18)

    def slot(customer_id: str, resource_id: str, minutes: int = 0, **more) -> dict:
        begin = start + timedelta(minutes=minutes)
        return {
            "customerId": customer_id,
            "resourceId": resource_id,
            "start": begin.isoformat(),
            "end": (begin + timedelta(hours=2)).isoformat(),
            **more,
        }

    async def scenario():
        limits = httpx2.Limits(max_connections=RACERS)
        async with httpx2.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:
            tenant = await new_tenant(database_url, http, RACERS)
            api, token, customers = tenant.b, tenant.token, tenant.customers
            await api.ok("enableModule", {"module": "reservations"}, "modules { name }")
            data = {"name": "Table 9", "capacity": CAPACITY, "openingHours": EVERY_DAY}
            made = await api.ok("createReservationResource", data, "resource { id }")
            table = made["resource"]["id"]
            # One place is taken already: CAPACITY - 1 are left for RACERS clients, each for
            # a customer of their own (their customers' locks do not line them up), at times
            # overlapping each other's by an hour or more.
            await api.ok("createReservation", slot(customers[0], table))
            answers = await asyncio.gather(
                *(
                    post_data(http, token, CREATE, input=slot(c, table, minutes=(i % 4) * 15))
                    for i, c in enumerate(customers)
                )
            )
            outcomes = Counter(outcome(a) for a in answers)
            assert outcomes == {"reserved": CAPACITY - 1, "OVER_CAPACITY": RACERS - CAPACITY + 1}
            calendar = await post_data(http, token, COUNT, r=table, **{"from": day.isoformat()})
            entries = calendar["resourceCalendar"]["days"][0]["entries"]
            assert sum(e["partySize"] for e in entries) == CAPACITY

            # A create retried at once with its key, on a resource with room: one reservation.
            data = {"name": "Hall", "capacity": 100, "openingHours": EVERY_DAY}
            hall = (await api.ok("createReservationResource", data, "resource { id }"))["resource"]
            same = slot(customers[1], hall["id"], partySize=5, idempotencyKey="race-1")
            retried = await asyncio.gather(
                *(post_data(http, token, CREATE, input=same) for _ in range(RACERS))
            )
            assert {outcome(a) for a in retried} == {"reserved"}
            assert len({a["createReservation"]["reservation"]["id"] for a in retried}) == 1
            calendar = await post_data(
                http, token, COUNT, r=hall["id"], **{"from": day.isoformat()}
            )
            assert calendar["resourceCalendar"]["days"][0]["entries"] == [{"partySize": 5}]

    asyncio.run(asyncio.wait_for(scenario(), 120))
