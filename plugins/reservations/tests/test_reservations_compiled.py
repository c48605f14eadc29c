"""`reservations { upcomingCount }` on the customer list through the compiled path
(`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases, and
the usual path for a worker without `reservations.view` or a sub-field it does not cover."""

from datetime import timedelta

from plugins.reservations.tests.test_reservations import NOW, at, move, reserved, resource
from tests.support import create_customer
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = ["upcomingCount", "__typename n: upcomingCount again: upcomingCount"]
NOT_COMPILED = ["upcomingCount all(first: 2) { totalCount }"]


def test_the_upcoming_count_compiles_and_answers_as_the_resolvers_do(api, paths):  # noqa: F811
    api.enable("reservations")
    ada, bob, cyd = (create_customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    table = resource(api, capacity=10)
    yesterday = NOW.date() - timedelta(days=1)
    reserved(api, ada, table, at(10), at(11))
    move(api, "confirmReservation", reserved(api, ada, table, at(12), at(13))["id"])
    move(api, "cancelReservation", reserved(api, ada, table, at(14), at(15))["id"])
    reserved(api, ada, table, at(10, yesterday), at(11, yesterday))
    reserved(api, bob, table, at(16), at(17))
    expected = {ada: {"upcomingCount": 2}, bob: {"upcomingCount": 1}, cyd: {"upcomingCount": 0}}
    assert_module_compiles(
        paths, api, "reservations", "reservations.view", expected, COMPILED, NOT_COMPILED
    )
