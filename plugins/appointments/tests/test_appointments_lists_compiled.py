"""`appointments { next upcoming(first:) past(first:) }` through the compiled path
(`schema.compiled.module_lists`): the same answers as the resolvers on both sides of now
(read when the statement runs), with the worker or null once the worker is deleted, cursors,
pageInfo and totalCount, on the list page and in the profile, as the owner and an agent."""

from plugins.appointments.tests.test_appointments import NOW, at, booked, customer, status, worker
from tests.compiled_lists import assert_lists_compile
from tests.test_compiled import paths  # noqa: F401 (fixture)

PROFILE = """upcomingCount credits next { id start end status }
  upcoming(first: 10) { nodes { id start end status location worker { id name } } }
  past(first: 10) { nodes { id start status } }"""
PAGED = """next { __typename id location notes prepaid creditUsed cancelReason createdAt
    updatedAt worker { id } }
  upcoming(first: 2) { totalCount totalCountIsExact pageInfo { hasNextPage hasPreviousPage
    startCursor endCursor } edges { cursor node { id start } } }
  past(first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } }"""
COVERED = [PROFILE, PAGED, "soon: next { id } later: upcoming { nodes { id } } past { totalCount }"]
UNCOVERED = [
    "upcoming(first: 2, status: [CANCELLED]) { nodes { id } }",
    "next { reminders { remindAt } }",
]


def test_the_lists_compile_as_the_resolvers_answer(api, paths):  # noqa: F811
    api.enable("appointments")
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    wanda, gone = worker(api), worker(api, "Gone Worker")
    for n in range(12):  # more than a page on both sides of now
        booked(api, ada, wanda if n % 2 else gone, at(2 * n), at(2 * n + 1), location=f"Room {n}")
        done = booked(api, ada, wanda, at(-50 - 2 * n, NOW), at(-49 - 2 * n, NOW))
        if n % 3 == 0:
            status(api, "completeAppointment", done["id"])
    cancelled = booked(api, ada, wanda, at(30), at(31))
    status(api, "cancelAppointment", cancelled["id"])
    booked(api, bob, wanda, at(-3, NOW), at(-2, NOW))
    api.ok("deleteWorker", {"id": gone}, "deletedId")
    found = assert_lists_compile(paths, api, "appointments", [ada, bob, cyd], COVERED, UNCOVERED)

    rows = {n["id"]: n["appointments"] for n in found[PROFILE]}
    assert len(rows[ada]["upcoming"]["nodes"]) == 10 and len(rows[ada]["past"]["nodes"]) == 10
    assert {n["worker"] is None for n in rows[ada]["upcoming"]["nodes"]} == {True, False}
    assert rows[bob]["next"] is None and rows[bob]["past"]["nodes"]
    paged = {n["id"]: n["appointments"] for n in found[PAGED]}
    after = paged[ada]["upcoming"]["pageInfo"]["endCursor"]
    later = f'upcoming(first: 5, after: "{after}") {{ nodes {{ id }} pageInfo {{ hasNextPage }} }}'
    assert_lists_compile(paths, api, "appointments", [ada], [later])
