"""Every malformed request gets a coded JSON answer: bodies that are no JSON object (bad UTF-8,
`null`, nesting past `MAX_JSON_DEPTH` or past the JSON parsers' own limits), wrong media types
and methods, subscriptions over HTTP. Each case is sent in-process and, as raw bytes, to a
real `server.py` (uvicorn answered some of them with a plain 500 and dropped the connection),
and the text no database stores (`tests/test_unstorable_text.py`) refused there too."""

import asyncio
import json
import socket
import uuid
from dataclasses import dataclass, field

import pytest

from core.database import Database
from core.tenants import create_tenant
from tests.servers import AppServer
from tests.support import SECRET, token_for

JSON = "application/json"
TYPENAME = b'{"query": "{ __typename }"'
SEARCH = "query($s: String) { customers(filter: {search: $s}) { totalCount } }"


def nested(depth: int) -> bytes:
    """A request whose JSON is `depth` levels deep (the body 1, its variables 2)."""
    return TYPENAME + b', "variables": {"x": ' + b"[" * (depth - 2) + b"]" * (depth - 2) + b"}}"


@dataclass
class Case:
    name: str
    body: bytes | None
    status: int
    code: str
    method: str = "POST"
    target: str = "/graphql"
    headers: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


CASES = [
    Case("null body", b"null", 400, "BAD_REQUEST"),
    Case("invalid UTF-8", b'{"query": "{ __typename }", "x": "\xff"}', 400, "BAD_REQUEST"),
    Case(
        "UTF-8 of a surrogate",
        b'{"query": "{ __typename }", "x": "\xed\xa0\x80"}',
        400,
        "BAD_REQUEST",
    ),
    Case("variables 5,000 deep", nested(5_000), 400, "BAD_REQUEST"),
    Case("one level past MAX_JSON_DEPTH", nested(65), 400, "BAD_REQUEST"),
    Case("100,000 [", b"[" * 100_000, 400, "BAD_REQUEST"),
    Case("100,000 [ closed", b"[" * 100_000 + b"]" * 100_000, 400, "BAD_REQUEST"),
    Case("empty body", b"", 400, "BAD_REQUEST"),
    Case("not JSON", b"{not json", 400, "BAD_REQUEST"),
    Case("NaN", b'{"query": "{ __typename }", "variables": {"x": NaN}}', 400, "BAD_REQUEST"),
    Case("a number", b"1", 400, "BAD_REQUEST"),
    Case("a string", b'"{ __typename }"', 400, "BAD_REQUEST"),
    Case("a batch", b'[{"query": "{ __typename }"}]', 400, "BAD_REQUEST"),
    Case("query not a string", b'{"query": 1}', 400, "BAD_REQUEST"),
    Case("variables not an object", TYPENAME + b', "variables": [1]}', 400, "BAD_REQUEST"),
    Case("operationName not a string", TYPENAME + b', "operationName": 0}', 400, "BAD_REQUEST"),
    Case("no query", b'{"variables": {}}', 400, "BAD_REQUEST"),
    Case(
        "GET variables 3,000 deep",
        None,
        400,
        "BAD_REQUEST",
        method="GET",
        target="/graphql?query=%7B__typename%7D&variables=" + "%5B" * 3_000,
    ),
    Case(
        "GET variables not JSON",
        None,
        400,
        "BAD_REQUEST",
        method="GET",
        target="/graphql?query=%7B__typename%7D&variables=%7Bx",
    ),
    Case(
        "text/plain",
        TYPENAME + b"}",
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        headers={"Content-Type": "text/plain"},
    ),
    Case(
        "no content type",
        TYPENAME + b"}",
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        headers={"Content-Type": None},
    ),
    Case(
        "accepts only XML",
        TYPENAME + b"}",
        406,
        "NOT_ACCEPTABLE",
        headers={"Accept": "application/xml"},
    ),
    Case("PUT", TYPENAME + b"}", 405, "METHOD_NOT_ALLOWED", method="PUT"),
    Case(
        "subscription over POST",
        b'{"query": "subscription { customerListChanged { kind } }"}',
        400,
        "SUBSCRIPTION_OVER_HTTP",
    ),
    Case(
        "subscription over GET",
        None,
        400,
        "SUBSCRIPTION_OVER_HTTP",
        method="GET",
        target="/graphql?query=subscription%7BcustomerListChanged%7Bkind%7D%7D",
    ),
    Case(
        "mutation over GET",
        None,
        405,
        "METHOD_NOT_ALLOWED",
        method="GET",
        target="/graphql?query=mutation%7BdisableModule(input%3A%7Bmodule%3A%22tickets%22%7D)%7B__typename%7D%7D",
    ),
    # GraphQL request errors: 200 for `application/json` (the default), like all of them.
    Case(
        "NUL in filter.search",
        json.dumps({"query": SEARCH, "variables": {"s": "a\x00b"}}).encode(),
        200,
        "BAD_USER_INPUT",
    ),
    Case(
        "unpaired surrogate in filter.search",
        b'{"query": "' + SEARCH.encode() + b'", "variables": {"s": "a\\ud800b"}}',
        200,
        "BAD_USER_INPUT",
    ),
]
ALLOW = {"PUT": "GET, POST", "mutation over GET": "POST"}


