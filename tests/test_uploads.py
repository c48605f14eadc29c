"""Uploads end to end through HTTP (GraphQL multipart requests built like Apollo's and urql's
upload links build them), on both databases: storage, limits, sniffing, names, CSRF, nothing
left behind by a failed upload, signed downloads and who may use them, removal of a deleted
customer's files. `tests/test_storage.py` has the storage backends (S3 against a real
server process)."""

import json
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from core import files as service
from core.auth import Principal
from core.models import StoredFile
from server import create_app
from tests.fixtures import new_tenant, run
from tests.support import Api, count_statements, gid, pk_of, token_for
from tests.test_archive import wait_for_removal_job
from tests.uploads import PDF, PNG, UPLOAD, multipart, upload, uploaded

FILES = "query($id: ID!) { customer(id: $id) { uploadedFiles { totalCount edges { node { id name } } } } }"  # noqa: E501


def customer(api: Api, name: str = "Ada", **extra) -> str:
    return api.ok("createCustomer", {"name": name, **extra}, "customer { id }")["customer"]["id"]


def worker(owner: Api, role: str, name: str) -> Api:
    payload = owner.ok(
        "createWorker",
        {"name": name, "email": f"{name.lower()}.{owner.tenant_id}@example.com", "role": role},
        "worker { id }",
    )
    return Api(owner.client, owner.tenant_id, pk_of(payload["worker"]["id"]))


def rows(api: Api) -> list[dict]:
    """The tenant's `files` rows, whatever their state (read past the API)."""

    async def work():
        async with api.client.app.state.db.transaction() as session:
            found = await session.execute(
                select(StoredFile.__table__).where(StoredFile.tenant_id == api.tenant_id)
            )
            return [dict(r) for r in found.mappings()]

    return run(api.client, work)


def objects(api: Api) -> list[Path]:
    """The tenant's objects in the local storage folder."""
    folder = Path(api.client.app.state.settings.storage_dir) / str(api.tenant_id)
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


def refused(api: Api, response) -> dict:
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["uploadFile"]
    assert payload["file"] is None
    assert rows(api) == [] and objects(api) == [], "a refused upload left something"
    return payload


# --- the happy path -----------------------------------------------------------------------------


def test_an_upload_is_stored_listed_on_the_timeline_and_downloadable(api):
    ada = customer(api)
    file = uploaded(api, customer_id=ada)
    assert file["name"] == "photo.png" and file["size"] == len(PNG)
    assert file["contentType"] == "image/png" and file["purpose"] == "DOCUMENT"
    import hashlib

    assert file["sha256"] == hashlib.sha256(PNG).hexdigest()
    [row] = rows(api)
    assert row["state"] == "committed" and row["customer_id"] == pk_of(ada)
    [stored] = objects(api)
    assert stored.read_bytes() == PNG and "photo" not in str(stored)

    listed = api.query(FILES, id=ada)["customer"]["uploadedFiles"]
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"]["id"] == file["id"]
    node = api.query(
        "query($id: ID!) { node(id: $id) { ... on StoredFile { name } } }", id=file["id"]
    )
    assert node["node"] == {"name": "photo.png"}
    timeline = api.query(
        "query($id: ID!) { customer(id: $id) { timeline(first: 1) { "
        "edges { node { summary } } } } }",
        id=ada,
    )
    assert timeline["customer"]["timeline"]["edges"][0]["node"]["summary"].endswith(
        "uploaded a file"
    )

    response = api.client.get(file["downloadUrl"])
    assert response.status_code == 200 and response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith('attachment; filename="photo.png"')
    assert "no-store" in response.headers["cache-control"]


def test_several_files_in_one_request_and_one_file_in_two_places(api):
    ada, bob = customer(api, "Ada"), customer(api, "Bob")
    query = """mutation($a: UploadFileInput!, $b: UploadFileInput!) {
      a: uploadFile(input: $a) { file { name customerId: id } userErrors { code } }
      b: uploadFile(input: $b) { file { name } userErrors { code } } }"""
    variables = {"a": {"file": None, "customerId": ada}, "b": {"file": None, "customerId": bob}}
    response = multipart(
        api,
        query,
        variables,
        {"0": (["variables.a.file", "variables.b.file"], "scan.pdf", PDF, "application/pdf")},
    )
    data = response.json()["data"]
    assert data["a"]["file"]["name"] == data["b"]["file"]["name"] == "scan.pdf"
    assert len(rows(api)) == 2 and len(objects(api)) == 2


