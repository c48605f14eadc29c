"""`appointments { upcomingCount credits }` on the customer list through the compiled path
(`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases, and
the usual path for a worker without `appointments.view` or a sub-field it does not cover."""

from plugins.appointments.tests.test_appointments import NOW, at, booked, customer, status, worker
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = [
    "upcomingCount credits",
    "credits",
    "upcomingCount",
    "__typename left: credits n: upcomingCount again: credits",
    "upcomingCount next { id }",
    "credits upcoming(first: 2) { totalCount }",
]
NOT_COMPILED = [
    "upcomingCount next { reminders { remindAt } }",
    "credits upcoming(first: 2, status: [CANCELLED]) { totalCount }",
]


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
    expected = {
        ada: {"upcomingCount": 2, "credits": 2},
        bob: {"upcomingCount": 1, "credits": 0},
        cyd: {"upcomingCount": 0, "credits": 0},
    }
    assert_module_compiles(
        paths, api, "appointments", "appointments.view", expected, COMPILED, NOT_COMPILED
    )
