"""Recordings through real multipart requests, on both databases: upload (duration read from
the audio), types refused, playback with Range requests, who may play, API-key ingest
(idempotent), editing and deleting (the audio leaves the storage), merging and erasing, the
demo's WAV files, another tenant, and the list's statement count."""

import pytest

from plugins.recordings import demo
from plugins.recordings.demo import tone
from tests.fixtures import run
from tests.support import Api, count_statements, gid, pk_of
from tests.test_archive import wait_for_removal_job
from tests.test_uploads import customer, objects, rows, worker
from tests.uploads import PDF, PNG, multipart

ADD = """mutation($input: AddRecordingInput!) { addRecording(input: $input) {
  recording { id direction kind otherPartyNumber durationSeconds title size contentType
              activityId playbackUrl worker { id } customer { id } }
  userErrors { field code } } }"""
TAB = """query($id: ID!) { customer(id: $id) { recordings { count
  all(first: 10) { totalCount edges { node { id title playbackUrl } } } } } }"""
WAV = tone(1.0, 440)


def add(api: Api, customer_id: str, data: bytes = WAV, name="call.wav", token=None, **input):
    values = {"customerId": customer_id, "direction": "INBOUND", "file": None, **input}
    files = {"0": (["variables.input.file"], name, data, "audio/wav")}
    response = multipart(api, ADD, {"input": values}, files, token=token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]["addRecording"]


def added(api: Api, customer_id: str, **kwargs) -> dict:
    payload = add(api, customer_id, **kwargs)
    assert payload["userErrors"] == [], payload
    return payload["recording"]


@pytest.fixture
def rec(api):
    api.enable("recordings")
    return api


def test_a_recording_is_stored_listed_and_its_duration_read(rec):
    ada = customer(rec)
    recording = added(
        rec, ada, otherPartyNumber="+49 (30) 123-4567", title="Support call", kind="CALL"
    )
    assert recording["durationSeconds"] == 1 and recording["contentType"] == "audio/wav"
    assert recording["otherPartyNumber"] == "+49301234567" and recording["size"] == len(WAV)
    assert recording["worker"]["id"] == gid("Worker", rec.worker_id)
    tab = rec.query(TAB, id=ada)["customer"]["recordings"]
    assert tab["count"] == 1 and tab["all"]["edges"][0]["node"]["title"] == "Support call"
    # not one of the customer's documents
    files = rec.query(
        "query($id: ID!) { customer(id: $id) { uploadedFiles { totalCount } } }", id=ada
    )
    assert files["customer"]["uploadedFiles"]["totalCount"] == 0
    # filters
    added(rec, ada, direction="OUTBOUND", kind="MEETING", durationSeconds=90, data=WAV)
    query = """query($id: ID!, $d: RecordingDirection, $k: RecordingKind) { customer(id: $id) {
      recordings { all(direction: $d, kind: $k) { totalCount } } } }"""
    total = lambda **v: rec.query(query, id=ada, **v)["customer"]["recordings"]["all"]["totalCount"]  # noqa: E731
    assert (total(), total(d="OUTBOUND"), total(k="CALL"), total(d="INBOUND", k="MEETING")) == (
        2,
        1,
        1,
        0,
    )


def test_wrong_types_and_bad_numbers_are_refused_and_leave_nothing(rec):
    ada = customer(rec)
    for data, name in ((PDF, "call.wav"), (PNG, "call.mp3"), (b"<html>x</html>", "a.ogg")):
        payload = add(rec, ada, data=data, name=name)
        assert [e["code"] for e in payload["userErrors"]] == ["TYPE_NOT_ALLOWED"]
    payload = add(rec, ada, otherPartyNumber="call me maybe")
    assert payload["userErrors"] == [
        {"field": ["input", "otherPartyNumber"], "code": "INVALID_PHONE"}
    ]
    assert rows(rec) == [] and objects(rec) == []