# --- what the client claims is not trusted ------------------------------------------------------


def test_the_type_is_sniffed_from_the_bytes_not_taken_from_the_client(api):
    ada = customer(api)
    file = uploaded(api, data=PDF, name="photo.png", claimed="image/png", customer_id=ada)
    assert file["contentType"] == "application/pdf"
    assert file["name"] == "photo.png.pdf"  # opens as what it is
    response = api.client.get(file["downloadUrl"])
    assert response.headers["content-type"] == "application/pdf"


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64,  # a Windows program
        b"<html><body><script>alert(1)</script></body></html>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
        b"\x00\x01\x02\x03binary junk\xff\xfe",
    ],
)
def test_a_type_outside_the_allow_list_is_refused_whatever_it_claims(api, data):
    ada = customer(api)
    payload = refused(
        api, upload(api, data=data, name="cat.png", claimed="image/png", customer_id=ada)
    )
    assert codes(payload) == ["TYPE_NOT_ALLOWED"]


def test_each_purpose_has_its_own_allow_list(api):
    csv = b"name,email\nAda,ada@example.com\n"
    file = uploaded(
        api, data=csv, name="people.csv", claimed="application/vnd.ms-excel", purpose="IMPORT"
    )
    assert file["contentType"] == "text/csv"
    payload = upload(api, data=PNG, purpose="IMPORT").json()["data"]["uploadFile"]
    assert codes(payload) == ["TYPE_NOT_ALLOWED"]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        ("/abs/path/notes.txt", "notes.txt"),
        ("..", "file.txt"),
        (".hidden.txt", "hidden.txt"),
        ("re\u202eport\x1b[31m\x7f.txt", "report[31m.txt"),
        ("Cafe\u0301 menu.txt", "Caf\u00e9 menu.txt"),
        ("CON.txt", "_CON.txt"),
        ("a" * 500 + ".txt", "a" * 196 + ".txt"),
    ],
)
def test_file_names_are_made_safe(api, sent, kept):
    ada = customer(api)
    file = uploaded(api, data=b"hello\n", name=sent, claimed="text/plain", customer_id=ada)
    assert file["name"] == kept
    [stored] = objects(api)
    assert stored.parent.parent == Path(api.client.app.state.settings.storage_dir)
    response = api.client.get(file["downloadUrl"])
    assert response.content == b"hello\n"
    assert "/" not in response.headers["content-disposition"].split("filename*=")[0]


def test_an_empty_file_is_refused(api):
    ada = customer(api)
    payload = refused(api, upload(api, data=b"", name="empty.txt", customer_id=ada))
    assert codes(payload) == ["EMPTY_FILE"]


def test_a_plain_json_value_is_not_a_file(api):
    ada = customer(api)
    body = api.post(UPLOAD, {"input": {"file": "x", "customerId": ada}}).json()
    assert codes(body["data"]["uploadFile"]) == ["REQUIRED"]
    assert rows(api) == []


# --- failed uploads leave nothing ---------------------------------------------------------------


def test_an_upload_for_an_unknown_or_foreign_customer_leaves_nothing(api, other_api):
    foreign = customer(other_api, "Theirs")
    for target in (foreign, gid("Customer", 2_147_480_000)):
        payload = refused(api, upload(api, customer_id=target))
        assert payload["userErrors"] == [
            {
                "field": ["input", "customerId"],
                "message": "Customer not found.",
                "code": "NOT_FOUND",
            }
        ]
    assert rows(other_api) == [] and objects(other_api) == []


def test_an_upload_whose_storage_fails_leaves_nothing(api):
    storage = api.client.app.state.storage
    ada = customer(api)
    original = storage.put

    async def broken(key, source, content_type):
        target = storage.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"half")  # as if the store had taken part of it
        raise OSError("disk full")

    storage.put = broken
    try:
        body = upload(api, customer_id=ada).json()
    finally:
        storage.put = original
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INTERNAL"]
    assert rows(api) == [] and objects(api) == []


