"""CSV export of the customer list, through the public API on both databases: the column
catalogue, `exportCustomers` and its streamed link (`GET /exports/<token>`), the job path for
big lists with its stored file and timed removal, and every refusal of a link.

Two apps on the test database: `streaming` (pages of 3, everything inline) and `jobs`
(EXPORT_INLINE_MAX 0: every export is a job), so one tenant's export can be taken both ways
and the bytes compared."""

import csv
import io
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from core import csv_export_links as links
from core import jobs
from core.auth import Principal
from core.csv_export import Spec
from server import create_app
from tests.fixtures import new_tenant, run
from tests.support import SECRET, Api, as_worker, count_statements, create_worker, gid, pk_of

PAGE = 3
EXPORT = "url rowCount expiresAt job { id status }"
JOB = """query($id: ID!) { job(id: $id) { status result progress { done total }
  error { code message } downloadUrl } }"""
BOM = b"\xef\xbb\xbf"


def _app(settings, **changes):
    fast = {
        "export_page_size": PAGE,
        "job_concurrency": 2,
        "job_poll_seconds": 0.2,
        "job_retry_seconds": 0.05,
        "job_progress_seconds": 0.05,
        **changes,
    }
    return TestClient(create_app(settings.model_copy(update=fast)))


@pytest.fixture(scope="module")
def streaming(settings):
    with _app(settings, job_poll_seconds=0) as client:
        yield client


@pytest.fixture(scope="module")
def job_app(settings):
    with _app(settings, export_inline_max=0) as client:
        yield client


@pytest.fixture
def owner(streaming) -> Api:
    return new_tenant(streaming)


def export(api: Api, **input) -> dict:
    return api.ok("exportCustomers", input, EXPORT)


def problems(api: Api, **input) -> list[tuple[list, str]]:
    found = api.mutate("exportCustomers", input, EXPORT)
    return [(e["field"], e["code"]) for e in found["userErrors"]]


def fetch(api: Api, url: str):
    return api.client.get(url)


def table(body: bytes, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline=""), delimiter=delimiter))


def customer(api: Api, name: str, **fields) -> str:
    return api.ok("createCustomer", {"name": name, **fields}, "customer { id }")["customer"]["id"]


def tag(api: Api, name: str) -> str:
    return api.ok("createTag", {"name": name, "color": "#112233"}, "tag { id }")["tag"]["id"]


def refusal(response) -> tuple[int, str]:
    return response.status_code, response.json()["errors"][0]["extensions"]["code"]


def grant(owner: Api, worker: Api, permission: str, granted: bool | None = True) -> None:
    owner.ok(
        "setWorkerPermission",
        {"workerId": gid("Worker", worker.worker_id), "permission": permission, "granted": granted},
        "table { __typename }",
    )


