"""`communications { unreadCount }` on the customer list through the compiled path: the same
answers as the resolvers, on both databases; `all` takes the usual path."""

from plugins.communications.tests.helpers import inbound, secret, sent
from tests.support import as_worker, token_for
from tests.support import create_customer as customer
from tests.support import create_worker as worker
from tests.test_compiled import assert_module_compiles, both, paths  # noqa: F401 (fixture)

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


def test_a_restricted_agent_gets_the_same_counts_on_both_paths(api, paths):  # noqa: F811
    """Without `communications.view_all` the badge counts only the inbound messages of
    customers the agent wrote to: the compiled select keeps that rule."""
    api.enable("communications")
    agent = worker(api, "Amy Agent")
    amy = as_worker(api, agent)
    people = [
        customer(api, name, emails=[{"value": f"{name.lower()}@example.com"}], workerIds=[agent])
        for name in ("Ada", "Bob")
    ]
    key = secret(api)
    for n in range(2):
        inbound(api, key, f"a-{n}", "ada@example.com")
        inbound(api, key, f"b-{n}", "bob@example.com")
    sent(amy, people[0], "Amy to Ada")
    query = "query { customers(first: 20) { nodes { id communications { unreadCount } } } }"
    counts = {}
    for who, token in (("amy", token_for(api.tenant_id, amy.worker_id)), ("owner", api.token)):
        path, body = both(paths, token, query)
        assert path == "compiled", body
        nodes = body["data"]["customers"]["nodes"]
        counts[who] = {n["id"]: n["communications"]["unreadCount"] for n in nodes}
    assert counts["amy"] == {people[0]: 2, people[1]: 0}
    assert counts["owner"] == {people[0]: 2, people[1]: 2}
