"""What tests share: a GraphQL client bound to one worker's token, global IDs, and a
statement counter on the app's engine."""

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from starlette.testclient import TestClient

from core.auth import issue_token

SECRET = "test-secret-key-that-is-long-enough-for-hs256"


def gid(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def pk_of(global_id: str) -> int:
    raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    return int(raw.split(":", 1)[1])


def token_for(tenant_id: int, worker_id: int, ttl: timedelta = timedelta(hours=1)) -> str:
    return issue_token(SECRET, tenant_id, worker_id, ttl)


def settle(client: TestClient) -> None:
    """Wait until the server's outbox has sent and handled every event written so far (it
    does so after answering), so a test sees the handlers' effects and its statement
    counts hold no relay work."""
    outbox = getattr(client.app.state, "outbox", None)
    portal = getattr(client, "portal", None)
    if outbox is not None and portal is not None:
        assert portal.call(outbox.drained), "the outbox did not drain within 5 s"


class GraphQLErrors(AssertionError):
    def __init__(self, errors: list[dict]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class Api:
    """One signed-in worker talking to the HTTP API."""

    client: TestClient
    tenant_id: int
    worker_id: int
    token: str = ""
    ids: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        self.token = self.token or token_for(self.tenant_id, self.worker_id)

    def post(self, query: str, variables: dict | None = None, token: str | None = None):
        headers = {"Authorization": f"Bearer {token or self.token}"}
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        settle(self.client)
        return response

    def query(self, query: str, **variables) -> dict:
        """The `data` of a successful operation; GraphQL errors fail the test."""
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        if body.get("errors"):
            raise GraphQLErrors(body["errors"])
        return body["data"]

    def errors(self, query: str, **variables) -> list[dict]:
        """The `errors` of an operation that must fail."""
        response = self.post(query, variables)
        body = response.json()
        assert body.get("errors"), body
        return body["errors"]

    def mutate(self, name: str, input: dict, selection: str = "") -> dict:
        """Run mutation `name(input:)`; returns its payload (with `userErrors`)."""
        query = (
            f"mutation($input: {name[0].upper()}{name[1:]}Input!) {{ {name}(input: $input) "
            f"{{ {selection} userErrors {{ field message code }} }} }}"
        )
        return self.query(query, input=input)[name]

    def enable(self, *modules: str) -> None:
        """Switch modules on for this tenant, in order (the next request sees them), in one
        request: each module set a request meets costs the app a schema build (0.1-0.4 s)."""
        if modules:
            self.many("enableModule", [{"module": m} for m in modules], "modules { name }")

    def ok(self, name: str, input: dict, selection: str = "") -> dict:
        """Like `mutate`, but the mutation must succeed."""
        payload = self.mutate(name, input, selection)
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload

    def many(self, name: str, inputs: list[dict], selection: str = "") -> list[dict]:
        """Like `ok` once per input, in one request of aliased mutations (each still in its
        own transaction, in order): a test's set-up of many rows costs a request, not one per
        row. At most 50 inputs a request (the default `max_aliases`): longer lists go in
        several."""
        payloads: list[dict] = []
        kind = f"{name[0].upper()}{name[1:]}Input!"
        for start in range(0, len(inputs), 50):
            chunk = inputs[start : start + 50]
            params = ", ".join(f"$i{n}: {kind}" for n in range(len(chunk)))
            fields = " ".join(
                f"m{n}: {name}(input: $i{n}) {{ {selection} userErrors {{ field message code }} }}"
                for n in range(len(chunk))
            )
            data = self.query(
                f"mutation({params}) {{ {fields} }}", **{f"i{n}": i for n, i in enumerate(chunk)}
            )
            payloads += [data[f"m{n}"] for n in range(len(chunk))]
        assert all(p["userErrors"] == [] for p in payloads), payloads
        return payloads


class StatementCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args):
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements(engine) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", counter)


def create_customer(api: Api, name: str = "Ada", **fields) -> str:
    """A new customer's global id (`createCustomer` with these input members)."""
    return api.ok("createCustomer", {"name": name, **fields}, "customer { id }")["customer"]["id"]


def create_worker(api: Api, name: str, role: str = "AGENT") -> str:
    """A new worker's global id; the email follows from the name."""
    email = name.lower().replace(" ", ".") + "@example.com"
    payload = api.ok("createWorker", {"name": name, "email": email, "role": role}, "worker { id }")
    return payload["worker"]["id"]


def as_worker(api: Api, worker_id: str) -> Api:
    """The same tenant, signed in as that worker."""
    return Api(api.client, api.tenant_id, pk_of(worker_id))