def test_an_upload_whose_commit_fails_leaves_nothing(api, monkeypatch):
    ada = customer(api)

    async def broken(session, principal, file_id):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(service, "commit", broken)
    body = upload(api, customer_id=ada).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INTERNAL"]
    assert rows(api) == [] and objects(api) == []


def test_a_pending_upload_left_by_a_crash_is_swept(api):
    ada = customer(api)
    uploaded(api, customer_id=ada)
    [row] = rows(api)
    app = api.client.app

    async def crash_and_sweep():
        async with app.state.db.transaction() as session:  # as if the commit never came
            await session.execute(
                update(StoredFile)
                .where(StoredFile.id == row["id"])
                .values(state="pending", created_at=row["created_at"] - timedelta(hours=2))
            )
        return await service.sweep_files(app.state.db, app.state.storage, 3600)

    assert run(api.client, crash_and_sweep) >= 1
    assert rows(api) == [] and objects(api) == []


# --- the HTTP layer -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(settings):
    """An app with small upload limits, sharing the database."""
    limited = settings.model_copy(
        update={
            "upload_max_file_bytes": 1_000,
            "upload_max_request_bytes": 5_000,
            "upload_max_files": 2,
            "storage_dir": Path(tempfile.mkdtemp(prefix="small-uploads-")),
        }
    )
    with TestClient(create_app(limited)) as client:
        yield client


def leftovers() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("hub-upload-*")}


def test_limits_are_coded_413s_and_leave_no_temporary_file(small):
    api = new_tenant(small)
    ada = customer(api)
    before = leftovers()
    text = b"x" * 1_001
    for files, code in (
        ({"0": (["variables.input.file"], "big.txt", text, "text/plain")}, "FILE_TOO_LARGE"),
        (
            {str(i): ([f"variables.input.file{i}"], "a.txt", b"a", "text/plain") for i in range(3)},
            "TOO_MANY_FILES",
        ),
    ):
        response = multipart(api, UPLOAD, {"input": {"file": None, "customerId": ada}}, files)
        assert response.status_code == 413, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == code
    # the request as a whole (three parts under the file limit, two files)
    many = {str(i): ([f"variables.f{i}"], "a.txt", b"y" * 900, "text/plain") for i in range(2)}
    big_query = UPLOAD + "#" + "z" * 4_000
    response = multipart(api, big_query, {"input": {"file": None}, "f0": None, "f1": None}, many)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert leftovers() <= before
    assert rows(api) == []
    # just under: fine
    ok = multipart(
        api,
        UPLOAD,
        {"input": {"file": None, "customerId": ada}},
        {"0": (["variables.input.file"], "fits.txt", b"x" * 1_000, "text/plain")},
    )
    assert ok.json()["data"]["uploadFile"]["file"]["size"] == 1_000
    assert leftovers() <= before


