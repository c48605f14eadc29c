"""Random selections over the compiled subset (hypothesis): fields of `Customer` and what
hangs off it (custom fields and `viewerCan` too), aliases, fragments spread and inline, the
page's order and size. Each goes to the compiled app and to the fallback app
(`test_compiled.py`'s fixtures) as the owner and as a restricted agent; both must give the
same JSON, and the compiled one must have compiled."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_compiled import both, demo, paths, workers  # noqa: F401 (fixtures)

pytestmark = pytest.mark.seeded_demo  # the demo is in the databases from the start

OBJECTS = {
    "phones": ["label", "value", "primary", "__typename"],
    "emails": ["label", "value", "primary"],
    "status": ["id", "name", "color", "category", "position", "isDefault", "__typename"],
    "tags": ["id", "name", "color", "position"],
    "workers": ["id", "name", "email", "avatarUrl", "role", "atWork", "position"],
    "folders": ["addedAt", "folder { id name color }", "status { id name }"],
    "parent": ["id", "name", "kind", "updatedAt", "status { name }"],
    "profileTabs": ["key", "title", "icon", "badgeCount"],
    "tickets": [
        "openCount",
        "overdueCount",
        "o2: open(first: 2) { nodes { id reference priority dueAt overdue assignee { name } } }",
        "o20: open { totalCount pageInfo { hasNextPage endCursor } edges { cursor } }",
    ],
    "appointments": [
        "upcomingCount",
        "n: next { id start worker { id } }",
        "u3: upcoming(first: 3) { edges { cursor node { id status location } } }",
        "p1: past(first: 1) { totalCount pageInfo { hasNextPage startCursor } }",
    ],
    "insurance": [
        "openClaimCount",
        "p2: policies(first: 2) { nodes { id status premium { amount } provider { name } } }",
    ],
    "payments": [
        "overdueInvoiceCount",
        "balance { amount currency }",
        "i2: invoices(first: 2) { nodes { id overdue amountDue { amount } } totalCount }",
        "p1: payments(first: 1) { edges { cursor node { receipt { number } methodKind } } }",
        "methods { id isDefault }",
    ],
    "payouts": ["pendingCount"],
    "customFields": [
        "definition { id key label type }",
        "definition { __typename description required group position options }",
        "text",
        "number",
        "date",
        "dateTime",
        "boolean",
        "options",
        "__typename",
    ],
    "viewerCan": [
        "edit",
        "delete",
        "archive",
        "__typename",
        "modules { module manage }",
        "modules { permissions __typename }",
    ],
}
SCALARS = [
    "id", "kind", "name", "avatarUrl", "company", "leadSource", "city", "notes", "followUpAt",
    "blocked", "blockedReason", "blockedAt", "salutation", "jobTitle", "dateOfBirth", "website",
    "industry", "createdAt", "updatedAt", "version", "archivedAt", "externalId",
    "primaryPhone", "primaryEmail", "subCustomerCount", "__typename",
]  # fmt: skip


@st.composite
def selection(draw) -> str:
    names = draw(st.lists(st.sampled_from(SCALARS + list(OBJECTS)), min_size=1, max_size=12))
    parts = []
    for index, name in enumerate(names):
        alias = f"a{index}: " if draw(st.booleans()) and name != "__typename" else ""
        if name in OBJECTS:
            subs = draw(st.lists(st.sampled_from(OBJECTS[name]), min_size=1, max_size=4))
            parts.append(f"{alias}{name} {{ {' '.join(subs)} }}")
        else:
            parts.append(f"{alias}{name}")
    split = draw(st.integers(0, len(parts)))
    inline = draw(st.sampled_from(["", "... on Customer", "..."]))
    head, tail = " ".join(parts[:split]), " ".join(parts[split:])
    node = f"{head} {inline} {{ {tail} }}" if inline and tail else f"{head} {tail}"
    return node + (" ... on Node { id }" if draw(st.booleans()) else "")


def _customer_id(index: int) -> str:
    """A customer of the demo (ids from 1) or, past the first ones, no customer at all."""
    from tests.support import gid

    return gid("Customer", index if index < 25 else 10**6 + index)


@st.composite
def operation(draw) -> tuple[str, dict]:
    node = draw(selection())
    wrap = draw(st.sampled_from(["edges", "nodes", "fragment", "customer"]))
    if wrap == "customer":
        index = draw(st.integers(0, 30))
        query = (
            "query($first: Int, $orderBy: CustomerOrder, $filter: CustomerFilter) { "
            "page: customers(first: $first, orderBy: $orderBy, filter: $filter) { nodes { id } } "
            f'customer(id: "{_customer_id(index)}") {{ {node} }} }}'
        )
        return query, {"first": 1, "orderBy": None, "filter": None}
    if wrap == "fragment":
        body = "edges { cursor node { ...Row } } pageInfo { hasNextPage endCursor }"
        suffix = f"\nfragment Row on Customer {{ {node} }}"
    elif wrap == "edges":
        body, suffix = f"edges {{ cursor node {{ {node} }} }} pageInfo {{ startCursor }}", ""
    else:
        body, suffix = f"nodes {{ {node} }} totalCount", ""
    query = (
        "query($first: Int, $last: Int, $orderBy: CustomerOrder, $filter: CustomerFilter) { "
        "customers(first: $first, last: $last, orderBy: $orderBy, filter: $filter) "
        f"{{ {body} }} }}{suffix}"
    )
    size = draw(st.integers(0, 25))
    variables = {
        draw(st.sampled_from(["first", "last"])): size,
        "orderBy": {
            "field": draw(st.sampled_from(["NAME", "CREATED_AT", "UPDATED_AT"])),
            "direction": draw(st.sampled_from(["ASC", "DESC"])),
        },
        "filter": draw(st.sampled_from([None, {"search": "a"}, {"kinds": ["CUSTOMER"]}])),
    }
    return query, variables


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operation(), st.sampled_from(["owner", "agent"]))
def test_random_selections_answer_alike(paths, workers, case, worker):  # noqa: F811
    query, variables = case
    path, body = both(paths, workers[worker], query, variables)
    assert path == "compiled", (query, body)
    assert "errors" not in body
