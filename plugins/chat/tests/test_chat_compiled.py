"""`chat { unreadCount }` on the customer list through the compiled path: the same answers as
the resolvers, on both databases, and the usual path where it does not apply."""

from plugins.chat.tests.support import post
from tests.support import as_worker
from tests.support import create_customer as customer
from tests.support import create_worker as worker
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = ["unreadCount", "__typename n: unreadCount again: unreadCount"]
NOT_COMPILED = ["threads { id }", "messages(first: 2) { totalCount }"]


def test_the_unread_count_compiles_and_answers_as_the_resolver_does(api, paths):  # noqa: F811
    api.enable("chat")
    admin = as_worker(api, worker(api, "Second Admin", "ADMIN"))
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    post(admin, ada, "One")
    post(admin, ada, "Two")
    post(api, ada, "Mine, not unread")
    post(admin, bob, "Three")
    expected = {ada: {"unreadCount": 2}, bob: {"unreadCount": 1}, cyd: {"unreadCount": 0}}
    assert_module_compiles(paths, api, "chat", "chat.view", expected, COMPILED, NOT_COMPILED)
