"""`projects { activeCount }` on the customer list through the compiled path
(`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases, and
the usual path for a worker without `projects.view` or a sub-field it does not cover
(`all`)."""

from plugins.projects.tests.test_projects import created, linked, status
from tests.support import create_customer as customer
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = ["activeCount", "__typename n: activeCount again: activeCount"]
NOT_COMPILED = ["activeCount all(first: 2) { totalCount }", "all { nodes { name } }"]


def test_the_active_count_compiles_and_answers_as_the_resolvers_do(api, paths):  # noqa: F811
    api.enable("projects")
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    move, fair, done = created(api), created(api, "Fair"), created(api, "Done")
    for project in (move, fair, done):
        status(api, project, "ACTIVE")
    status(api, done, "DONE")
    for project in (move, fair, done):
        linked(api, project, ada)
    linked(api, move, bob)
    linked(api, done, bob)
    expected = {ada: {"activeCount": 2}, bob: {"activeCount": 1}, cyd: {"activeCount": 0}}
    assert_module_compiles(
        paths, api, "projects", "projects.view", expected, COMPILED, NOT_COMPILED
    )
