"""An id is never handed out twice, on SQLite too (AUTOINCREMENT, migration 0006): a new
customer never takes a deleted one's history, a deleted worker's token never signs in as
a new worker. Migrating an existing database there keeps every row, link and the search."""

from collections.abc import Iterator
from contextlib import contextmanager

from starlette.testclient import TestClient

from core import migrate
from core.config import Settings
from schema.registry import make_plugins
from server import create_app
from tests.fixtures import new_tenant, own_postgres_database
from tests.support import SECRET, Api, gid, pk_of, token_for

ME = "{ me { worker { id name } } }"


def worker(api: Api, name: str) -> str:
    email = name.lower().replace(" ", ".") + "@example.com"
    payload = api.ok(
        "createWorker", {"name": name, "email": email, "role": "ADMIN"}, "worker { id }"
    )
    return payload["worker"]["id"]


def test_a_deleted_workers_token_never_signs_in_as_a_new_worker(api):
    gone = worker(api, "Gone Admin")  # the newest worker: its id is the highest
    token = token_for(api.tenant_id, pk_of(gone))
    assert api.post(ME, token=token).json()["data"]["me"]["worker"]["name"] == "Gone Admin"
    api.ok("deleteWorker", {"id": gone}, "deletedId")
    fresh = worker(api, "Fresh Admin")
    assert pk_of(fresh) > pk_of(gone)
    response = api.post(ME, token=token)
    assert response.status_code == 401, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@contextmanager
def empty_database(database_url: str, tmp_path) -> Iterator[str]:
    """A database of its own, empty, of the same kind as the suite's."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'upgrade.db'}"
        return
    with own_postgres_database(database_url, "upgrade") as url:
        yield url


@contextmanager
def app_on(url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=url, secret_key=SECRET, redis_url=None, _env_file=None)
    with TestClient(create_app(settings)) as client:
        yield client


PROFILE = """query($id: ID!) { customer(id: $id) {
  name tags { name } workers { name } folders { folder { name } status { name } }
  parent { name } tickets { all { edges { node { subject } } } }
  timeline(first: 100) { edges { node { action } } }
} }"""
SEARCH = (
    """query($text: String!) { customers(filter: {search: $text}) { edges { node { name } } } }"""
)


def test_upgrading_an_existing_database_keeps_its_rows_links_and_search(database_url, tmp_path):
    locations = make_plugins().migration_locations()
    with empty_database(database_url, tmp_path) as url:
        migrate.upgrade(url, locations, "0005")
        for module in ("appointments", "insurance", "payments", "tickets"):
            migrate.upgrade(url, locations, f"{module}@head")
        with app_on(url) as client:
            api = new_tenant(client)
            api.enable("tickets")
            vip = api.ok("createTag", {"name": "VIP", "color": "#aa0000"}, "tag { id }")["tag"][
                "id"
            ]
            sales = api.ok("createFolder", {"name": "Sales", "color": "#00aa00"}, "folder { id }")
            ann = worker(api, "Ann Admin")
            ada = api.ok(
                "createCustomer",
                {
                    "name": "Ada Lovelace",
                    "tagIds": [vip],
                    "workerIds": [ann],
                    "folders": [{"folderId": sales["folder"]["id"]}],
                },
                "customer { id }",
            )["customer"]["id"]
            kid = api.ok(
                "createSubCustomer", {"parentId": ada, "name": "Byron Kid"}, "customer { id }"
            )["customer"]["id"]
            api.ok("openTicket", {"customerId": kid, "subject": "Printer on fire"})
            gone = api.ok("createCustomer", {"name": "Gone"}, "customer { id }")["customer"]["id"]
            api.ok("deleteCustomer", {"id": gone}, "deletedId")
            before = {who: api.query(PROFILE, id=who) for who in (ada, kid)}

        migrate.upgrade(url, locations)

        with app_on(url) as client:
            api = Api(client, api.tenant_id, api.worker_id)
            assert {who: api.query(PROFILE, id=who) for who in (ada, kid)} == before
            profile = before[ada]["customer"]
            assert profile["tags"] == [{"name": "VIP"}]
            assert [w["name"] for w in profile["workers"]] == ["Ann Admin"]
            assert [f["folder"]["name"] for f in profile["folders"]] == ["Sales"]
            kid_profile = before[kid]["customer"]
            assert kid_profile["parent"] == {"name": "Ada Lovelace"}
            assert len(kid_profile["tickets"]["all"]["edges"]) == 1

            found = api.query(SEARCH, text="Lovelace")["customers"]["edges"]
            assert [e["node"]["name"] for e in found] == ["Ada Lovelace"]
            api.ok("updateCustomer", {"id": kid, "name": "Byron Hopper"})
            found = api.query(SEARCH, text="Hopper")["customers"]["edges"]
            assert [e["node"]["name"] for e in found] == ["Byron Hopper"]

            fresh = api.ok("createCustomer", {"name": "Fresh"}, "customer { id }")["customer"]
            assert pk_of(fresh["id"]) > pk_of(gone)  # `gone` was the newest, then deleted
            timeline = api.query(PROFILE, id=fresh["id"])["customer"]["timeline"]["edges"]
            assert [e["node"]["action"] for e in timeline] == ["customer.created"]
            assert api.query(PROFILE, id=gid("Customer", pk_of(gone))) == {"customer": None}
