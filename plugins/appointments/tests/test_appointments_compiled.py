"""`appointments { upcomingCount credits }` on the customer list through the compiled path
(`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases, and
the usual path for a worker without `appointments.view` or a sub-field it does not cover."""

from plugins.appointments.tests.test_appointments import NOW, at, booked, customer, status, worker
from tests.support import create_worker, pk_of, token_for
from tests.test_compiled import both, paths  # noqa: F401 (fixtures)

COUNTS = "query { customers(first: 20) { nodes { id appointments { %s } } } }"
COMPILED = [
    "upcomingCount credits",
    "credits",
    "upcomingCount",
    "__typename left: credits n: upcomingCount again: credits",
]
NOT_COMPILED = [
    "upcomingCount next { id }",
    "credits upcoming(first: 2) { totalCount }",
]


def workers(api, permission: str, assigned: list[str]) -> tuple[str, str]:
    """Tokens of an agent assigned to `assigned` (they see only those) and of an admin (who
    sees every customer) without `permission`."""
    agent = create_worker(api, "Assigned Agent", "AGENT")
    for customer_id in assigned:
        api.ok("assignWorkers", {"customerId": customer_id, "workerIds": [agent]})
    admin = create_worker(api, "Refused Admin", "ADMIN")
    change = {"workerId": admin, "permission": permission, "granted": False}
    api.ok("setWorkerPermission", change, "table { permissions }")
    return token_for(api.tenant_id, pk_of(agent)), token_for(api.tenant_id, pk_of(admin))


def test_the_counts_compile_and_answer_as_the_resolvers_do(api, paths):  # noqa: F811
    api.enable("appointments")
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    wanda = worker(api)
    booked(api, ada, wanda, at(0), at(1))
    confirmed = booked(api, ada, wanda, at(2), at(3))
    status(api, "confirmAppointment", confirmed["id"])
    cancelled = booked(api, ada, wanda, at(4), at(5))
    api.ok("cancelAppointment", {"id": cancelled["id"]})
    api.ok("buyAppointmentCredits", {"customerId": ada, "quantity": 3})
    done = booked(api, ada, wanda, at(-5, NOW), at(-4, NOW), prepaid=True)
    status(api, "completeAppointment", done["id"])
    api.ok("buyAppointmentCredits", {"customerId": bob, "quantity": 1})
    used = booked(api, bob, wanda, at(-3, NOW), at(-2, NOW), prepaid=True)
    status(api, "completeAppointment", used["id"])  # its only credit: none left
    booked(api, bob, wanda, at(6), at(7))
    agent, refused = workers(api, "appointments.view", [ada, cyd])

    path, body = both(paths, api.token, COUNTS % COMPILED[0])
    assert path == "compiled", body
    found = {n["id"]: n["appointments"] for n in body["data"]["customers"]["nodes"]}
    assert found == {
        ada: {"upcomingCount": 2, "credits": 2},
        bob: {"upcomingCount": 1, "credits": 0},
        cyd: {"upcomingCount": 0, "credits": 0},
    }
    for fields in COMPILED[1:]:
        path, body = both(paths, api.token, COUNTS % fields)
        assert path == "compiled", (fields, body)
    for fields in NOT_COMPILED:
        path, _ = both(paths, api.token, COUNTS % fields)
        assert path == "fallback", fields

    path, body = both(paths, agent, COUNTS % COMPILED[0])
    assert path == "compiled", body
    assert [n["id"] for n in body["data"]["customers"]["nodes"]] == [cyd, ada]
    path, body = both(paths, refused, COUNTS % COMPILED[0])
    assert path == "fallback"
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
