"""CSV imports through the public API, on both databases: upload and detection (delimiter,
BOM, cp1252), the guessed mapping, bad files, the preview (no writes), the run as a job with
its report, duplicate handling by external id and email, revert, permissions and tenants.
The crash of a real process mid-import is `test_an_import_resumes_after_a_killed_process`."""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest
from starlette.testclient import TestClient

from server import create_app
from tests import servers
from tests.fixtures import Templates, new_tenant
from tests.servers import AppServer, graphql, owner_token
from tests.support import SECRET, Api, as_worker, create_worker
from tests.uploads import PNG, multipart

IMPORT = """id status fileName encoding delimiter headers rowCount mapping { column field }
  duplicateMode matchBy report { created updated skipped failed }"""
START = (
    "mutation($input: StartCustomerImportInput!) { startCustomerImport(input: $input) { "
    f"customerImport {{ {IMPORT} }} userErrors {{ field message code }} }} }}"
)
JOB = "query($id: ID!) { job(id: $id) { status attempts progress { done total } result } }"
FIND = "query($id: ID!) { customerImport(id: $id) { " + IMPORT + " } }"
FAILURES = """query($id: ID!, $after: String) { customerImport(id: $id) { report {
  failures(first: 2, after: $after) { edges { node { line code message } }
  pageInfo { hasNextPage endCursor } } } } }"""
PREVIEW = """query($id: ID!) { previewCustomerImport(importId: $id, rows: 10) {
  line outcome customerId code message values } }"""
CUSTOMERS = """query($search: String) { customers(first: 100, filter: {search: $search}) {
  totalCount nodes { id name externalId company primaryEmail tags { name } } } }"""
FINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


@pytest.fixture(scope="module")
def import_client(settings):
    fast = settings.model_copy(
        update={
            "job_poll_seconds": 0.2,
            "job_progress_seconds": 0.05,
            "job_retry_seconds": 0.05,
            "import_max_rows": 50,
            "import_chunk_rows": 3,
        }
    )
    with TestClient(create_app(fast)) as client:
        yield client


@pytest.fixture
def owner(import_client) -> Api:
    return new_tenant(import_client)


def start(api: Api, data: bytes, name: str = "customers.csv") -> dict:
    files = {"0": (["variables.input.file"], name, data, "text/csv")}
    response = multipart(api, START, {"input": {"file": None}}, files)
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]["startCustomerImport"]


def started(api: Api, data: bytes, **kwargs) -> dict:
    payload = start(api, data, **kwargs)
    assert payload["userErrors"] == [], payload
    return payload["customerImport"]


def mapped(api: Api, import_id: str, columns: dict, **options) -> dict:
    items = [{"column": c, "field": f} for c, f in columns.items()]
    return api.ok(
        "setCustomerImportMapping",
        {"importId": import_id, "columns": items, **options},
        "customerImport { id mapping { column field } duplicateMode matchBy }",
    )["customerImport"]


def wait_job(api: Api, job_id: str, within: float = 20.0) -> dict:
    deadline = time.monotonic() + within
    while True:
        found = api.query(JOB, id=job_id)["job"]
        if found["status"] in FINAL:
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.03)


def run(api: Api, import_id: str, mutation: str = "runCustomerImport") -> dict:
    payload = api.ok(mutation, {"importId": import_id}, "job { id } customerImport { status }")
    job = wait_job(api, payload["job"]["id"])
    assert job["status"] == "SUCCEEDED", job
    return api.query(FIND, id=import_id)["customerImport"]


def customers(api: Api, search: str | None = None) -> list[dict]:
    return api.query(CUSTOMERS, search=search)["customers"]["nodes"]


def test_upload_detects_semicolons_and_a_bom_and_guesses_the_mapping(owner):
    data = "\ufeffName;E-mail;Phone;Firma;Notizen\nAda;ada@example.com;+1 555 0100;ACME;x\n"
    found = started(owner, data.encode("utf-8") + b"\n;;;;\nBob;;;;\n")
    assert found["encoding"] == "utf-8-sig" and found["delimiter"] == ";"
    assert found["headers"] == ["Name", "E-mail", "Phone", "Firma", "Notizen"]
    assert found["rowCount"] == 2 and found["status"] == "READY"
    assert found["mapping"] == [
        {"column": "Name", "field": "name"},
        {"column": "E-mail", "field": "email"},
        {"column": "Phone", "field": "phone"},
    ]


