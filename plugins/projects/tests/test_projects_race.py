"""Concurrent writes against a real `server.py` process per database: many requests linking
the same customer to the same project at once leave one link and one
`project.customer_linked`, and none is a 500; a create retried at once makes one project;
links and unlinks of several customers interleaved end as the last word of each."""

import asyncio

import httpx2
import pytest

from tests.servers import module_server, post_data
from tests.test_processes import new_tenant

RACERS = 24
CREATE = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id } userErrors { code } } }"""
LINK = """mutation($input: LinkCustomerToProjectInput!) { linkCustomerToProject(input: $input) {
  project { id } userErrors { code } } }"""
UNLINK = """mutation($input: UnlinkCustomerFromProjectInput!) {
  unlinkCustomerFromProject(input: $input) { project { id } userErrors { code } } }"""
READ = """query($id: ID!) { node(id: $id) { ... on Project {
  customers(first: 100) { totalCount nodes { id } } } } }"""
TIMELINE = """query($id: ID!) { customer(id: $id) { projects { activeCount all { totalCount } }
  timeline(first: 100) { nodes { action } } } }"""


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    with module_server("projects", tmp_path_factory.mktemp("projects-race"), database_url) as app:
        yield app


def test_concurrent_links_of_one_customer_make_one_link(server, database_url):
    async def scenario():
        limits = httpx2.Limits(max_connections=RACERS)
        async with httpx2.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:
            tenant = await new_tenant(database_url, http, 4)
            api, token, customers = tenant.b, tenant.token, tenant.customers
            await api.ok("enableModule", {"module": "projects"}, "modules { name }")
            # A create retried many times at once (same key, same input): one project.
            same = {"name": "Office move", "status": "ACTIVE", "idempotencyKey": "race-1"}
            made = await asyncio.gather(
                *(post_data(http, token, CREATE, input=same) for _ in range(12))
            )
            assert all(m["createProject"]["userErrors"] == [] for m in made), made
            assert len({m["createProject"]["project"]["id"] for m in made}) == 1
            project_id = made[0]["createProject"]["project"]["id"]

            # The same customer linked by many requests at once: one link, one event.
            ada = customers[0]
            pair = {"projectId": project_id, "customerId": ada}
            answers = await asyncio.gather(
                *(post_data(http, token, LINK, input=pair) for _ in range(RACERS))
            )
            assert all(a["linkCustomerToProject"]["userErrors"] == [] for a in answers), answers
            found = (await post_data(http, token, READ, id=project_id))["node"]["customers"]
            assert found == {"totalCount": 1, "nodes": [{"id": ada}]}
            seen = (await post_data(http, token, TIMELINE, id=ada))["customer"]
            assert seen["projects"] == {"activeCount": 1, "all": {"totalCount": 1}}
            actions = [n["action"] for n in seen["timeline"]["nodes"]]
            assert actions.count("project.customer_linked") == 1, actions

            # Links and unlinks of the others interleaved: each ends as its last request.
            others = customers[1:]

            async def churn(customer_id: str, rounds: int) -> None:
                data = {"projectId": project_id, "customerId": customer_id}
                for i in range(rounds):
                    query, name = (LINK, "linkCustomerToProject")
                    if i % 2:
                        query, name = (UNLINK, "unlinkCustomerFromProject")
                    answer = await post_data(http, token, query, input=data)
                    assert answer[name]["userErrors"] == [], answer

            # Three racers a customer, each alternating link and unlink: on the first and
            # third every racer ends with a link, on the second with an unlink, so whatever
            # the interleaving the last word is known.
            rounds = {c: 5 if k % 2 == 0 else 4 for k, c in enumerate(others)}
            await asyncio.gather(*(churn(c, n) for c, n in rounds.items() for _ in range(3)))
            found = (await post_data(http, token, READ, id=project_id))["node"]["customers"]
            ids = [n["id"] for n in found["nodes"]]
            assert len(ids) == len(set(ids)) == found["totalCount"]
            assert set(ids) == {ada} | {c for c, n in rounds.items() if n % 2}

    asyncio.run(asyncio.wait_for(scenario(), 120))
