"""The read side of customers through GraphQL: the `customers` connection (order, paging,
filters, totals), single lookups (`customer`, `node`, `nodes`), the profile's related fields,
the settings lists, tenant isolation, and a statement count proving the list has no N+1."""

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.support import Api, count_statements, gid, pk_of

# --- queries ------------------------------------------------------------------------------

CUSTOMERS = """
query($first: Int, $after: String, $last: Int, $before: String,
      $filter: CustomerFilter, $orderBy: CustomerOrder) {
  customers(first: $first, after: $after, last: $last, before: $before,
            filter: $filter, orderBy: $orderBy) {
    edges { cursor node { id name } }
    nodes { id name }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}"""

CUSTOMER = "query($id: ID!) { customer(id: $id) { id name } }"
NODE = "query($id: ID!) { node(id: $id) { id __typename } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }"

PROFILE = """
query($id: ID!, $first: Int, $after: String) {
  customer(id: $id) {
    id name kind
    status { id name }
    tags { id name }
    folders { folder { id name } status { id name } addedAt }
    workers { id name }
    parent { id name }
    subCustomerCount
    subCustomers(first: $first, after: $after) {
      nodes { id name }
      pageInfo { hasNextPage hasPreviousPage endCursor }
      totalCount
    }
    phones { label value primary }
    emails { label value primary }
    primaryPhone primaryEmail
    createdAt
    customFields {
      definition { key type }
      text number date dateTime boolean options
    }
  }
}"""

LIST_FOR_COUNTING = """
query($first: Int, $filter: CustomerFilter) {
  customers(first: $first, filter: $filter) {
    nodes {
      id name status { name } tags { name }
      folders { folder { name } status { name } }
      workers { name } parent { name } subCustomerCount
      customFields { definition { key } text }
    }
  }
}"""

CUSTOMER_FIELDS = "customer { id name createdAt updatedAt followUpAt }"


# --- fixtures built through mutations --------------------------------------------------------


def make_customer(api: Api, name: str, **fields) -> dict:
    return api.ok("createCustomer", {"name": name, **fields}, CUSTOMER_FIELDS)["customer"]


def make_customers(api: Api, *names: str) -> list[dict]:
    return [make_customer(api, n) for n in names]


def make_tag(api: Api, name: str) -> str:
    return api.ok("createTag", {"name": name, "color": "#112233"}, "tag { id }")["tag"]["id"]


def make_worker(api: Api, name: str) -> str:
    email = name.lower().replace(" ", ".") + "@example.com"
    payload = api.ok("createWorker", {"name": name, "email": email}, "worker { id }")
    return payload["worker"]["id"]


def make_folder(api: Api, name: str, statuses: list[str] | None = None) -> dict:
    """A folder; returns {"id": ..., "statuses": {name: id}}."""
    spec = {"name": name, "color": "#445566"}
    if statuses:
        spec["statuses"] = [
            {"name": s, "color": "#000000", "isDefault": i == 0} for i, s in enumerate(statuses)
        ]
    folder = api.ok("createFolder", spec, "folder { id statuses { id name } }")["folder"]
    return {"id": folder["id"], "statuses": {s["name"]: s["id"] for s in folder["statuses"]}}


def make_field(api: Api, key: str, type_: str, **extra) -> str:
    spec = {"key": key, "label": key.replace("_", " ").title(), "type": type_, **extra}
    payload = api.ok("createCustomFieldDefinition", spec, "definition { id }")
    return payload["definition"]["id"]


def reorder(api: Api, mutation: str, ids: list[str], **extra) -> None:
    input_type = f"{mutation[0].upper()}{mutation[1:]}Input"
    query = (
        f"mutation($input: {input_type}!) {{ {mutation}(input: $input) "
        "{ userErrors { field message code } } }"
    )
    assert api.query(query, input={"ids": ids, **extra})[mutation]["userErrors"] == []


def customer_statuses(api: Api) -> dict[str, str]:
    rows = api.query("{ statuses { id name } }")["statuses"]
    return {s["name"]: s["id"] for s in rows}


def customers(api: Api, **variables) -> dict:
    return api.query(CUSTOMERS, **variables)["customers"]


def names(api: Api, **variables) -> list[str]:
    """Names of the first page (up to 100) of the list."""
    variables.setdefault("first", 100)
    return [n["name"] for n in customers(api, **variables)["nodes"]]


def found(api: Api, **filter_) -> set[str]:
    """Names matching the filter; the total must agree with what was returned."""
    page = customers(api, first=100, filter=filter_)
    assert page["totalCount"] == len(page["nodes"])
    return {n["name"] for n in page["nodes"]}


def error_code(errors: list[dict]) -> str:
    return errors[0]["extensions"]["code"]


def encode(raw) -> str:
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


# --- order ---------------------------------------------------------------------------------


def test_default_order_is_newest_first(api):
    make_customers(api, "First", "Second", "Third")
    page = customers(api)
    assert [n["name"] for n in page["nodes"]] == ["Third", "Second", "First"]
    assert page["nodes"] == [e["node"] for e in page["edges"]]
    assert page["totalCount"] == 3
    assert page["pageInfo"]["hasNextPage"] is False
    assert page["pageInfo"]["hasPreviousPage"] is False


def test_order_by_name_is_case_insensitive_both_directions(api):
    make_customers(api, "bob", "Carol", "alice", "Dave")
    asc = names(api, orderBy={"field": "NAME", "direction": "ASC"})
    desc = names(api, orderBy={"field": "NAME", "direction": "DESC"})
    assert asc == ["alice", "bob", "Carol", "Dave"]
    assert desc == list(reversed(asc))


def test_order_by_created_at_both_directions(api):
    make_customers(api, "One", "Two", "Three")
    assert names(api, orderBy={"field": "CREATED_AT", "direction": "ASC"}) == [
        "One",
        "Two",
        "Three",
    ]
    assert names(api, orderBy={"field": "CREATED_AT", "direction": "DESC"}) == [
        "Three",
        "Two",
        "One",
    ]
    # the default direction of an explicit order is DESC
    assert names(api, orderBy={"field": "CREATED_AT"}) == ["Three", "Two", "One"]


def test_order_by_updated_at_follows_the_latest_edit(api):
    one, _two, _three = make_customers(api, "One", "Two", "Three")
    api.ok("updateCustomer", {"id": one["id"], "city": "Leeds"}, CUSTOMER_FIELDS)
    assert names(api, orderBy={"field": "UPDATED_AT", "direction": "DESC"}) == [
        "One",
        "Three",
        "Two",
    ]
    assert names(api, orderBy={"field": "UPDATED_AT", "direction": "ASC"}) == [
        "Two",
        "Three",
        "One",
    ]