def test_cp1252_and_tabs_are_detected(owner):
    data = "name\tcity\nZoë Müller\tKöln\n".encode("cp1252")
    found = started(owner, data)
    assert (found["encoding"], found["delimiter"]) == ("cp1252", "\t")
    mapped(owner, found["id"], {"name": "name", "city": "city"})
    run(owner, found["id"])
    (ada,) = customers(owner)
    assert ada["name"] == "Zoë Müller"


def test_bad_files_are_coded_errors(owner):
    def code(data: bytes, name: str = "x.csv") -> str:
        payload = start(owner, data, name)
        assert payload["customerImport"] is None
        return payload["userErrors"][0]["code"]

    assert code(PNG, "photo.png") == "TYPE_NOT_ALLOWED"
    assert code(b"name\nAda\x00\x01\x02\x03\x04\x05\x06\x07\x08\n") == "TYPE_NOT_ALLOWED"
    assert code(b"   \n") == "EMPTY_FILE"
    assert code(b"name,email\n") == "EMPTY_FILE"
    rows = "".join(f"Person {i}\n" for i in range(51))
    assert code(f"name\n{rows}".encode()) == "TOO_MANY_ROWS"


def test_mapping_refuses_unknown_fields_and_columns_and_saves_by_name(owner):
    found = started(owner, b"name,extra\nAda,1\n")
    items = [{"column": "extra", "field": "shoeSize"}, {"column": "nope", "field": "name"}]
    payload = owner.mutate(
        "setCustomerImportMapping",
        {"importId": found["id"], "columns": items},
        "customerImport { id }",
    )
    assert {(tuple(e["field"]), e["code"]) for e in payload["userErrors"]} == {
        (("input", "columns", "0", "field"), "UNKNOWN_FIELD"),
        (("input", "columns", "1", "column"), "NOT_FOUND"),
    }
    mapped(owner, found["id"], {"name": "name", "extra": "notes"}, saveAs="Shop export")
    saved = owner.query("{ customerImportMappings { id name columns { column field } matchBy } }")
    (mapping,) = saved["customerImportMappings"]
    assert mapping["name"] == "Shop export" and len(mapping["columns"]) == 2
    gone = owner.ok("deleteCustomerImportMapping", {"id": mapping["id"]}, "deletedId")
    assert gone["deletedId"] == mapping["id"]
    assert owner.query("{ customerImportMappings { id } }")["customerImportMappings"] == []
    template = owner.query("{ customerImportTemplate }")["customerImportTemplate"]
    assert template.startswith("name,kind,company") and "externalId" in template


def test_preview_shows_what_would_happen_and_writes_nothing(owner):
    owner.ok(
        "createCustomer",
        {"name": "Old", "emails": [{"value": "old@example.com"}]},
        "customer { id }",
    )
    data = (
        b"name,email,status\nNew,new@example.com,\nOld again,old@example.com,\n"
        b",x@example.com,\nBad,nope,Nonesuch\n"
    )
    found = started(owner, data)
    rows = owner.query(PREVIEW, id=found["id"])["previewCustomerImport"]
    assert [(r["line"], r["outcome"], r["code"]) for r in rows] == [
        (2, "CREATED", None),
        (3, "SKIPPED", "DUPLICATE"),
        (4, "FAILED", "REQUIRED"),
        (5, "FAILED", "NOT_FOUND"),
    ]
    assert rows[1]["customerId"] is not None and rows[0]["values"]["name"] == "New"
    assert "not an email" in rows[3]["message"] and "Nonesuch" in rows[3]["message"]
    assert [c["name"] for c in customers(owner)] == ["Old"]
    assert owner.query(FIND, id=found["id"])["customerImport"]["report"]["created"] == 0


