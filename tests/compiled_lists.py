"""What a module's compiled lists (`schema.compiled.module_lists`) must do, for its tests:
each selection answers on the compiled path as the resolvers answer it, on the list page
and in `customer(id:)`, as the owner and as an agent who sees some of the customers."""

import uuid

from tests.support import create_worker, pk_of, token_for
from tests.test_compiled import both

LIST = "query { customers(first: 20) { nodes { id %s { %s } } } }"
ONE = "query($id: ID!) { customer(id: $id) { id %s { %s } } }"


def assert_lists_compile(
    paths, api, module: str, customers: list, covered: list, uncovered: list = ()
) -> dict:
    """Every `covered` selection under `module` compiles with the resolvers' answers (the
    list page and each customer's profile; the owner and an agent assigned to the first
    customer only), every `uncovered` one takes the usual path. The owner's list answers
    of the covered ones, by selection."""
    agent = create_worker(api, f"Lists Agent {uuid.uuid4().hex[:8]}", "AGENT")
    api.ok("assignWorkers", {"customerId": customers[0], "workerIds": [agent]})
    tokens = [api.token, token_for(api.tenant_id, pk_of(agent))]
    found = {}
    for fields in covered:
        for token in tokens:
            path, body = both(paths, token, LIST % (module, fields))
            assert path == "compiled", (fields, body)
            assert "errors" not in body, body
            found.setdefault(fields, body["data"]["customers"]["nodes"])
            for customer in customers:
                path, body = both(paths, token, ONE % (module, fields), {"id": customer})
                assert path == "compiled", (fields, body)
    for fields in uncovered:
        path, _ = both(paths, api.token, LIST % (module, fields))
        assert path == "fallback", fields
        path, _ = both(paths, api.token, ONE % (module, fields), {"id": customers[0]})
        assert path == "fallback", fields
    return found