def _follow_up_customers(api):
    base = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)
    make_customer(api, "Null A")
    make_customer(api, "Late", followUpAt=(base + timedelta(days=2)).isoformat())
    make_customer(api, "Null B")
    make_customer(api, "Early", followUpAt=base.isoformat())
    make_customer(api, "Middle", followUpAt=(base + timedelta(days=1)).isoformat())
    return base


def test_order_by_follow_up_puts_nulls_last_both_directions(api):
    _follow_up_customers(api)
    asc = names(api, orderBy={"field": "FOLLOW_UP_AT", "direction": "ASC"})
    desc = names(api, orderBy={"field": "FOLLOW_UP_AT", "direction": "DESC"})
    assert asc[:3] == ["Early", "Middle", "Late"]
    assert desc[:3] == ["Late", "Middle", "Early"]
    assert set(asc[3:]) == set(desc[3:]) == {"Null A", "Null B"}


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_follow_up_order_pages_through_nulls_both_ways(api, direction):
    _follow_up_customers(api)
    order = {"field": "FOLLOW_UP_AT", "direction": direction}
    whole = names(api, orderBy=order)
    forward, after = [], None
    while True:
        page = customers(api, first=2, after=after, orderBy=order)
        forward += [n["name"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert forward == whole
    backward, before = [], None
    while True:
        page = customers(api, last=2, before=before, orderBy=order)
        backward = [n["name"] for n in page["nodes"]] + backward
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert backward == whole


# --- paging --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "order",
    [
        None,
        {"field": "NAME", "direction": "ASC"},
        {"field": "NAME", "direction": "DESC"},
        {"field": "CREATED_AT", "direction": "ASC"},
        {"field": "UPDATED_AT", "direction": "DESC"},
    ],
)
def test_forward_paging_walks_the_whole_list_once(api, order):
    # duplicate names make ties that only the id can break
    make_customers(api, *[f"Pat {i % 4}" for i in range(11)])
    expected = [n["id"] for n in customers(api, first=100, orderBy=order)["nodes"]]
    assert len(expected) == 11
    seen, after, pages = [], None, 0
    while True:
        page = customers(api, first=3, after=after, orderBy=order)
        pages += 1
        info = page["pageInfo"]
        assert page["totalCount"] == 11
        assert info["hasPreviousPage"] is (after is not None)
        assert [e["node"] for e in page["edges"]] == page["nodes"]
        assert info["startCursor"] == page["edges"][0]["cursor"]
        assert info["endCursor"] == page["edges"][-1]["cursor"]
        seen += [n["id"] for n in page["nodes"]]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert pages == 4
    assert seen == expected


def test_backward_paging_with_last_and_before(api):
    make_customers(api, *[f"C{i}" for i in range(7)])
    whole = names(api)  # C6 … C0
    page = customers(api, last=3)
    assert [n["name"] for n in page["nodes"]] == whole[-3:]
    assert page["pageInfo"]["hasPreviousPage"] is True
    assert page["pageInfo"]["hasNextPage"] is False
    page = customers(api, last=3, before=page["pageInfo"]["startCursor"])
    assert [n["name"] for n in page["nodes"]] == whole[1:4]
    assert page["pageInfo"]["hasPreviousPage"] is True
    assert page["pageInfo"]["hasNextPage"] is True
    page = customers(api, last=3, before=page["pageInfo"]["startCursor"])
    assert [n["name"] for n in page["nodes"]] == whole[:1]
    assert page["pageInfo"]["hasPreviousPage"] is False
    assert page["totalCount"] == 7


def test_before_a_forward_cursor_gives_what_came_earlier(api):
    make_customers(api, *[f"C{i}" for i in range(5)])
    first = customers(api, first=3)
    page = customers(api, last=10, before=first["edges"][2]["cursor"])
    assert page["nodes"] == first["nodes"][:2]


def test_default_page_size_is_twenty(api):
    make_customers(api, *[f"C{i}" for i in range(21)])
    page = customers(api)
    assert len(page["nodes"]) == 20
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["totalCount"] == 21


def test_first_zero_gives_an_empty_page(api):
    make_customers(api, "A", "B")
    page = customers(api, first=0)
    assert page["edges"] == page["nodes"] == []
    assert page["pageInfo"]["startCursor"] is None
    assert page["pageInfo"]["endCursor"] is None
    assert page["totalCount"] == 2


def test_a_page_of_one_hundred_is_allowed(api):
    make_customer(api, "A")
    assert len(customers(api, first=100)["nodes"]) == 1
    assert len(customers(api, last=100)["nodes"]) == 1


@pytest.mark.parametrize(
    "variables, field",
    [
        ({"first": 101}, "first"),
        ({"last": 101}, "last"),
        ({"first": -1}, "first"),
        ({"last": -5}, "last"),
        ({"first": 2, "last": 2}, "first"),
    ],
)
def test_bad_page_sizes_are_user_errors(api, variables, field):
    make_customer(api, "A")
    errors = api.errors(CUSTOMERS, **variables)
    assert error_code(errors) == "BAD_USER_INPUT"
    assert errors[0]["extensions"]["problems"][0]["field"] == [field]


def _cursor_codes(api: Api, cursors: list[str]) -> list:
    """(cursor, argument, code) for every cursor sent as `after` and as `before`."""
    codes = []
    for cursor in cursors:
        for argument, size in (("after", "first"), ("before", "last")):
            errors = api.errors(CUSTOMERS, **{argument: cursor, size: 5})
            codes.append((cursor, argument, error_code(errors)))
    return codes


def test_a_garbage_cursor_is_a_user_error(api):
    make_customer(api, "A")
    cursors = [
        "garbage",
        "!!!",
        "",
        "é",
        encode([1, 2, 3]),
        encode({"t": "x"}),
        encode([{"t": "not a date"}, 1]),
        encode([{"t": "2030-01-01T00:00:00+00:00"}, "one"]),
        encode([{"t": "2030-01-01T00:00:00+00:00"}, 10**20]),
    ]
    codes = _cursor_codes(api, cursors)
    assert [c for c in codes if c[2] != "BAD_USER_INPUT"] == []
    errors = api.errors(CUSTOMERS, first=5, after="garbage")
    assert errors[0]["extensions"]["problems"][0]["field"] == ["after"]


def test_a_well_formed_cursor_of_the_wrong_shape_is_a_user_error(api):
    make_customer(api, "A")
    cursors = [encode(["alice", 1]), encode([["nested"], 1]), encode([{"t": "2030"}, 2**40])]
    codes = _cursor_codes(api, cursors)
    assert [c for c in codes if c[2] != "BAD_USER_INPUT"] == []


def test_a_cursor_of_another_order_is_a_user_error(api):
    make_customers(api, "A", "B", "C")
    by_name = customers(api, first=1, orderBy={"field": "NAME", "direction": "ASC"})
    cursor = by_name["pageInfo"]["endCursor"]
    errors = api.errors(CUSTOMERS, first=5, after=cursor)  # default order: CREATED_AT
    assert error_code(errors) == "BAD_USER_INPUT"


# --- filters -------------------------------------------------------------------------------


def _searchable(api):
    make_customer(
        api,
        "Annabel Smith",
        company="Northwind Traders",
        emails=[{"value": "annabel@smith.example"}, {"value": "billing@northwind.example"}],
        phones=[{"value": "+44 20 7946 0018"}],
    )
    make_customer(api, "Joanne Banks", company="Contoso", phones=[{"value": "+1 555 0100"}])
    make_customer(api, "Bo Li", emails=[{"value": "bo@li.example"}])


SEARCHES = [
    ("Anna", {"Annabel Smith"}),  # name prefix
    ("ann", {"Annabel Smith", "Joanne Banks"}),  # prefix and substring
    ("SMITH", {"Annabel Smith"}),  # case-insensitive
    ("bel sm", {"Annabel Smith"}),  # across words
    ("northwind", {"Annabel Smith"}),  # company
    ("CONTOSO", {"Joanne Banks"}),
    ("billing@north", {"Annabel Smith"}),  # the second email
    ("li.example", {"Bo Li"}),
    ("7946", {"Annabel Smith"}),  # phone digits
    ("+44 20 7946", {"Annabel Smith"}),  # phone as typed
    ("020 7946", set()),  # a national prefix is other digits
    ("(20) 7946-0018", {"Annabel Smith"}),  # other separators
    ("5550100", {"Joanne Banks"}),
    ("Bo", {"Bo Li"}),  # two characters
    ("b", {"Annabel Smith", "Joanne Banks", "Bo Li"}),  # one character
    ("Li", {"Bo Li", "Annabel Smith"}),  # "li" in "bo li" and "billing"
    ("zz", set()),
    ("nobody at all", set()),
    ("   ", {"Annabel Smith", "Joanne Banks", "Bo Li"}),  # blank: no condition
    ("100%", set()),  # LIKE wildcards are literal
    ('"', set()),
]


def test_search(api):
    _searchable(api)
    results = [(term, found(api, search=term), expected) for term, expected in SEARCHES]
    assert [r for r in results if r[1] != r[2]] == []


def test_search_sees_edits(api):
    customer = make_customer(api, "Old Name")
    api.ok("updateCustomer", {"id": customer["id"], "name": "Fresh Name"}, CUSTOMER_FIELDS)
    assert found(api, search="fresh") == {"Fresh Name"}
    assert found(api, search="old name") == set()


def test_filter_by_kind_status_and_blocked(api):
    statuses = customer_statuses(api)
    make_customer(api, "Lead")
    make_customer(api, "Paying", kind="CUSTOMER", statusId=statuses["Active"])
    blocked = make_customer(api, "Blocked", kind="CUSTOMER", statusId=statuses["Lost"])
    api.ok("blockCustomer", {"id": blocked["id"], "reason": "Fraud"}, "customer { id }")
    assert found(api, kinds=["LEAD"]) == {"Lead"}
    assert found(api, kinds=["CUSTOMER"]) == {"Paying", "Blocked"}
    assert found(api, kinds=["LEAD", "CUSTOMER"]) == {"Lead", "Paying", "Blocked"}
    assert found(api, statusIds=[statuses["New"]]) == {"Lead"}
    assert found(api, statusIds=[statuses["Active"], statuses["Lost"]]) == {"Paying", "Blocked"}
    assert found(api, statusIds=[]) == {"Lead", "Paying", "Blocked"}  # no filter
    assert found(api, statusIds=["x"]) == set()
    assert found(api, blocked=True) == {"Blocked"}
    assert found(api, blocked=False) == {"Lead", "Paying"}


def test_filter_by_folders(api):
    sales, support = make_folder(api, "Sales"), make_folder(api, "Support")
    make_customer(api, "In sales", folders=[{"folderId": sales["id"]}])
    make_customer(api, "In both", folders=[{"folderId": sales["id"]}, {"folderId": support["id"]}])
    make_customer(api, "In none")
    assert found(api, folderIds=[sales["id"]]) == {"In sales", "In both"}
    assert found(api, folderIds=[support["id"]]) == {"In both"}
    assert found(api, folderIds=[sales["id"], support["id"]]) == {"In sales", "In both"}
    assert found(api, folderIds=[]) == {"In sales", "In both", "In none"}  # no filter


def test_filter_by_tags_any_and_all(api):
    red, blue, green = make_tag(api, "Red"), make_tag(api, "Blue"), make_tag(api, "Green")
    make_customer(api, "Red only", tagIds=[red])
    make_customer(api, "Red and blue", tagIds=[red, blue])
    make_customer(api, "All three", tagIds=[red, blue, green])
    make_customer(api, "Untagged")
    assert found(api, tags={"ids": [red, blue]}) == {"Red only", "Red and blue", "All three"}
    assert found(api, tags={"ids": [blue], "match": "ANY"}) == {"Red and blue", "All three"}
    assert found(api, tags={"ids": [red, blue], "match": "ALL"}) == {"Red and blue", "All three"}
    assert found(api, tags={"ids": [red, blue, green], "match": "ALL"}) == {"All three"}
    assert found(api, tags={"ids": [green, "x"], "match": "ALL"}) == set()


def test_filter_by_workers_and_unassigned(api):
    ada, ben = make_worker(api, "Ada Agent"), make_worker(api, "Ben Agent")
    make_customer(api, "Ada's", workerIds=[ada])
    make_customer(api, "Shared", workerIds=[ada, ben])
    make_customer(api, "Nobody's")
    assert found(api, workerIds=[ada]) == {"Ada's", "Shared"}
    assert found(api, workerIds=[ben]) == {"Shared"}
    assert found(api, workerIds=[ben, ada]) == {"Ada's", "Shared"}
    assert found(api, unassigned=True) == {"Nobody's"}
    assert found(api, unassigned=False) == {"Ada's", "Shared"}
    assert found(api, workerIds=[ada], unassigned=True) == set()


def test_filter_by_parent(api):
    parent = make_customer(api, "Parent")
    make_customer(api, "Child 1", parentId=parent["id"])
    child = make_customer(api, "Child 2", parentId=parent["id"])
    make_customer(api, "Grandchild", parentId=child["id"])
    make_customer(api, "Loner")
    assert found(api, parentId=parent["id"]) == {"Child 1", "Child 2"}
    assert found(api, parentId=child["id"]) == {"Grandchild"}
    assert found(api, hasParent=True) == {"Child 1", "Child 2", "Grandchild"}
    assert found(api, hasParent=False) == {"Parent", "Loner"}
    assert found(api, parentId="x") == set()
    assert found(api, parentId=gid("Tag", pk_of(parent["id"]))) == set()


def test_filter_by_created_at_range(api):
    a, b, c = make_customers(api, "A", "B", "C")
    assert found(api, createdAt={"from": b["createdAt"]}) == {"B", "C"}
    assert found(api, createdAt={"to": b["createdAt"]}) == {"A"}  # `to` is exclusive
    assert found(api, createdAt={"from": a["createdAt"], "to": c["createdAt"]}) == {"A", "B"}
    assert found(api, createdAt={"from": b["createdAt"], "to": b["createdAt"]}) == set()
    # another zone names the same instant
    kolkata = timezone(timedelta(hours=5, minutes=30))
    shifted = datetime.fromisoformat(b["createdAt"]).astimezone(kolkata)
    assert found(api, createdAt={"from": shifted.isoformat()}) == {"B", "C"}


def test_filter_by_follow_up_range(api):
    base = _follow_up_customers(api)
    day = timedelta(days=1)
    assert found(api, followUpAt={"from": base.isoformat()}) == {"Early", "Middle", "Late"}
    assert found(api, followUpAt={"from": (base + day).isoformat()}) == {"Middle", "Late"}
    assert found(api, followUpAt={"to": (base + day).isoformat()}) == {"Early"}
    assert found(
        api, followUpAt={"from": base.isoformat(), "to": (base + 2 * day).isoformat()}
    ) == {"Early", "Middle"}


def _custom_field_customers(api):
    make_field(api, "seats", "NUMBER")
    make_field(api, "renewal", "DATE")
    make_field(api, "signed_at", "DATE_TIME")
    make_field(api, "plan", "SINGLE_SELECT", options=["Basic", "Pro", "Enterprise"])
    make_field(api, "channels", "MULTI_SELECT", options=["Email", "Phone", "Chat"])
    make_field(api, "vip", "BOOLEAN")
    make_field(api, "region", "TEXT")
    make_customer(
        api,
        "Small",
        customFields=[
            {"key": "seats", "number": 3},
            {"key": "renewal", "date": "2030-01-15"},
            {"key": "signed_at", "dateTime": "2029-12-31T23:30:00+00:00"},
            {"key": "plan", "option": "Basic"},
            {"key": "channels", "options": ["Email"]},
            {"key": "vip", "boolean": False},
            {"key": "region", "text": "North"},
        ],
    )
    make_customer(
        api,
        "Medium",
        customFields=[
            {"key": "seats", "number": 25.5},
            {"key": "renewal", "date": "2030-06-01"},
            {"key": "signed_at", "dateTime": "2030-01-01T01:00:00+02:00"},
            {"key": "plan", "option": "Pro"},
            {"key": "channels", "options": ["Phone", "Chat"]},
            {"key": "vip", "boolean": True},
            {"key": "region", "text": "South"},
        ],
    )
    make_customer(
        api,
        "Large",
        customFields=[
            {"key": "seats", "number": 120},
            {"key": "renewal", "date": "2031-03-01"},
            {"key": "plan", "option": "Enterprise"},
            {"key": "channels", "options": ["Chat", "Email"]},
            {"key": "vip", "boolean": True},
        ],
    )
    make_customer(api, "Blank")


PREDICATES = [
    ({"key": "seats", "equals": "3"}, {"Small"}),
    ({"key": "seats", "equals": "25.5"}, {"Medium"}),
    ({"key": "seats", "min": "25.5"}, {"Medium", "Large"}),  # inclusive
    ({"key": "seats", "max": "25.5"}, {"Small", "Medium"}),
    ({"key": "seats", "min": "4", "max": "120"}, {"Medium", "Large"}),
    ({"key": "seats", "min": "10", "max": "9"}, set()),
    # numbers compare as numbers, not as text ("120" < "25.5" as text)
    ({"key": "seats", "min": "100"}, {"Large"}),
    ({"key": "seats", "oneOf": ["3", "120"]}, {"Small", "Large"}),
    ({"key": "renewal", "min": "2030-06-01"}, {"Medium", "Large"}),
    ({"key": "renewal", "max": "2030-06-01"}, {"Small", "Medium"}),
    ({"key": "renewal", "min": "2030-01-16", "max": "2031-02-28"}, {"Medium"}),
    ({"key": "renewal", "equals": "2031-03-01"}, {"Large"}),
    ({"key": "signed_at", "min": "2030-01-01T00:00:00Z"}, set()),  # Medium is 23:00 UTC
    ({"key": "signed_at", "min": "2029-12-31T23:00:00+00:00"}, {"Small", "Medium"}),
    ({"key": "signed_at", "max": "2029-12-31T23:15:00+00:00"}, {"Medium"}),
    ({"key": "plan", "equals": "Pro"}, {"Medium"}),
    ({"key": "plan", "oneOf": ["Basic", "Enterprise"]}, {"Small", "Large"}),
    ({"key": "channels", "oneOf": ["Email"]}, {"Small", "Large"}),
    ({"key": "channels", "oneOf": ["Phone", "Email"]}, {"Small", "Medium", "Large"}),
    ({"key": "channels", "equals": "Chat"}, {"Medium", "Large"}),
    ({"key": "vip", "equals": "true"}, {"Medium", "Large"}),
    ({"key": "vip", "equals": "false"}, {"Small"}),
    ({"key": "region", "equals": "North"}, {"Small"}),
    ({"key": "region", "oneOf": ["South", "West"]}, {"Medium"}),
]


def test_custom_field_predicates(api):
    _custom_field_customers(api)
    results = [(p, found(api, customFields=[p]), e) for p, e in PREDICATES]
    assert [r for r in results if r[1] != r[2]] == []
    both = [{"key": "vip", "equals": "true"}, {"key": "seats", "max": "100"}]
    assert found(api, customFields=both) == {"Medium"}


@pytest.mark.parametrize(
    "predicate, code",
    [
        ({"key": "no_such_field", "equals": "1"}, "NOT_FOUND"),
        ({"key": "seats", "min": "lots"}, "INVALID"),
        ({"key": "renewal", "equals": "next week"}, "INVALID"),
        ({"key": "vip", "equals": "maybe"}, "INVALID"),
    ],
)
def test_bad_custom_field_predicates_are_user_errors(api, predicate, code):
    make_field(api, "seats", "NUMBER")
    make_field(api, "renewal", "DATE")
    make_field(api, "vip", "BOOLEAN")
    make_customer(api, "Someone")
    errors = api.errors(CUSTOMERS, first=5, filter={"customFields": [predicate]})
    assert error_code(errors) == "BAD_USER_INPUT"
    (problem,) = errors[0]["extensions"]["problems"]
    assert problem["field"] == ["filter", "customFields", "0"]
    assert problem["code"] == code


def test_combined_filters(api):
    vip, folder = make_tag(api, "VIP"), make_folder(api, "Sales")
    ada = make_worker(api, "Ada Agent")
    make_customer(
        api,
        "Anna Match",
        kind="CUSTOMER",
        tagIds=[vip],
        workerIds=[ada],
        folders=[{"folderId": folder["id"]}],
    )
    make_customer(api, "Anna Untagged", kind="CUSTOMER", workerIds=[ada])
    make_customer(api, "Anna Lead", tagIds=[vip], workerIds=[ada])
    make_customer(api, "Bert Match", kind="CUSTOMER", tagIds=[vip], workerIds=[ada])
    make_customer(api, "Anna Alone", kind="CUSTOMER", tagIds=[vip])
    combined = {
        "search": "anna",
        "kinds": ["CUSTOMER"],
        "tags": {"ids": [vip]},
        "workerIds": [ada],
    }
    assert found(api, **combined) == {"Anna Match"}
    assert found(api, **combined, folderIds=[folder["id"]]) == {"Anna Match"}
    assert found(api, **combined, unassigned=True) == set()
    page = customers(api, first=1, filter={"search": "anna"})
    assert page["totalCount"] == 4
    assert len(page["nodes"]) == 1


# --- single lookups -------------------------------------------------------------------------


def test_customer_node_and_nodes(api):
    a, b = make_customers(api, "A", "B")
    tag = make_tag(api, "Hot")
    assert api.query(CUSTOMER, id=a["id"])["customer"] == {"id": a["id"], "name": "A"}
    assert api.query(NODE, id=b["id"])["node"] == {"id": b["id"], "__typename": "Customer"}
    unknown = gid("Customer", pk_of(b["id"]) + 10_000)
    result = api.query(NODES, ids=[b["id"], unknown, tag, a["id"], "x"])["nodes"]
    assert result == [
        {"id": b["id"], "__typename": "Customer"},
        None,
        {"id": tag, "__typename": "Tag"},
        {"id": a["id"], "__typename": "Customer"},
        None,
    ]
    assert api.query(NODES, ids=[])["nodes"] == []


def _null_everywhere(api: Api, bad_id: str) -> list:
    """What `customer`, `node` and `nodes` answer for `bad_id`, where it is not all null."""
    wrong = []
    for query, field in ((CUSTOMER, "customer"), (NODE, "node")):
        response = api.post(query, {"id": bad_id})
        if response.status_code != 200 or response.json() != {"data": {field: None}}:
            wrong.append((bad_id, field, response.status_code, response.json()))
    response = api.post(NODES, {"ids": [bad_id]})
    if response.json() != {"data": {"nodes": [None]}}:
        wrong.append((bad_id, "nodes", response.status_code, response.json()))
    return wrong


def test_malformed_ids_are_null_not_errors(api):
    make_customer(api, "A")
    bad_ids = [
        "x",
        "",
        "!!!",
        "é",
        "Q3VzdG9tZXI6",  # "Customer:"
        "Q3VzdG9tZXI6YWJj",  # "Customer:abc"
        gid("Customer", 0),
        gid("Customer", -1),
        gid("Nonsense", 1),
    ]
    assert [w for bad_id in bad_ids for w in _null_everywhere(api, bad_id)] == []


def test_out_of_range_ids_are_null_not_errors(api):
    make_customer(api, "A")
    bad_ids = [gid("Customer", 2**31), gid("Customer", 2**63), gid("Customer", 10**30)]
    assert [w for bad_id in bad_ids for w in _null_everywhere(api, bad_id)] == []
    assert found(api, parentId=gid("Customer", 2**31)) == set()


def test_an_id_of_another_type_is_not_a_customer(api):
    customer = make_customer(api, "A")
    tag = make_tag(api, "Hot")
    folder = make_folder(api, "Sales")
    assert api.query(CUSTOMER, id=tag)["customer"] is None
    assert api.query(CUSTOMER, id=folder["id"])["customer"] is None
    # the same number under another type name is not the customer either
    assert api.query(CUSTOMER, id=gid("Tag", pk_of(customer["id"])))["customer"] is None


def test_nodes_refuses_more_than_one_hundred_ids(api):
    customer = make_customer(api, "A")
    assert len(api.query(NODES, ids=[customer["id"]] * 100)["nodes"]) == 100
    errors = api.errors(NODES, ids=[customer["id"]] * 101)
    assert error_code(errors) == "BAD_USER_INPUT"


# --- tenant isolation -----------------------------------------------------------------------


def test_another_tenants_customer_looks_unknown(api, other_api):
    theirs = make_customer(other_api, "Their Customer")
    mine = make_customer(api, "Mine")
    unknown = gid("Customer", pk_of(mine["id"]) + 100_000)
    for query in (CUSTOMER, NODE):
        seen = api.post(query, {"id": theirs["id"]})
        missing = api.post(query, {"id": unknown})
        assert seen.status_code == missing.status_code == 200
        assert seen.json() == missing.json()
        assert next(iter(seen.json()["data"].values())) is None
    assert api.query(NODES, ids=[theirs["id"], mine["id"]])["nodes"] == [
        None,
        {"id": mine["id"], "__typename": "Customer"},
    ]
    # and the owner still sees it
    assert other_api.query(CUSTOMER, id=theirs["id"])["customer"]["name"] == "Their Customer"


def test_another_tenants_settings_rows_look_unknown(api, other_api):
    tag = make_tag(other_api, "Theirs")
    folder = make_folder(other_api, "Theirs")
    worker = make_worker(other_api, "Their Worker")
    definition = make_field(other_api, "theirs", "TEXT")
    status = customer_statuses(other_api)["New"]
    tenant = gid("Tenant", other_api.tenant_id)
    their_ids = [tag, folder["id"], worker, definition, status, tenant]
    assert [api.query(NODE, id=i)["node"] for i in their_ids] == [None] * 6
    assert api.query(NODES, ids=their_ids)["nodes"] == [None] * 6
    own = gid("Tenant", api.tenant_id)
    assert api.query(NODE, id=own)["node"] == {"id": own, "__typename": "Tenant"}
    assert other_api.query(NODE, id=definition)["node"]["__typename"] == "CustomFieldDefinition"


def test_another_tenants_ids_in_filters_match_nothing(api, other_api):
    their_tag, their_folder = make_tag(other_api, "Shared"), make_folder(other_api, "Shared")
    their_worker = make_worker(other_api, "Their Worker")
    their_parent = make_customer(other_api, "Their Parent")
    make_customer(
        other_api,
        "Their Child",
        parentId=their_parent["id"],
        tagIds=[their_tag],
        folders=[{"folderId": their_folder["id"]}],
        workerIds=[their_worker],
    )
    their_status = customer_statuses(other_api)["New"]
    make_customer(api, "Mine")
    assert found(api, tags={"ids": [their_tag]}) == set()
    assert found(api, tags={"ids": [their_tag], "match": "ALL"}) == set()
    assert found(api, folderIds=[their_folder["id"]]) == set()
    assert found(api, workerIds=[their_worker]) == set()
    assert found(api, statusIds=[their_status]) == set()
    assert found(api, parentId=their_parent["id"]) == set()
    assert found(api) == {"Mine"}


def test_another_tenants_customers_never_show_in_lists(api, other_api):
    for name in ("Shared Name", "Other Only"):
        make_customer(other_api, name, phones=[{"value": "+44 20 7946 0018"}])
    make_customer(api, "Shared Name")
    page = customers(api, first=100)
    assert [n["name"] for n in page["nodes"]] == ["Shared Name"]
    assert page["totalCount"] == 1
    assert found(api, search="shared") == {"Shared Name"}
    assert found(api, search="other") == set()
    assert found(api, search="7946") == set()
    assert found(api, search="sh") == {"Shared Name"}
    assert customers(api, last=100)["totalCount"] == 1
    assert api.query("{ folders { id } tags { id } }") == {"folders": [], "tags": []}


# --- the profile --------------------------------------------------------------------------


def test_profile_related_fields(api):
    statuses = customer_statuses(api)
    hot, cold = make_tag(api, "Hot"), make_tag(api, "Cold")
    sales = make_folder(api, "Sales", ["Lead", "Won"])
    support = make_folder(api, "Support", ["Open", "Closed"])
    ada, ben = make_worker(api, "Ada Agent"), make_worker(api, "Ben Agent")
    parent = make_customer(api, "Parent Co")
    customer = make_customer(
        api,
        "Child Co",
        kind="CUSTOMER",
        statusId=statuses["Active"],
        parentId=parent["id"],
        tagIds=[cold, hot],
        workerIds=[ben, ada],
        folders=[{"folderId": support["id"], "statusId": support["statuses"]["Closed"]}],
        phones=[
            {"value": "+44 20 7946 0018", "label": "work"},
            {"value": "07700 900123", "label": "mobile", "primary": True},
        ],
        emails=[{"value": "Child@Example.com"}, {"value": "ops@example.com", "label": "ops"}],
    )
    api.ok(
        "addCustomerToFolders",
        {"customerId": customer["id"], "folders": [{"folderId": sales["id"]}]},
        "customer { id }",
    )
    profile = api.query(PROFILE, id=customer["id"])["customer"]
    assert profile["kind"] == "CUSTOMER"
    assert profile["status"] == {"id": statuses["Active"], "name": "Active"}
    assert [t["name"] for t in profile["tags"]] == ["Hot", "Cold"]  # tag order, not input order
    assert [w["name"] for w in profile["workers"]] == ["Ada Agent", "Ben Agent"]
    assert profile["parent"] == {"id": parent["id"], "name": "Parent Co"}
    memberships = {m["folder"]["name"]: m for m in profile["folders"]}
    assert [m["folder"]["name"] for m in profile["folders"]] == ["Sales", "Support"]
    assert memberships["Support"]["status"]["name"] == "Closed"
    assert memberships["Sales"]["status"]["name"] == "Lead"  # the folder's default
    added_support = datetime.fromisoformat(memberships["Support"]["addedAt"])
    added_sales = datetime.fromisoformat(memberships["Sales"]["addedAt"])
    assert added_support == datetime.fromisoformat(profile["createdAt"])
    assert added_sales > added_support
    assert profile["phones"] == [
        {"label": "work", "value": "+44 20 7946 0018", "primary": False},
        {"label": "mobile", "value": "07700 900123", "primary": True},
    ]
    assert profile["primaryPhone"] == "07700 900123"
    assert profile["emails"] == [
        {"label": None, "value": "child@example.com", "primary": True},
        {"label": "ops", "value": "ops@example.com", "primary": False},
    ]
    assert profile["primaryEmail"] == "child@example.com"
    assert profile["customFields"] == []
    assert profile["subCustomerCount"] == 0

    # reordering tags and workers reorders them on the profile
    reorder(api, "reorderTags", [cold, hot])
    owner = api.query("{ me { worker { id } } }")["me"]["worker"]["id"]
    reorder(api, "reorderWorkers", [ben, owner, ada])
    profile = api.query(PROFILE, id=customer["id"])["customer"]
    assert [t["name"] for t in profile["tags"]] == ["Cold", "Hot"]
    assert [w["name"] for w in profile["workers"]] == ["Ben Agent", "Ada Agent"]

    parent_view = api.query(PROFILE, id=parent["id"])["customer"]
    assert parent_view["parent"] is None
    assert parent_view["subCustomerCount"] == 1
    assert parent_view["primaryPhone"] is parent_view["primaryEmail"] is None
    assert parent_view["phones"] == parent_view["emails"] == []


def test_sub_customers_are_paged_by_name(api):
    parent = make_customer(api, "Parent")
    for name in ("delta", "Alpha", "charlie", "Bravo", "echo"):
        make_customer(api, name, parentId=parent["id"])
    make_customer(api, "Not a child")
    profile = api.query(PROFILE, id=parent["id"], first=2)["customer"]
    assert profile["subCustomerCount"] == 5
    subs = profile["subCustomers"]
    assert [n["name"] for n in subs["nodes"]] == ["Alpha", "Bravo"]
    assert subs["totalCount"] == 5
    assert subs["pageInfo"]["hasNextPage"] is True
    collected = [n["name"] for n in subs["nodes"]]
    while subs["pageInfo"]["hasNextPage"]:
        after = subs["pageInfo"]["endCursor"]
        subs = api.query(PROFILE, id=parent["id"], first=2, after=after)["customer"]["subCustomers"]
        assert subs["pageInfo"]["hasPreviousPage"] is True
        collected += [n["name"] for n in subs["nodes"]]
    assert collected == ["Alpha", "Bravo", "charlie", "delta", "echo"]


def test_profile_custom_fields_follow_folders_and_conditions(api):
    sales, support = make_folder(api, "Sales"), make_folder(api, "Support")
    plan = make_field(api, "plan", "SINGLE_SELECT", options=["Basic", "Pro", "Enterprise"])
    make_field(api, "pro_seats", "NUMBER", condition={"fieldId": plan, "values": ["Pro"]})
    make_field(api, "deal_size", "NUMBER", folderIds=[sales["id"]])
    make_field(api, "region", "TEXT")
    vip = make_field(api, "vip", "BOOLEAN")
    make_field(api, "vip_perks", "TEXT", condition={"fieldId": vip, "values": ["true"]})

    def shown(customer):
        fields = api.query(PROFILE, id=customer["id"])["customer"]["customFields"]
        return [f["definition"]["key"] for f in fields]

    nowhere = make_customer(api, "Nowhere")
    in_support = make_customer(api, "Support", folders=[{"folderId": support["id"]}])
    in_sales = make_customer(
        api,
        "Sales",
        folders=[{"folderId": sales["id"]}, {"folderId": support["id"]}],
        customFields=[{"key": "deal_size", "number": 5000}],
    )
    basic = make_customer(api, "Basic", customFields=[{"key": "plan", "option": "Basic"}])
    pro = make_customer(
        api,
        "Pro",
        customFields=[{"key": "plan", "option": "Pro"}, {"key": "pro_seats", "number": 12}],
    )
    vip_customer = make_customer(api, "VIP", customFields=[{"key": "vip", "boolean": True}])
    not_vip = make_customer(api, "Not VIP", customFields=[{"key": "vip", "boolean": False}])
    assert shown(nowhere) == ["plan", "region", "vip"]
    assert shown(in_support) == ["plan", "region", "vip"]
    assert shown(in_sales) == ["plan", "deal_size", "region", "vip"]
    assert shown(basic) == ["plan", "region", "vip"]
    assert shown(pro) == ["plan", "pro_seats", "region", "vip"]
    assert shown(vip_customer) == ["plan", "region", "vip", "vip_perks"]
    assert shown(not_vip) == ["plan", "region", "vip"]

    # switching the select hides the dependent field; the folder shows the scoped one
    api.ok(
        "updateCustomer",
        {"id": pro["id"], "customFields": [{"key": "plan", "option": "Enterprise"}]},
        CUSTOMER_FIELDS,
    )
    assert shown(pro) == ["plan", "region", "vip"]
    api.ok(
        "addCustomerToFolders",
        {"customerId": nowhere["id"], "folders": [{"folderId": sales["id"]}]},
        "customer { id }",
    )
    assert shown(nowhere) == ["plan", "deal_size", "region", "vip"]


def test_profile_custom_field_values_are_typed(api):
    make_field(api, "region", "TEXT")
    make_field(api, "bio", "LONG_TEXT")
    make_field(api, "seats", "NUMBER")
    make_field(api, "renewal", "DATE")
    make_field(api, "signed_at", "DATE_TIME")
    make_field(api, "vip", "BOOLEAN")
    make_field(api, "plan", "SINGLE_SELECT", options=["Basic", "Pro"])
    make_field(api, "channels", "MULTI_SELECT", options=["Email", "Phone", "Chat"])
    make_field(api, "empty", "NUMBER")
    customer = make_customer(
        api,
        "Typed",
        customFields=[
            {"key": "region", "text": "North"},
            {"key": "bio", "text": "Line one\nLine two"},
            {"key": "seats", "number": 12.5},
            {"key": "renewal", "date": "2030-02-28"},
            {"key": "signed_at", "dateTime": "2030-01-01T10:00:00+02:00"},
            {"key": "vip", "boolean": False},
            {"key": "plan", "option": "Pro"},
            {"key": "channels", "options": ["Chat", "Email"]},
        ],
    )
    fields = api.query(PROFILE, id=customer["id"])["customer"]["customFields"]
    empty = {"text": None, "number": None, "date": None, "dateTime": None, "boolean": None}
    empty["options"] = None
    by_key = {f["definition"]["key"]: f for f in fields}
    assert [f["definition"]["key"] for f in fields] == [
        "region",
        "bio",
        "seats",
        "renewal",
        "signed_at",
        "vip",
        "plan",
        "channels",
        "empty",
    ]

    def value(key):
        f = dict(by_key[key])
        del f["definition"]
        return {k: v for k, v in f.items() if v is not None}

    assert value("region") == {"text": "North"}
    assert value("bio") == {"text": "Line one\nLine two"}
    assert value("seats") == {"number": 12.5}
    assert value("renewal") == {"date": "2030-02-28"}
    signed = datetime.fromisoformat(value("signed_at")["dateTime"])
    assert signed == datetime(2030, 1, 1, 8, 0, tzinfo=UTC)
    assert by_key["vip"]["boolean"] is False
    assert value("vip") == {"boolean": False}
    assert value("plan") == {"text": "Pro"}
    assert value("channels") == {"options": ["Email", "Chat"]}  # option order
    assert {k: v for k, v in by_key["empty"].items() if k != "definition"} == empty


# --- the statement count: no N+1 ---------------------------------------------------------


def test_list_costs_the_same_statements_for_3_and_12_customers(api, engine):
    # 12 against 3 shows a count that does not grow with the page as well as 50 against 5
    # would (no batch size or cut-off below 12 on this path), with a quarter of the rows.
    hot, cold = make_tag(api, "Hot"), make_tag(api, "Cold")
    folder = make_folder(api, "Pipeline", ["Lead", "Won"])
    ada, ben = make_worker(api, "Ada Agent"), make_worker(api, "Ben Agent")
    make_field(api, "note", "TEXT")
    make_field(api, "deal", "TEXT", folderIds=[folder["id"]])
    # a chain: root <- m00 <- m01 <- ... <- m11 <- leaf; each member has a parent and a child
    parent = make_customer(api, "Root")
    members = []
    for i in range(12):
        member = make_customer(
            api,
            f"Member {i:02d}",
            parentId=parent["id"],
            customFields=[{"key": "note", "text": f"note {i}"}],
        )
        members.append(member["id"])
        parent = member
    make_customer(api, "Leaf", parentId=parent["id"])
    api.ok("bulkAddCustomerTags", {"customerIds": members, "tagIds": [hot, cold]}, "")
    placement = {"folderId": folder["id"], "statusId": folder["statuses"]["Won"]}
    api.ok("bulkAddCustomerToFolders", {"customerIds": members, "folders": [placement]}, "")
    api.ok("bulkAssignWorkers", {"customerIds": members, "workerIds": [ada, ben]}, "")

    in_folder = {"folderIds": [folder["id"]]}
    api.query(LIST_FOR_COUNTING, first=1, filter=in_folder)  # warm-up, same token
    with count_statements(engine) as three:
        small = api.query(LIST_FOR_COUNTING, first=3, filter=in_folder)["customers"]["nodes"]
    with count_statements(engine) as twelve:
        large = api.query(LIST_FOR_COUNTING, first=12, filter=in_folder)["customers"]["nodes"]
    print(f"statements: first 3 -> {three.count}, first 12 -> {twelve.count}")

    assert len(small) == 3
    assert len(large) == 12
    assert large[:3] == small
    newest = large[0]
    assert newest["name"] == "Member 11"
    assert newest["status"] == {"name": "New"}
    assert [t["name"] for t in newest["tags"]] == ["Hot", "Cold"]
    assert newest["folders"] == [{"folder": {"name": "Pipeline"}, "status": {"name": "Won"}}]
    assert [w["name"] for w in newest["workers"]] == ["Ada Agent", "Ben Agent"]
    assert newest["parent"] == {"name": "Member 10"}
    assert large[-1]["parent"] == {"name": "Root"}
    assert all(c["subCustomerCount"] == 1 for c in large)
    assert newest["customFields"] == [
        {"definition": {"key": "note"}, "text": "note 11"},
        {"definition": {"key": "deal"}, "text": None},
    ]
    assert three.count == twelve.count, (three.statements, twelve.statements)
    assert twelve.count <= 12, twelve.statements


# --- settings lists -------------------------------------------------------------------------


FOLDERS = "{ folders { id name position customerCount statuses { name isDefault position } } }"


def test_folders_with_counts_and_statuses_in_order(api, other_api):
    sales = make_folder(api, "Sales", ["Lead", "Qualified", "Won"])
    support = make_folder(api, "Support")
    empty = make_folder(api, "Empty", ["Only"])
    a, b, _c = make_customers(api, "A", "B", "C")
    api.ok(
        "bulkAddCustomerToFolders",
        {"customerIds": [a["id"], b["id"]], "folders": [{"folderId": sales["id"]}]},
        "",
    )
    api.ok(
        "addCustomerToFolders",
        {"customerId": a["id"], "folders": [{"folderId": support["id"]}]},
        "customer { id }",
    )
    make_customer(other_api, "Theirs")
    folders = api.query(FOLDERS)["folders"]
    assert [f["name"] for f in folders] == ["Sales", "Support", "Empty"]
    assert [f["customerCount"] for f in folders] == [2, 1, 0]
    assert [s["name"] for s in folders[0]["statuses"]] == ["Lead", "Qualified", "Won"]
    assert [s["isDefault"] for s in folders[0]["statuses"]] == [True, False, False]
    assert [s["name"] for s in folders[1]["statuses"]] == ["New", "In progress", "Done"]
    assert [s["name"] for s in folders[2]["statuses"]] == ["Only"]

    reorder(api, "reorderFolders", [empty["id"], sales["id"], support["id"]])
    ids = list(sales["statuses"].values())
    reorder(api, "reorderStatuses", [ids[2], ids[0], ids[1]], folderId=sales["id"])
    folders = api.query(FOLDERS)["folders"]
    assert [f["name"] for f in folders] == ["Empty", "Sales", "Support"]
    assert [s["name"] for s in folders[1]["statuses"]] == ["Won", "Lead", "Qualified"]
    listed = api.query(
        "query($f: ID) { statuses(folderId: $f) { name folder { name } } }", f=sales["id"]
    )["statuses"]
    assert [s["name"] for s in listed] == ["Won", "Lead", "Qualified"]
    assert {s["folder"]["name"] for s in listed} == {"Sales"}


def test_statuses_lists(api, other_api):
    their_folder = make_folder(other_api, "Theirs", ["Secret"])
    tenant_list = api.query("{ statuses { name isDefault folder { id } } }")["statuses"]
    assert [s["name"] for s in tenant_list] == ["New", "Active", "On hold", "Lost"]
    assert [s["isDefault"] for s in tenant_list] == [True, False, False, False]
    assert all(s["folder"] is None for s in tenant_list)
    query = "query($f: ID) { statuses(folderId: $f) { name } }"
    assert api.query(query, f="x")["statuses"] == []
    assert api.query(query, f=gid("Folder", 10**6))["statuses"] == []
    assert api.query(query, f=their_folder["id"])["statuses"] == []


def test_tags_workers_and_definitions_in_order(api):
    a, b, c = make_tag(api, "Alpha"), make_tag(api, "Beta"), make_tag(api, "Gamma")
    assert [t["name"] for t in api.query("{ tags { name } }")["tags"]] == [
        "Alpha",
        "Beta",
        "Gamma",
    ]
    reorder(api, "reorderTags", [c, a, b])
    assert [t["name"] for t in api.query("{ tags { name } }")["tags"]] == [
        "Gamma",
        "Alpha",
        "Beta",
    ]

    zed, amy = make_worker(api, "Zed Worker"), make_worker(api, "Amy Worker")
    workers = api.query("{ workers { id name } }")["workers"]
    assert [w["name"] for w in workers] == ["Olivia Owner", "Zed Worker", "Amy Worker"]
    reorder(api, "reorderWorkers", [amy, workers[0]["id"], zed])
    assert [w["name"] for w in api.query("{ workers { name } }")["workers"]] == [
        "Amy Worker",
        "Olivia Owner",
        "Zed Worker",
    ]

    one, two = make_field(api, "one", "TEXT"), make_field(api, "two", "NUMBER")
    three = make_field(api, "three", "BOOLEAN")
    definitions = "{ customFieldDefinitions { key } }"
    assert [d["key"] for d in api.query(definitions)["customFieldDefinitions"]] == [
        "one",
        "two",
        "three",
    ]
    reorder(api, "reorderCustomFieldDefinitions", [three, one, two])
    assert [d["key"] for d in api.query(definitions)["customFieldDefinitions"]] == [
        "three",
        "one",
        "two",
    ]
