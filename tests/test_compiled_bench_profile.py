"""The bench's profile (`bench.scale.scenarios.PROFILE`) on the compiled path: every module
field of the four modules it shows (payments, insurance, appointments, tickets), their lists
included, in the one statement of `customer(id:)`, with the resolvers' answers, as the
owner and as the demo's agent, with its custom fields and timeline."""

import pytest

from bench.scale.scenarios import PROFILE
from tests.support import count_statements
from tests.test_compiled import both, demo, paths, workers  # noqa: F401 (fixtures)

pytestmark = pytest.mark.seeded_demo  # the demo is in the databases from the start

MODULES = PROFILE
PICK = """{ customers(first: 100) { nodes { id tickets { openCount } appointments { upcomingCount }
  insurance { activePolicyCount } payments { unpaidInvoiceCount } } } }"""


def test_the_bench_profile_is_one_statement(paths, demo, workers):  # noqa: F811
    nodes = demo.query(PICK)["customers"]["nodes"]

    def shows(node) -> int:
        return sum(min(1, next(iter(v.values()))) for k, v in node.items() if k != "id")

    richest = max(nodes, key=shows)
    assert shows(richest) >= 3, richest
    for token in (workers["owner"], workers["agent"]):
        for node in (richest, *nodes[:3]):
            path, body = both(paths, token, MODULES, {"id": node["id"]})
            assert path == "compiled", body
    compiled = paths[0]
    headers = {"Authorization": f"Bearer {workers['owner']}"}

    def statements(query: str, variables: dict) -> int:
        sent = {"query": query, "variables": variables}
        compiled.post("/graphql", json=sent, headers=headers)
        with count_statements(compiled.app.state.db.engine) as counter:
            body = compiled.post("/graphql", json=sent, headers=headers).json()
        assert body["extensions"]["execution"] == "compiled", body
        return counter.count

    assert statements(MODULES, {"id": richest["id"]}) == statements("{ __typename }", {}) + 1


def test_a_module_field_twice_under_aliases_compiles(paths, demo, workers):  # noqa: F811
    """Each alias of a module's field selects other sub-fields: a part each (found by the
    random selections: the second alias's columns were missing from the first's part)."""
    query = """{ customers(first: 5) { nodes { id tickets { openCount }
      a: tickets { overdueCount open(first: 1) { nodes { id } } } } } }"""
    path, body = both(paths, workers["owner"], query)
    assert path == "compiled", body