def wait_for_job(api: Api, job_id: str, within: float = 20.0) -> dict:
    deadline = time.monotonic() + within
    while True:
        found = api.query(JOB, id=job_id)["job"]
        if found["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return found
        assert time.monotonic() < deadline, f"the export job never finished: {found}"
        time.sleep(0.05)


# --- the catalogue and the checks -------------------------------------------------------------


def test_the_columns_are_the_tenants_own(owner):
    def columns() -> dict[str, dict]:
        found = owner.query("{ customerExportColumns { name label type } }")
        return {c["name"]: c for c in found["customerExportColumns"]}

    before = columns()
    assert before["city"] == {"name": "city", "label": "City", "type": "TEXT"}
    assert before["tag"]["type"] == "LIST" and before["createdAt"]["type"] == "DATETIME"
    assert before["billingAddress.postalCode"]["label"] == "Billing address: postal code"
    assert {"id", "name", "emails", "jobTitle", "dateOfBirth", "parent", "status"} <= set(before)
    assert "tickets.open" not in before and not any(n.startswith("customFields.") for n in before)
    spec = {"key": "vip_level", "label": "VIP level", "type": "NUMBER"}
    owner.ok("createCustomFieldDefinition", spec, "definition { id }")
    owner.enable("tickets")
    after = columns()
    assert after["customFields.vip_level"] == {
        "name": "customFields.vip_level",
        "label": "VIP level",
        "type": "NUMBER",
    }
    assert after["tickets.open"] == {"name": "tickets.open", "label": "Tickets: open",
                                     "type": "NUMBER"}  # fmt: skip
    # A summary the worker may not read is no column of theirs.
    manager = as_worker(owner, create_worker(owner, "Manager Max", "MANAGER"))
    grant(owner, manager, "tickets.view", False)
    listed = manager.query("{ customerExportColumns { name } }")["customerExportColumns"]
    assert "tickets.open" not in {c["name"] for c in listed}
    assert problems(manager, columns=["name", "tickets.open"]) == [
        (["input", "columns", "1"], "UNKNOWN_COLUMN")
    ]


def test_unknown_columns_and_bad_filters_are_coded_user_errors(owner):
    assert problems(owner, columns=["name", "shoeSize"]) == [
        (["input", "columns", "1"], "UNKNOWN_COLUMN")
    ]
    assert problems(owner, columns=[]) == [(["input", "columns"], "REQUIRED")]
    assert problems(owner, columns=["city", "city"]) == [(["input", "columns", "1"], "DUPLICATE")]
    where = {"field": "shoeSize", "op": "EQ", "value": 42}
    assert problems(owner, columns=["name"], where=where) == [
        (["input", "where", "field"], "UNKNOWN_FIELD")
    ]
    order = {"key": "notes"}
    assert problems(owner, columns=["name"], orderBy=order)[0][1] == "INVALID_VALUE"


# --- the streamed path ------------------------------------------------------------------------


def test_a_filtered_export_with_custom_fields_and_module_summaries(owner):
    owner.enable("tickets")
    spec = {"key": "vip_level", "label": "VIP level", "type": "NUMBER"}
    owner.ok("createCustomFieldDefinition", spec, "definition { id }")
    vip, new = tag(owner, "VIP"), tag(owner, "New")
    ada = customer(
        owner, "Ada", city="Berlin", tagIds=[vip, new],
        customFields=[{"key": "vip_level", "number": 3}],
        billingAddress={"line1": "Main St 1", "city": "Berlin", "country": "de"},
        emails=[{"value": "ada@example.com"}, {"value": "ada@work.example.com"}],
    )  # fmt: skip
    customer(owner, "Bob", city="berlin")
    customer(owner, "Cy", city="Paris", tagIds=[vip])
    for subject in ("Printer", "Login"):
        owner.ok("openTicket", {"customerId": ada, "subject": subject}, "ticket { id }")
    columns = ["id", "name", "city", "tag", "emails", "customFields.vip_level", "tickets.open",
               "billingAddress.city", "billingAddress.country", "createdAt"]  # fmt: skip
    made = export(
        owner,
        columns=columns,
        where={"field": "city", "op": "EQ", "value": "Berlin"},
        orderBy={"field": "NAME", "direction": "ASC"},
    )
    assert made["rowCount"] == 2 and made["job"] is None
    assert datetime.fromisoformat(made["expiresAt"]) > datetime.now(UTC)
    response = fetch(owner, made["url"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="customers-')
    assert not response.content.startswith(BOM)
    header, first, second = table(response.content)
    assert header == ["ID", "Name", "City", "Tags", "Emails", "VIP level", "Tickets: open",
                      "Billing address: city", "Billing address: country",
                      "Created at"]  # fmt: skip
    assert first[:9] == [ada, "Ada", "Berlin", "VIP; New", "ada@example.com; ada@work.example.com",
                         "3", "2", "Berlin", "DE"]  # fmt: skip
    assert datetime.fromisoformat(first[9]).tzinfo is not None
    assert second[1:9] == ["Bob", "berlin", "", "", "", "0", "", ""]
    assert response.content.count(b"\r\n") == 3


def test_formula_cells_are_escaped_and_the_bom_and_delimiter_follow_the_input(owner):
    customer(owner, "=HYPERLINK(\"http://evil\")", company="@SUM(A1)", city="+49 Berlin",
             notes="-1 and more", leadSource='Say "hi"; bye')  # fmt: skip
    columns = ["name", "company", "city", "notes", "leadSource", "blocked"]
    made = export(owner, columns=columns, bom=True, delimiter="SEMICOLON")
    body = fetch(owner, made["url"]).content
    assert body.startswith(BOM) and not body.startswith(BOM + BOM)
    header, row = table(body[len(BOM) :], ";")
    assert header == ["Name", "Company", "City", "Notes", "Lead source", "Blocked"]
    assert row == ["'=HYPERLINK(\"http://evil\")", "'@SUM(A1)", "'+49 Berlin", "'-1 and more",
                   'Say "hi"; bye', "false"]  # fmt: skip
    assert b'"Say ""hi""; bye"' in body
    tabbed = fetch(owner, export(owner, columns=["name", "city"], delimiter="TAB")["url"])
    assert tabbed.content.split(b"\r\n")[0] == b"Name\tCity"


def test_a_restricted_worker_exports_only_what_they_see(owner):
    agent = as_worker(owner, create_worker(owner, "Agent Ann"))
    customer(owner, "Assigned", workerIds=[gid("Worker", agent.worker_id)])
    customer(owner, "Somebody else's")
    refused = agent.errors('mutation { exportCustomers(input: {columns: ["name"]}) { url } }')
    assert refused[0]["extensions"]["code"] == "FORBIDDEN"
    grant(owner, agent, "customers.export")
    made = export(agent, columns=["name", "worker"])
    assert made["rowCount"] == 1
    assert table(fetch(agent, made["url"]).content)[1:] == [["Assigned", "Agent Ann"]]
    everything = table(fetch(owner, export(owner, columns=["name"])["url"]).content)
    assert sorted(r[0] for r in everything[1:]) == ["Assigned", "Somebody else's"]
    # The link is checked again when used: the permission taken away, it is refused.
    grant(owner, agent, "customers.export", False)
    assert refusal(fetch(agent, made["url"])) == (403, "FORBIDDEN")


def test_the_stream_reads_per_page_not_per_row(owner, streaming):
    folder = owner.ok("createFolder", {"name": "Leads", "color": "#445566"}, "folder { id }")
    folder_id = folder["folder"]["id"]
    vip = tag(owner, "VIP")
    me = gid("Worker", owner.worker_id)

    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            customer(
                owner, f"C{n:02}", tagIds=[vip], workerIds=[me], folders=[{"folderId": folder_id}],
                billingAddress={"line1": f"Street {n}", "city": "Berlin", "country": "DE"},
            )  # fmt: skip

    columns = ["name", "tag", "worker", "folder", "billingAddress.line1", "parent"]

    def statements() -> tuple[int, list[list[str]]]:
        url = export(owner, columns=columns, orderBy={"field": "NAME", "direction": "ASC"})["url"]
        with count_statements(streaming.app.state.db.engine) as counter:
            body = fetch(owner, url).content
        return counter.count, table(body)

    add(PAGE, 0)
    one_page, rows = statements()
    assert len(rows) == 1 + PAGE
    add(2 * PAGE, PAGE)
    three_pages, rows = statements()
    assert [r[0] for r in rows[1:]] == [f"C{n:02}" for n in range(3 * PAGE)]
    assert rows[-1][1:] == ["VIP", "Olivia Owner", "Leads", "Street 8", ""]
    # Two more pages of 3 rows with 4 link columns: per row that would be 24 more reads.
    assert three_pages - one_page <= 2 * 7, (one_page, three_pages)


# --- the job path -----------------------------------------------------------------------------


def test_a_big_export_runs_as_a_job_with_the_same_bytes(owner, job_app, streaming):
    vip = tag(owner, "VIP")
    for n in range(2 * PAGE + 1):
        customer(owner, f"Person {n}", city="Köln", tagIds=[vip] if n % 2 else [])
    input = {
        "columns": ["name", "city", "tag", "createdAt"],
        "where": {"field": "city", "op": "STARTS_WITH", "value": "kö"},
        "bom": True,
    }
    streamed = fetch(owner, export(owner, **input)["url"]).content
    as_job = Api(job_app, owner.tenant_id, owner.worker_id)
    made = export(as_job, **input)
    assert made["url"] is None and made["job"]["status"] == "QUEUED"
    assert made["rowCount"] == 2 * PAGE + 1
    done = wait_for_job(as_job, made["job"]["id"])
    assert done["status"] == "SUCCEEDED", done
    assert done["progress"] == {"done": 2 * PAGE + 1, "total": 2 * PAGE + 1}
    assert done["result"]["rows"] == 2 * PAGE + 1
    assert done["result"]["name"].startswith("customers-")
    stored = fetch(as_job, done["downloadUrl"])
    assert stored.status_code == 200, stored.text
    assert stored.content == streamed
    assert table(stored.content[len(BOM) :])[1][1] == "Köln"


def test_links_are_refused_when_forged_expired_foreign_or_removed(owner, job_app):
    customer(owner, "Ada")
    as_job = Api(job_app, owner.tenant_id, owner.worker_id)
    made = export(as_job, columns=["name"])
    job_id = made["job"]["id"]
    done = wait_for_job(as_job, job_id)
    url = done["downloadUrl"]
    assert fetch(owner, url).status_code == 200
    base = url.rsplit("/", 1)[0]

    assert refusal(fetch(owner, f"{base}/not-a-token")) == (401, "UNAUTHENTICATED")
    me = Principal(owner.tenant_id, owner.worker_id, "owner")
    forged = links.job_token("another-key-that-is-long-enough-for-hs256", me, 1, 300)
    assert refusal(fetch(owner, f"{base}/{forged}")) == (401, "UNAUTHENTICATED")
    expired = links.stream_token(SECRET, me, Spec(columns=["name"]), -5)
    assert refusal(fetch(owner, f"{base}/{expired}")) == (403, "DOWNLOAD_LINK_EXPIRED")

    # Another tenant: the job does not exist for them, by query or by link.
    other = new_tenant(owner.client, "Other Business")
    assert other.query(JOB, id=job_id)["job"] is None
    theirs = Principal(other.tenant_id, other.worker_id, "owner")
    job_pk = pk_of(job_id)
    stolen = links.job_token(SECRET, theirs, job_pk, 300)
    assert refusal(fetch(owner, f"{base}/{stolen}")) == (404, "NOT_FOUND")
    # A colleague who may export but not see others' jobs.
    agent = as_worker(owner, create_worker(owner, "Agent Ann"))
    grant(owner, agent, "customers.export")
    assert agent.query(JOB, id=job_id)["job"] is None
    colleague = Principal(owner.tenant_id, agent.worker_id, "agent")
    peeking = links.job_token(SECRET, colleague, job_pk, 300)
    assert refusal(fetch(owner, f"{base}/{peeking}")) == (404, "NOT_FOUND")

    # Its removal comes due: the file goes, the job says so, the old link is 410.
    key = done["result"]["key"]
    storage = job_app.app.state.storage

    async def due():
        async with job_app.app.state.db.transaction(owner.tenant_id) as session:
            await session.execute(
                update(jobs.Job)
                .where(jobs.Job.tenant_id == owner.tenant_id, jobs.Job.kind == links.CLEANUP_KIND)
                .values(run_after=datetime.now(UTC))
            )
        job_app.app.state.jobs.wake()

    assert run(job_app, storage.exists, key)
    run(job_app, due)
    deadline = time.monotonic() + 20
    while as_job.query(JOB, id=job_id)["job"]["downloadUrl"] is not None:
        assert time.monotonic() < deadline, "the export's file was never removed"
        time.sleep(0.05)
    assert not run(job_app, storage.exists, key)
    assert as_job.query(JOB, id=job_id)["job"]["result"]["expired"] is True
    assert refusal(fetch(owner, url)) == (410, "EXPORT_EXPIRED")
