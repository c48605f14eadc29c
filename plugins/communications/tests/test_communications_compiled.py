"""`communications { unreadCount }` on the customer list through the compiled path: the same
answers as the resolvers, on both databases; `all` takes the usual path."""

from plugins.communications.tests.helpers import inbound, secret
from tests.support import create_customer as customer
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = ["unreadCount", "__typename n: unreadCount again: unreadCount"]
NOT_COMPILED = ["unreadCount all(first: 2) { totalCount }"]


def test_the_unread_count_compiles_and_answers_as_the_resolvers_do(api, paths):  # noqa: F811
    api.enable("communications")
    people = [
        customer(api, name, emails=[{"value": f"{name.lower()}@example.com"}])
        for name in ("Ada", "Bob", "Cyd")
    ]
    key = secret(api)
    for n in range(2):
        inbound(api, key, f"a-{n}", "ada@example.com")
    inbound(api, key, "b-0", "bob@example.com")
    ada, bob, cyd = people
    expected = {ada: {"unreadCount": 2}, bob: {"unreadCount": 1}, cyd: {"unreadCount": 0}}
    assert_module_compiles(
        paths, api, "communications", "communications.view", expected, COMPILED, NOT_COMPILED
    )