def test_a_multipart_request_needs_a_preflight_header(api):
    ada = customer(api)
    for headers in ({}, {"Apollo-Require-Preflight": ""}):
        response = multipart(
            api,
            UPLOAD,
            {"input": {"file": None, "customerId": ada}},
            {"0": (["variables.input.file"], "a.png", PNG, "image/png")},
            headers=headers,
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_PREFLIGHT_REQUIRED"
    for header in ("X-Apollo-Operation-Name", "X-Requested-With", "GraphQL-Preflight"):
        response = multipart(
            api,
            UPLOAD,
            {"input": {"file": None, "customerId": ada}},
            {"0": (["variables.input.file"], "a.png", PNG, "image/png")},
            headers={header: "1"},
        )
        assert response.json()["data"]["uploadFile"]["userErrors"] == []
    assert len(rows(api)) == 3


def test_a_multipart_request_without_a_valid_token_is_refused_before_its_body(api):
    files = {"0": (["variables.input.file"], "a.png", PNG, "image/png")}
    response = multipart(api, UPLOAD, {"input": {"file": None}}, files, token="not-a-token")
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert rows(api) == []


@pytest.mark.parametrize(
    ("operations", "mapping", "message"),
    [
        (None, {"0": ["variables.input.file"]}, "no `operations` part"),
        ({"query": UPLOAD, "variables": {"input": {"file": None}}}, {}, "not in `map`"),
        ({"query": UPLOAD, "variables": {"input": {"file": None}}}, {"0": ["query"]}, "variables"),
        (
            {"query": UPLOAD, "variables": {"input": {"file": "x"}}},
            {"0": ["variables.input.file"]},
            "must be null",
        ),
        (
            {"query": UPLOAD, "variables": {"input": {"file": None}}},
            {"0": ["variables.input.nope.file"]},
            "not a place",
        ),
        ([{"query": UPLOAD}], {"0": ["0.variables.input.file"]}, "one JSON object"),
    ],
)
def test_malformed_multipart_requests_are_coded_400s(api, operations, mapping, message):
    data = {"map": json.dumps(mapping)}
    if operations is not None:
        data["operations"] = json.dumps(operations)
    response = api.client.post(
        "/graphql",
        data=data,
        files={"0": ("a.png", PNG, "image/png")},
        headers={"Authorization": f"Bearer {api.token}", "Apollo-Require-Preflight": "1"},
    )
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST" and message in error["message"]
    assert rows(api) == []


def test_multipart_is_for_post_only(api):
    response = api.client.get(
        "/graphql",
        params={"query": "{ __typename }"},
        headers={
            "Authorization": f"Bearer {api.token}",
            "Content-Type": "multipart/form-data; boundary=x",
        },
    )
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


# --- who may upload and see ---------------------------------------------------------------------


def test_an_agent_uploads_for_customers_they_may_change_only(api):
    agent = worker(api, "AGENT", "Ann")
    mine = customer(api, "Mine", workerIds=[gid("Worker", agent.worker_id)])
    hidden = customer(api, "Hidden")
    assert uploaded(agent, customer_id=mine)["name"] == "photo.png"
    payload = upload(agent, customer_id=hidden).json()["data"]["uploadFile"]
    assert codes(payload) == ["NOT_FOUND"]
    folder = api.ok("createFolder", {"name": "Look", "color": "#123456"}, "folder { id }")[
        "folder"
    ]["id"]
    api.ok(
        "setFolderAccess", {"folderId": folder, "role": "AGENT", "level": "VIEW"}, "folder { id }"
    )
    seen = customer(api, "Seen", folders=[{"folderId": folder}])
    body = upload(agent, customer_id=seen).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert len(rows(api)) == 1


def test_download_links_are_checked_when_used(api, other_api):
    ada = customer(api)
    file = uploaded(api, customer_id=ada)
    file_id = pk_of(file["id"])
    settings = api.client.app.state.settings
    agent = worker(api, "AGENT", "Ann")

    def link(tenant_id, worker_id, seconds=60, key=settings.signing_key, role="owner"):
        principal = Principal(tenant_id, worker_id, role)
        return f"/files/{service.download_token(key, principal, file_id, seconds)}"

    assert api.client.get(link(api.tenant_id, api.worker_id)).status_code == 200
    expired = api.client.get(link(api.tenant_id, api.worker_id, seconds=-1))
    assert expired.status_code == 403
    assert expired.json()["errors"][0]["extensions"]["code"] == "DOWNLOAD_LINK_EXPIRED"
    for url in (
        link(api.tenant_id, api.worker_id, key="another key"),  # forged
        "/files/" + token_for(api.tenant_id, api.worker_id),  # an access token
        file["downloadUrl"][:-3] + "abc",  # tampered
        link(other_api.tenant_id, other_api.worker_id),  # another tenant's worker
        link(api.tenant_id, agent.worker_id),  # a worker who cannot see the customer
        "/files/x",
    ):
        response = api.client.get(url)
        assert response.status_code == 404, url
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert response.headers["x-content-type-options"] == "nosniff"
    # the agent's own link works once they see the customer, and stops when they do not
    api.ok("assignWorkers", {"customerId": ada, "workerIds": [gid("Worker", agent.worker_id)]})
    url = agent.query(FILES.replace("name", "name downloadUrl"), id=ada)["customer"][
        "uploadedFiles"
    ]
    agents_link = url["edges"][0]["node"]["downloadUrl"]
    assert api.client.get(agents_link).content == PNG
    api.ok("unassignWorkers", {"customerId": ada, "workerIds": [gid("Worker", agent.worker_id)]})
    assert api.client.get(agents_link).status_code == 404
    # and a worker who loses `files.view` loses their links
    owner_link = file["downloadUrl"]
    manager = worker(api, "ADMIN", "Max")
    managers = manager.query(FILES.replace("name", "name downloadUrl"), id=ada)
    managers_link = managers["customer"]["uploadedFiles"]["edges"][0]["node"]["downloadUrl"]
    api.ok("setRolePermission", {"permission": "files.view", "role": "ADMIN", "granted": False})
    assert api.client.get(managers_link).status_code == 404
    assert api.client.get(owner_link).status_code == 200


def test_without_files_view_the_list_is_forbidden_and_nodes_are_null(api):
    ada = customer(api)
    file = uploaded(api, customer_id=ada)
    manager = worker(api, "ADMIN", "Max")
    api.ok("setRolePermission", {"permission": "files.view", "role": "ADMIN", "granted": False})
    errors = manager.errors(FILES, id=ada)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    node = manager.query("query($id: ID!) { node(id: $id) { id } }", id=file["id"])
    assert node == {"node": None}


def test_a_file_without_a_customer_is_its_uploaders_only(api):
    csv = b"name\nAda\n"
    file = uploaded(api, data=csv, name="import.csv", purpose="IMPORT")
    manager = worker(api, "ADMIN", "Max")
    query = "query($id: ID!) { node(id: $id) { ... on StoredFile { name } } }"
    assert api.query(query, id=file["id"]) == {"node": {"name": "import.csv"}}
    assert manager.query(query, id=file["id"]) == {"node": None}
    assert api.client.get(file["downloadUrl"]).content == csv


def test_another_tenants_file_is_not_found(api, other_api):
    file = uploaded(other_api, customer_id=customer(other_api))
    assert api.query("query($id: ID!) { node(id: $id) { id } }", id=file["id"]) == {"node": None}


# --- deletion, merge ----------------------------------------------------------------------------


def test_a_deleted_customers_files_vanish_and_are_removed_by_the_runners_job(api):
    ada, bob = customer(api, "Ada"), customer(api, "Bob")
    file = uploaded(api, customer_id=ada)
    kept = uploaded(api, customer_id=bob)
    api.ok("deleteCustomer", {"id": ada}, "deletedId")
    assert api.client.get(file["downloadUrl"]).status_code == 404
    app = api.client.app

    async def remove():
        return await service.remove_customer_files(
            app.state.db, app.state.storage, api.tenant_id, pk_of(ada)
        )

    assert wait_for_removal_job(api)["result"] == {"removed": 1}  # the delete's job
    assert run(api.client, remove) == 0  # again: nothing, no error
    assert [r["id"] for r in rows(api)] == [pk_of(kept["id"])]
    assert len(objects(api)) == 1

    # a living customer's files are never taken
    async def remove_living():
        return await service.remove_customer_files(
            app.state.db, app.state.storage, api.tenant_id, pk_of(bob)
        )

    assert run(api.client, remove_living) == 0
    assert api.client.get(kept["downloadUrl"]).content == PNG


def test_a_merge_keeps_the_duplicates_files_on_the_customer_it_went_into(api):
    ada, dup = customer(api, "Ada"), customer(api, "Ada (dup)")
    file = uploaded(api, customer_id=dup)
    api.ok("mergeCustomers", {"sourceId": dup, "targetId": ada}, "customer { id }")
    listed = api.query(FILES, id=ada)["customer"]["uploadedFiles"]
    assert [e["node"]["id"] for e in listed["edges"]] == [file["id"]]


# --- cost ---------------------------------------------------------------------------------------


def test_a_list_page_costs_the_same_statements_whatever_its_size(api, engine):
    # 12 against 3 shows a count that does not grow with the page as well as 50 against 5
    # would (no batch size or cut-off below 12 on this path), with a quarter of the rows.
    names = [{"name": f"C{i:02}"} for i in range(12)]
    ids = [p["customer"]["id"] for p in api.many("createCustomer", names, "customer { id }")]
    for target in ids[:3]:
        uploaded(api, customer_id=target)
    query = "query($n: Int!) { customers(first: $n) { edges { node { uploadedFiles(first: 2) { totalCount edges { node { name } } } } } } }"  # noqa: E501
    counts = []
    for n in (3, 12):
        api.query(query, n=n)
        with count_statements(engine) as counter:
            data = api.query(query, n=n)
        counts.append(counter.count)
        assert len(data["customers"]["edges"]) == n
    assert counts[0] == counts[1], counts