def test_a_run_is_a_job_with_progress_and_a_report_of_failures(owner):
    owner.ok("createTag", {"name": "VIP", "color": "#ff0000"}, "tag { id }")
    lines = ["name,email,tags,externalId"]
    lines += [f"P{i},p{i}@example.com,vip,ext-{i}" for i in range(7)]
    lines += ["Broken,broken,,", ",,,", "NoTag,,Gold,", "Dup,,,ext-1"]
    found = started(owner, "\n".join(lines).encode())
    assert found["rowCount"] == 10
    mapped(
        owner,
        found["id"],
        {"name": "name", "email": "email", "tags": "tags", "externalId": "externalId"},
        duplicateMode="CREATE",
        matchBy="EXTERNAL_ID",
    )
    payload = owner.ok("runCustomerImport", {"importId": found["id"]}, "job { id kind }")
    assert payload["job"]["kind"] == "customers.import"
    job = wait_job(owner, payload["job"]["id"])
    assert job["status"] == "SUCCEEDED" and job["progress"] == {"done": 10, "total": 10}
    assert job["result"] == {"created": 7, "updated": 0, "skipped": 0, "failed": 3}
    done = owner.query(FIND, id=found["id"])["customerImport"]
    assert done["status"] == "DONE" and done["report"]["failed"] == 3
    page = owner.query(FAILURES, id=found["id"])["customerImport"]["report"]["failures"]
    assert [(e["node"]["line"], e["node"]["code"]) for e in page["edges"]] == [
        (9, "INVALID"),
        (11, "NOT_FOUND"),
    ]
    assert page["pageInfo"]["hasNextPage"]
    rest = owner.query(FAILURES, id=found["id"], after=page["pageInfo"]["endCursor"])
    (last,) = rest["customerImport"]["report"]["failures"]["edges"]
    assert (last["node"]["line"], last["node"]["code"]) == (12, "TAKEN")
    made = {c["externalId"]: c for c in customers(owner)}
    assert sorted(made) == [f"ext-{i}" for i in range(7)]
    assert made["ext-3"]["tags"] == [{"name": "VIP"}]
    assert made["ext-3"]["primaryEmail"] == "p3@example.com"
    assert [c["name"] for c in customers(owner, "p5@example")] == ["P5"]  # search kept
    again = owner.mutate("runCustomerImport", {"importId": found["id"]}, "job { id }")
    assert again["userErrors"][0]["code"] == "INVALID_TRANSITION"


@pytest.mark.parametrize(
    ("mode", "outcome"),
    [("SKIP", (1, 0, 1)), ("UPDATE", (1, 1, 0)), ("CREATE", (0, 0, 0))],
)
def test_duplicates_by_external_id(owner, mode, outcome):
    owner.ok(
        "createCustomer", {"name": "Ada", "externalId": "A1", "company": "Old"}, "customer { id }"
    )
    found = started(owner, b"id,name,company\nA1,Ada Lovelace,New Co\nB2,Bob,Bob Co\n")
    mapped(
        owner,
        found["id"],
        {"id": "externalId", "name": "name", "company": "company"},
        duplicateMode=mode,
        matchBy="EXTERNAL_ID",
    )
    report = run(owner, found["id"])["report"]
    created = 1
    updated, skipped = outcome[1], outcome[2]
    failed = 1 if mode == "CREATE" else 0  # a new customer cannot take A1: TAKEN
    assert report == {"created": created, "updated": updated, "skipped": skipped, "failed": failed}
    ada = next(c for c in customers(owner) if c["externalId"] == "A1")
    assert ada["company"] == ("New Co" if mode == "UPDATE" else "Old")


