"""The demo tenant's two flows: coloured columns, a few hundred cards on the sales pipeline,
and an agent's board holding only the customers the agent may see."""

import pytest

from tests.fixtures import run
from tests.support import Api

pytestmark = pytest.mark.seeded_demo  # the demo is in the databases from the start

FLOWS = "{ flows { id name columns { name color } } }"
COUNTS = """query($id: ID!) { flowBoard(flowId: $id, first: 3) {
  count columns { count cards { nodes { customer { name } } } } } }"""


@pytest.fixture
def demo(client):
    from core.demo import seed_demo

    return run(client, lambda: seed_demo(client.app.state.db, client.app.state.plugins))


def test_the_demo_has_a_sales_pipeline_and_an_onboarding_flow(client, demo):
    admin = Api(client, *demo)
    flows = {f["name"]: f for f in admin.query(FLOWS)["flows"]}
    assert set(flows) == {"Sales pipeline", "Onboarding"}
    for flow in flows.values():
        assert all(c["color"].startswith("#") for c in flow["columns"])
    sales = admin.query(COUNTS, id=flows["Sales pipeline"]["id"])["flowBoard"]
    onboarding = admin.query(COUNTS, id=flows["Onboarding"]["id"])["flowBoard"]
    print(f"demo cards: sales {sales['count']}, onboarding {onboarding['count']}")
    assert sales["count"] >= 200 and onboarding["count"] > 10
    assert all(c["count"] > 0 for c in sales["columns"])