def test_playback_answers_range_requests(rec):
    ada = customer(rec)
    url = added(rec, ada)["playbackUrl"]
    size = len(WAV)
    whole = rec.client.get(url)
    assert whole.status_code == 200 and whole.content == WAV
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-disposition"].startswith("inline;")
    assert whole.headers["content-type"] == "audio/wav"
    first = rec.client.get(url, headers={"Range": "bytes=0-99"})
    assert first.status_code == 206 and first.content == WAV[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{size}"
    assert first.headers["content-length"] == "100"
    rest = rec.client.get(url, headers={"Range": "bytes=100-"})
    assert rest.status_code == 206 and rest.content == WAV[100:]
    assert rest.headers["content-range"] == f"bytes 100-{size - 1}/{size}"
    tail = rec.client.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == WAV[-50:]
    past = rec.client.get(url, headers={"Range": f"bytes={size}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{size}"
    assert past.json()["errors"][0]["extensions"]["code"] == "RANGE_NOT_SATISFIABLE"
    clipped = rec.client.get(url, headers={"Range": f"bytes={size - 10}-{size + 500}"})
    assert clipped.status_code == 206 and clipped.content == WAV[-10:]
    several = rec.client.get(url, headers={"Range": "bytes=0-1,5-6"})
    assert several.status_code == 200 and several.content == WAV
    # a document's download stays an attachment, and takes ranges as well
    document = multipart(
        rec,
        "mutation($input: UploadFileInput!) { uploadFile(input: $input) { file { downloadUrl } } }",
        {"input": {"file": None, "customerId": ada}},
        {"0": (["variables.input.file"], "a.pdf", PDF, "application/pdf")},
    ).json()["data"]["uploadFile"]["file"]["downloadUrl"]
    part = rec.client.get(document, headers={"Range": "bytes=0-3"})
    assert part.status_code == 206 and part.content == PDF[:4]
    assert part.headers["content-disposition"].startswith("attachment;")


def test_only_who_sees_the_customer_and_holds_the_permission_plays(rec, other_api):
    agent = worker(rec, "AGENT", "Ann")
    ada = customer(rec)
    recording = added(rec, ada)
    # the agent cannot see Ada: no tab, no node, and a link made for them is refused
    assert agent.query(TAB, id=ada) == {"customer": None}
    node = "query($id: ID!) { node(id: $id) { ... on Recording { playbackUrl } } }"
    assert agent.query(node, id=recording["id"]) == {"node": None}
    other_api.enable("recordings")
    assert other_api.query(node, id=recording["id"]) == {"node": None}  # another tenant's
    rec.ok("assignWorkers", {"customerId": ada, "workerIds": [gid("Worker", agent.worker_id)]})
    agents_link = agent.query(node, id=recording["id"])["node"]["playbackUrl"]
    assert rec.client.get(agents_link).status_code == 200
    rec.ok("unassignWorkers", {"customerId": ada, "workerIds": [gid("Worker", agent.worker_id)]})
    assert rec.client.get(agents_link).status_code == 404
    # a recording's link is no file download: `files.view` alone does not play it
    rec.ok("assignWorkers", {"customerId": ada, "workerIds": [gid("Worker", agent.worker_id)]})
    rec.ok(
        "setRolePermission", {"permission": "recordings.view", "role": "AGENT", "granted": False}
    )
    assert rec.client.get(agents_link).status_code == 404
    # nor does a file download link reach a recording's audio
    from core import files as core_files
    from core.auth import Principal

    settings = rec.client.app.state.settings
    owner = Principal(rec.tenant_id, rec.worker_id, "owner")
    [row] = rows(rec)
    plain = core_files.download_token(settings.signing_key, owner, row["id"], 60)
    assert rec.client.get(f"/files/{plain}").status_code == 404


def test_an_api_key_with_ingest_adds_recordings(rec):
    ada = customer(rec)
    agent = worker(rec, "AGENT", "Ann")

    def key(permissions: list[str]) -> str:
        payload = rec.ok("createApiKey", {"name": "phones", "permissions": permissions}, "secret")
        return payload["secret"]

    # like any write, it needs the right to change the customer (here: every customer)
    ingest = key(["recordings.ingest", "customers.view_all", "customers.edit"])
    recording = added(
        rec, ada, token=ingest, workerId=gid("Worker", agent.worker_id), idempotencyKey="call-1"
    )
    assert recording["worker"]["id"] == gid("Worker", agent.worker_id)
    # retried: the same recording, nothing stored twice
    again = added(
        rec, ada, token=ingest, workerId=gid("Worker", agent.worker_id), idempotencyKey="call-1"
    )
    assert again["id"] == recording["id"] and len(objects(rec)) == 1
    reused = add(rec, ada, token=ingest, title="Other", idempotencyKey="call-1")
    assert [e["code"] for e in reused["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    # a key without the permission is refused
    other = key(["customers.view_all", "customers.edit"])
    files = {"0": (["variables.input.file"], "c.wav", WAV, "audio/wav")}
    body = multipart(
        rec, ADD, {"input": {"customerId": ada, "direction": "INBOUND", "file": None}}, files,
        token=other,
    ).json()  # fmt: skip
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert len(objects(rec)) == 1 and rec.query(TAB, id=ada)["customer"]["recordings"]["count"] == 1


def test_editing_deleting_merging_and_erasing(rec):
    ada, dup = customer(rec, "Ada"), customer(rec, "Ada (dup)")
    kept = added(rec, ada, title="Kept")
    gone = added(rec, ada, title="Gone")
    moved = added(rec, dup, title="Moved", activityId="QWN0aXZpdHk6MQ==")
    assert moved["activityId"] == "QWN0aXZpdHk6MQ=="
    changed = rec.ok(
        "updateRecording",
        {"id": kept["id"], "notes": "Promised a callback."},
        "recording { notes title }",
    )
    assert changed["recording"] == {"notes": "Promised a callback.", "title": "Kept"}
    rec.ok("deleteRecording", {"id": gone["id"]}, "deletedId")
    assert len(objects(rec)) == 2 and len(rows(rec)) == 2
    assert rec.client.get(gone["playbackUrl"]).status_code == 404
    rec.ok("mergeCustomers", {"sourceId": dup, "targetId": ada}, "customer { id }")
    tab = rec.query(TAB, id=ada)["customer"]["recordings"]
    assert tab["count"] == 2
    assert rec.client.get(tab["all"]["edges"][0]["node"]["playbackUrl"]).status_code == 200
    rec.ok("deleteCustomer", {"id": ada}, "deletedId")
    assert wait_for_removal_job(rec)["result"] == {"removed": 2}
    assert objects(rec) == [] and rows(rec) == []


def test_the_demo_seeds_playable_wav_recordings(rec):
    ids = [pk_of(customer(rec, name)) for name in ("Ada", "Bob", "Cyd")]
    app = rec.client.app

    async def seeded():
        async with app.state.db.transaction(rec.tenant_id) as session:
            await demo.seed(session, rec.tenant_id, ids, 7, app.state.storage)

    run(rec.client, seeded)
    query = """{ customers(first: 10) { edges { node { recordings { count
      all(first: 5) { edges { node { durationSeconds playbackUrl } } } } } } } }"""
    nodes = [e["node"] for e in rec.query(query)["customers"]["edges"]]
    found = [n for node in nodes for n in (e["node"] for e in node["recordings"]["all"]["edges"])]
    assert len(found) == 2 and len(objects(rec)) == 2
    response = rec.client.get(found[0]["playbackUrl"], headers={"Range": "bytes=0-11"})
    assert response.status_code == 206 and response.content[:4] == b"RIFF"


def test_the_list_costs_the_same_statements_whatever_its_size(rec, engine):
    names = [{"name": f"C{i:02}"} for i in range(12)]
    ids = [p["customer"]["id"] for p in rec.many("createCustomer", names, "customer { id }")]
    for target in ids[:3]:
        added(rec, target)
    query = """query($n: Int!) { customers(first: $n) { edges { node {
      avatarUrl recordings { count } } } } }"""
    slow = """query($n: Int!) { customers(first: $n) { edges { node { avatarUrl recordings {
      count all(first: 2) { totalCount edges { node { title } } } } } } } }"""
    for q in (query, slow):
        counts = []
        for n in (3, 12):
            rec.query(q, n=n)
            with count_statements(engine) as counter:
                data = rec.query(q, n=n)
            counts.append(counter.count)
            assert len(data["customers"]["edges"]) == n
        assert counts[0] == counts[1], counts
    shown = sum(e["node"]["recordings"]["count"] for e in data["customers"]["edges"])
    assert shown == 3 and pk_of(ids[0])


def test_a_recording_logs_a_call_activity_unless_it_names_one(rec):
    rec.enable("activities")
    ada = customer(rec)
    added(rec, ada, title="Quote follow-up", notes="Wants a discount.")
    added(rec, ada, kind="MEETING")
    added(rec, ada, activityId="QWN0aXZpdHk6OTk=")  # the call's activity exists already
    query = """query($id: ID!) { customer(id: $id) { activities {
      list(first: 10) { nodes { kind title } } } } }"""
    logged = rec.query(query, id=ada)["customer"]["activities"]["list"]["nodes"]
    assert sorted((a["kind"], a["title"]) for a in logged) == [
        ("CALL", "Quote follow-up"),
        ("MEETING", "Recorded meeting"),
    ]