def test_update_by_email_and_revert_restores_everything(owner):
    kept = owner.ok(
        "createCustomer",
        {"name": "Ada", "company": "Old", "emails": [{"value": "ada@example.com"}]},
        "customer { id }",
    )["customer"]["id"]
    data = (
        b"email,company,name\nADA@example.com,New,Ada L\nbob@example.com,Bob Co,Bob\n"
        b"cy@example.com,Cy Co,Cy\ndan@example.com,Dan Co,Dan\nada@example.com,Newer,Ada M\n"
    )
    found = started(owner, data)  # chunks of 3: Ada changes in the first and the second
    mapped(
        owner,
        found["id"],
        {"email": "email", "company": "company", "name": "name"},
        duplicateMode="UPDATE",
        matchBy="EMAIL",
    )
    report = run(owner, found["id"])["report"]
    assert report == {"created": 3, "updated": 2, "skipped": 0, "failed": 0}
    assert sorted((c["name"], c["company"]) for c in customers(owner)) == [
        ("Ada M", "Newer"),
        ("Bob", "Bob Co"),
        ("Cy", "Cy Co"),
        ("Dan", "Dan Co"),
    ]
    reverted = run(owner, found["id"], "revertCustomerImport")
    assert reverted["status"] == "REVERTED"
    assert [(c["id"], c["name"], c["company"]) for c in customers(owner)] == [(kept, "Ada", "Old")]
    twice = owner.mutate("revertCustomerImport", {"importId": found["id"]}, "job { id }")
    assert twice["userErrors"][0]["code"] == "INVALID_TRANSITION"


def test_permissions_and_tenants(owner, import_client):
    found = started(owner, b"name\nAda\n")
    agent = as_worker(owner, create_worker(owner, "Agnes", "AGENT"))
    assert agent.query(FIND, id=found["id"])["customerImport"] is None
    files = {"0": (["variables.input.file"], "a.csv", b"name\nAda\n", "text/csv")}
    response = multipart(agent, START, {"input": {"file": None}}, files).json()
    assert response["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other = new_tenant(import_client)
    assert other.query(FIND, id=found["id"])["customerImport"] is None
    payload = other.mutate("runCustomerImport", {"importId": found["id"]}, "job { id }")
    assert payload["userErrors"][0]["code"] == "NOT_FOUND"
    assert other.query(PREVIEW, id=found["id"])["previewCustomerImport"] == []


# --- a crash mid-run ------------------------------------------------------------------------------

N = 2000


@contextmanager
def own_database(database_url: str, templates: Templates, tmp_path_factory) -> Iterator[str]:
    """A database for the two processes alone, a copy of the migrated template: the suite's
    in-process apps run import jobs too, and one of them (with another storage folder) would
    take the job over."""
    if database_url.startswith("sqlite"):
        yield templates.sqlite_copy(tmp_path_factory)
        return
    with templates.postgresql_copy(database_url, tmp_path_factory) as url:
        yield url


def test_an_import_resumes_after_a_killed_process(
    database_url, templates, tmp_path_factory, tmp_path
):
    """SIGKILL mid-run; a second process takes the job over after its lease and finishes it
    from the last committed chunk: every line once, no customer twice."""
    with own_database(database_url, templates, tmp_path_factory) as url:
        killed_and_resumed(url, tmp_path)


def killed_and_resumed(database_url: str, tmp_path: Path) -> None:
    environment = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "JOB_LEASE_SECONDS": "1.5",
        "JOB_POLL_SECONDS": "0.2",
        "JOB_PROGRESS_SECONDS": "0.1",
        "OUTBOX_SWEEP_SECONDS": "0",
        "STORAGE_DIR": str(tmp_path / "uploads"),
        "IMPORT_CHUNK_ROWS": "5",
    }
    token = owner_token(database_url, "Import")
    made: list[AppServer] = []
    try:
        a = servers.started(made, "a", tmp_path, environment)
        data = "externalId,name\n" + "".join(f"ext-{i},Person {i}\n" for i in range(N))
        operations = {"query": START, "variables": {"input": {"file": None}}}
        response = httpx2.post(
            f"{a.url}/graphql",
            data={"operations": json.dumps(operations), "map": '{"0": ["variables.input.file"]}'},
            files={"0": ("big.csv", data.encode(), "text/csv")},
            headers={"Authorization": f"Bearer {token}", "Apollo-Require-Preflight": "true"},
            timeout=30,
        )
        found = response.json()["data"]["startCustomerImport"]["customerImport"]
        assert found["rowCount"] == N
        assert {"column": "externalId", "field": "externalId"} in found["mapping"]
        run_doc = """mutation($input: RunCustomerImportInput!) { runCustomerImport(input: $input)
          { job { id } userErrors { code } } }"""
        job_id = graphql(a, token, run_doc, input={"importId": found["id"]})["runCustomerImport"]
        job_id = job_id["job"]["id"]
        deadline = time.monotonic() + 60
        while graphql(a, token, JOB, id=job_id)["job"]["progress"]["done"] < 100:
            assert time.monotonic() < deadline, a.log_tail()
            time.sleep(0.02)
        a.process.kill()
        a.process.wait(timeout=5)
        b = servers.started(made, "b", tmp_path, environment)
        deadline = time.monotonic() + 120
        while (job := graphql(b, token, JOB, id=job_id)["job"])["status"] not in FINAL:
            assert time.monotonic() < deadline, (job, b.log_tail())
            time.sleep(0.1)
        assert job["status"] == "SUCCEEDED", (job, b.log_tail())
        assert job["attempts"] == 2
        assert job["result"] == {"created": N, "updated": 0, "skipped": 0, "failed": 0}
        count = graphql(b, token, "{ customers { totalCount } }")["customers"]["totalCount"]
        assert count == N
    finally:
        for app in made:
            app.stop()


