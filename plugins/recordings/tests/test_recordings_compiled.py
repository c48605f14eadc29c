"""`recordings { count }` on the customer list through the compiled path
(`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases, and
the usual path for a worker without `recordings.view` or a sub-field it does not cover."""

from plugins.recordings.tests.test_recordings import added
from tests.support import create_customer as customer
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = ["count", "__typename n: count again: count"]
NOT_COMPILED = ["count all(first: 2) { totalCount }", "all { edges { node { title } } }"]


def test_the_count_compiles_and_answers_as_the_resolvers_do(api, paths):  # noqa: F811
    api.enable("recordings")
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    added(api, ada)
    added(api, ada, direction="OUTBOUND")
    added(api, bob, kind="MEETING")
    expected = {ada: {"count": 2}, bob: {"count": 1}, cyd: {"count": 0}}
    assert_module_compiles(
        paths, api, "recordings", "recordings.view", expected, COMPILED, NOT_COMPILED
    )