def headers_of(case: Case, token: str) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": JSON, **case.headers}
    if case.method == "GET":
        headers.pop("Content-Type")
    return {k: v for k, v in headers.items() if v is not None}


def check(case: Case, status: int, headers, body: bytes) -> None:
    assert status == case.status, (case.name, status, body[:300])
    assert headers["content-type"] == JSON, (case.name, headers["content-type"])
    answer = json.loads(body)
    assert [e["extensions"]["code"] for e in answer["errors"]] == [case.code], (case.name, answer)
    if status >= 400:
        assert "data" not in answer
    if status == 405:
        assert headers["allow"] == ALLOW.get(case.name, "GET, POST")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_in_process(api, case):
    response = api.client.request(
        case.method, case.target, content=case.body, headers=headers_of(case, api.token)
    )
    check(case, response.status_code, response.headers, response.content)


def test_json_at_max_json_depth_passes(api):
    response = api.client.post(
        "/graphql", content=nested(64), headers=headers_of(CASES[0], api.token)
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}


# --- a real server ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    environment = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET}
    server = AppServer("malformed", tmp_path_factory.mktemp("malformed"), environment)
    try:
        server.launch()
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def server_token(server) -> str:
    async def work():
        db = Database(server.environment["DATABASE_URL"])
        try:
            async with db.transaction() as session:
                label = uuid.uuid4().hex[:8]
                tenant, owner = await create_tenant(
                    session, f"Tenant {label}", "Olivia Owner", f"owner-{label}@example.com"
                )
                return token_for(tenant.id, owner.id)
        finally:
            await db.dispose()

    return asyncio.run(work())


def raw_request(port: int, case: Case, token: str) -> tuple[int, dict, bytes]:
    """The exact bytes of `case` over a socket of its own; the whole answer, read to the end
    (a reset connection fails the test)."""
    headers = {"Host": "localhost", "Connection": "close", **headers_of(case, token)}
    if case.body is not None:
        headers["Content-Length"] = str(len(case.body))
    head = f"{case.method} {case.target} HTTP/1.1\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode() + (case.body or b""))
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines)
    fields = {name.lower(): value for name, value in fields.items()}
    assert int(fields["content-length"]) == len(body), (case.name, fields)
    return int(status_line.split()[1]), fields, body


@pytest.mark.parametrize("case", CASES, ids=str)
def test_real_server(server, server_token, case):
    status, headers, body = raw_request(server.port, case, server_token)
    check(case, status, headers, body)


def test_real_server_logged_no_traceback(server, server_token):
    for case in CASES:
        raw_request(server.port, case, server_token)
    assert server.alive
    assert "Traceback" not in server.log_path.read_text(errors="replace"), server.log_tail()