def test_imported_customers_are_found_by_email_and_phone_afterwards(owner):
    """The bulk INSERT writes the identity rows the ORM listener would have."""
    first = started(owner, b"name,email,phone\nAda,ada@example.com,+44 20 7946 0958\n")
    run(owner, first["id"])
    again = b"name,email,phone\nAda 2,ADA@example.com,\nAda 3,,020 7946 0958\nBob,bob@x.org,\n"
    for match_by in ("EMAIL", "PHONE"):
        found = started(owner, again)
        mapped(
            owner,
            found["id"],
            {"name": "name", "email": "email", "phone": "phone"},
            matchBy=match_by,
        )
        rows = owner.query(PREVIEW, id=found["id"])["previewCustomerImport"]
        skipped = [r["line"] for r in rows if r["outcome"] == "SKIPPED"]
        assert skipped == ([2] if match_by == "EMAIL" else [3]), rows


def test_a_manager_s_imported_customers_are_assigned_to_them(owner):
    """As createCustomer does for a worker without `customers.view_all`: else a manager
    would import customers they cannot see. A manager may revert their import: erasing what
    it created is not erasure of a customer (`customers.erase`)."""
    manager = as_worker(owner, create_worker(owner, "Mia", "MANAGER"))
    found = started(manager, b"name\nAda\nBob\n")
    run(manager, found["id"])
    assert sorted(c["name"] for c in customers(manager)) == ["Ada", "Bob"]
    workers = owner.query("{ customers(first: 10) { nodes { workers { name } } } }")
    assert [n["workers"] for n in workers["customers"]["nodes"]] == [[{"name": "Mia"}]] * 2
    run(manager, found["id"], "revertCustomerImport")  # needs customers.delete, not .erase
    assert customers(owner) == []


def test_external_ids_are_unique_in_the_tenant(owner, import_client):
    first = owner.ok("createCustomer", {"name": "A", "externalId": "X1"}, "customer { id }")
    again = owner.mutate("createCustomer", {"name": "B", "externalId": "X1"}, "customer { id }")
    assert [e["code"] for e in again["userErrors"]] == ["TAKEN"]
    other = owner.ok("createCustomer", {"name": "B"}, "customer { id }")["customer"]["id"]
    taken = owner.mutate("updateCustomer", {"id": other, "externalId": "X1"}, "customer { id }")
    assert [e["code"] for e in taken["userErrors"]] == ["TAKEN"]
    same = {"id": first["customer"]["id"], "externalId": "X1", "name": "A2"}
    assert owner.ok("updateCustomer", same, "customer { externalId name }")["customer"] == {
        "externalId": "X1",
        "name": "A2",
    }
    elsewhere = new_tenant(import_client)  # another tenant may use the same id
    elsewhere.ok("createCustomer", {"name": "C", "externalId": "X1"}, "customer { id }")
