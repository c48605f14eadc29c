"""`dynamicContent { count }` on the customer list through the compiled path
(`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases; the
rendered blocks take the usual path."""

from plugins.dynamic_content.tests.test_dynamic_content import created, folder
from tests.support import create_customer as customer
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = ["count", "__typename n: count again: count"]
NOT_COMPILED = ["count blocks { title }", "blocks { html }"]


def test_the_count_compiles_and_answers_as_the_resolvers_do(api, paths):  # noqa: F811
    api.enable("dynamic_content")
    north, south = folder(api, "North"), folder(api, "South")
    ada = customer(api, "Ada", folders=[{"folderId": north}, {"folderId": south}])
    bob = customer(api, "Bob", folders=[{"folderId": south}])
    cyd = customer(api, "Cyd")
    created(api, "Everyone")
    created(api, "Both", folderIds=[north, south])
    created(api, "North", folderIds=[north])
    created(api, "Off", active=False)
    expected = {ada: {"count": 3}, bob: {"count": 2}, cyd: {"count": 1}}
    assert_module_compiles(
        paths, api, "dynamicContent", "dynamic_content.view", expected, COMPILED, NOT_COMPILED
    )
