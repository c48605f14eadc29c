"""The customer filter language against a naive Python evaluation of the same rows: random
trees (hypothesis) over every kind of field, on both databases, each answer compared with
what the rows read back through the API say it must be, in the order the sort says."""

import random
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import Api
from tests.test_customer_list import make_field, make_folder, make_tag, make_worker

ROWS = """
query {
  customers(first: 100) {
    nodes {
      id name kind city company leadSource blocked createdAt followUpAt
      status { id } parent { id } tags { id } workers { id }
      folders { folder { id } status { id } }
      customFields { definition { key } text number date boolean options }
    }
  }
}"""

FIND = """
query($where: CustomerWhere, $order: CustomerOrder) {
  customers(first: 100, where: $where, orderBy: $order) { nodes { id } totalCount }
}"""

NAMES = ["Ada", "ada Lovelace", "Bob", "Berta", "Carl", "Dora", "Emil", "Eve", "Finn"]
CITIES = ["Berlin", "bern", "Paris", "paris", "Bergen", None]
COMPANIES = ["Acme", "acme Corp", "Globex", None]
SOURCES = ["Google", "Referral", None]
TEXTS = ["berlin", "BER", "par", "acme", "Acme Corp", "google", "", "e", "x", "ada", "or"]
OPTIONS = ["en", "de", "fr"]


def _seed(api: Api) -> dict:
    rng = random.Random(7)
    statuses = [s["id"] for s in api.query("{ statuses { id } }")["statuses"]]
    folders = [make_folder(api, n, ["Open", "Won"]) for n in ("Sales", "Support")]
    tags = [make_tag(api, n) for n in ("Red", "Blue", "Green")]
    workers = [make_worker(api, n) for n in ("Wanda One", "Walt Two")]
    make_field(api, "score", "NUMBER")
    make_field(api, "tier", "SINGLE_SELECT", options=["gold", "silver"])
    make_field(api, "langs", "MULTI_SELECT", options=OPTIONS)
    make_field(api, "vip", "BOOLEAN")
    make_field(api, "since", "DATE")
    make_field(api, "nick", "TEXT")
    now = datetime.now(UTC)
    created = []
    for i in range(24):
        custom = []
        if rng.random() < 0.7:
            custom.append({"key": "score", "number": rng.choice([-2, 0, 3, 3.5, 10])})
        if rng.random() < 0.6:
            custom.append({"key": "tier", "option": rng.choice(["gold", "silver"])})
        langs = [o for o in OPTIONS if rng.random() < 0.4]
        if langs:
            custom.append({"key": "langs", "options": langs})
        if rng.random() < 0.6:
            custom.append({"key": "vip", "boolean": rng.random() < 0.5})
        if rng.random() < 0.6:
            day = date.today() + timedelta(days=rng.choice([-40, -10, -2, 2, 10]))
            custom.append({"key": "since", "date": day.isoformat()})
        if rng.random() < 0.5:
            custom.append({"key": "nick", "text": rng.choice(["Berty", "acme fan", "Zed"])})
        placed = [f for f in folders if rng.random() < 0.5]
        follow = rng.choice([None, -40, -5.5, -0.5, 0.5, 2.5, 12.5])
        spec = {
            "name": f"{rng.choice(NAMES)} {i}",
            "kind": rng.choice(["LEAD", "CUSTOMER"]),
            "city": rng.choice(CITIES),
            "company": rng.choice(COMPANIES),
            "leadSource": rng.choice(SOURCES),
            "statusId": rng.choice(statuses),
            "folders": [
                {"folderId": f["id"], "statusId": rng.choice(list(f["statuses"].values()))}
                for f in placed
            ],
            "tagIds": [t for t in tags if rng.random() < 0.4],
            "workerIds": [w for w in workers if rng.random() < 0.4],
            "customFields": custom,
            "followUpAt": None if follow is None else (now + timedelta(days=follow)).isoformat(),
        }
        if created and rng.random() < 0.3:
            spec["parentId"] = rng.choice(created)
        created.append(api.ok("createCustomer", spec, "customer { id }")["customer"]["id"])
    rows = {}
    for node in api.query(ROWS)["customers"]["nodes"]:
        values = {v["definition"]["key"]: v for v in node["customFields"]}
        rows[node["id"]] = {
            "id": node["id"],
            "name": node["name"],
            "kind": node["kind"],
            "city": node["city"],
            "company": node["company"],
            "leadSource": node["leadSource"],
            "blocked": node["blocked"],
            "createdAt": _moment(node["createdAt"]),
            "followUpAt": _moment(node["followUpAt"]),
            "status": {node["status"]["id"]} if node["status"] else set(),
            "parent": {node["parent"]["id"]} if node["parent"] else set(),
            "tag": {t["id"] for t in node["tags"]},
            "worker": {w["id"] for w in node["workers"]},
            "folder": {f["folder"]["id"] for f in node["folders"]},
            "folderStatus": {f["status"]["id"] for f in node["folders"] if f["status"]},
            "customFields.score": (values.get("score") or {}).get("number"),
            "customFields.tier": (values.get("tier") or {}).get("text"),
            "customFields.langs": set((values.get("langs") or {}).get("options") or []),
            "customFields.vip": (values.get("vip") or {}).get("boolean"),
            "customFields.since": (values.get("since") or {}).get("date"),
            "customFields.nick": (values.get("nick") or {}).get("text"),
        }
    for row in rows.values():
        row["subCustomers"] = {r["id"] for r in rows.values() if row["id"] in r["parent"]}
    folder_statuses = [s for f in folders for s in f["statuses"].values()]
    return {
        "rows": rows,
        "ids": {
            "status": statuses,
            "parent": created,
            "subCustomers": created,
            "tag": tags,
            "worker": workers,
            "folder": [f["id"] for f in folders],
            "folderStatus": folder_statuses,
        },
    }


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- the naive evaluation ------------------------------------------------------------------

TEXT_FIELDS = ("name", "city", "company", "leadSource", "customFields.nick")
LINK_FIELDS = ("tag", "worker", "folder", "folderStatus", "subCustomers")
SCALAR_IDS = ("status", "parent")
NEGATED = {"NEQ": "EQ", "NOT_IN": "IN", "NOT_CONTAINS": "CONTAINS", "IS_NOT_EMPTY": "IS_EMPTY"}


def _holds(row: dict, leaf: dict, now: datetime) -> bool:
    op = leaf["op"]
    if op in NEGATED:
        return not _holds(row, {**leaf, "op": NEGATED[op]}, now)
    name, value, values = leaf["field"], leaf.get("value"), leaf.get("values")
    x = row[name]
    if isinstance(x, set):
        if op == "IS_EMPTY":
            return not x
        if op == "EQ":
            return value in x
        if op == "IN":
            return bool(x & set(values))
        return set(values) <= x  # ALL
    if op == "IS_EMPTY":
        return x is None
    if x is None:
        return False
    if name in TEXT_FIELDS:
        x = x.lower()
        if op == "EQ":
            return x == value.lower()
        if op == "IN":
            return x in {v.lower() for v in values}
        if op == "CONTAINS":
            return value.lower() in x
        return x.startswith(value.lower())  # STARTS_WITH
    if isinstance(x, datetime) or name == "customFields.since":
        if name == "customFields.since":
            x = date.fromisoformat(x)
            parse = date.fromisoformat
            today = now.date()
        else:
            parse = _moment
            today = now
        if op == "WITHIN_LAST_DAYS":
            return today - timedelta(days=value) <= x <= today
        if op == "WITHIN_NEXT_DAYS":
            return today <= x <= today + timedelta(days=value)
        value = parse(value) if value is not None else None
        values = [parse(v) for v in values] if values else values
        op = {"BEFORE": "LT", "AFTER": "GT"}.get(op, op)
    if op == "EQ":
        return x == value
    if op == "IN":
        return x in values
    if op == "BETWEEN":
        return values[0] <= x <= values[1]
    return {"GT": x > value, "GTE": x >= value, "LT": x < value, "LTE": x <= value}[op]


def evaluate(row: dict, tree: dict, now: datetime) -> bool:
    results = []
    if "and" in tree:
        results.append(all(evaluate(row, t, now) for t in tree["and"]))
    if "or" in tree:
        results.append(not tree["or"] or any(evaluate(row, t, now) for t in tree["or"]))
    if "not" in tree:
        results.append(not evaluate(row, tree["not"], now))
    if "field" in tree:
        results.append(_holds(row, tree, now))
    return all(results)


def depth(tree: dict) -> int:
    children = [*tree.get("and", []), *tree.get("or", [])]
    if "not" in tree:
        children.append(tree["not"])
    return 1 + max((depth(c) for c in children), default=0)


# --- random trees --------------------------------------------------------------------------


def _leaves(seeded: dict, now: datetime):
    ids = seeded["ids"]
    created = sorted(r["createdAt"] for r in seeded["rows"].values())
    moments = [(now + timedelta(days=d)).isoformat() for d in (-30, -3, -1, 0.25, 1, 5, 30)]
    days = [(date.today() + timedelta(days=d)).isoformat() for d in (-20, -2, 0, 2, 20)]
    numbers = [-2, 0, 3, 3.5, 4, 10]

    def leaf(field, op, value=None, values=None):
        found = {"field": field, "op": op}
        if value is not None:
            found["value"] = value
        if values is not None:
            found["values"] = values
        return found

    def pick(field, ops, pool, many=("IN", "NOT_IN")):
        single = [o for o in ops if o not in (*many, "ALL", "BETWEEN", "IS_EMPTY", "IS_NOT_EMPTY")]
        choices = (
            [st.builds(leaf, st.just(field), st.sampled_from(single), st.sampled_from(pool))]
            if single
            else []
        )
        choices.append(
            st.builds(leaf, st.just(field), st.sampled_from(["IS_EMPTY", "IS_NOT_EMPTY"]))
        )
        listed = [o for o in ops if o in (*many, "ALL")]
        if listed:
            choices.append(
                st.builds(
                    lambda f, o, vs: leaf(f, o, values=vs),
                    st.just(field),
                    st.sampled_from(listed),
                    st.lists(st.sampled_from(pool), min_size=1, max_size=3),
                )
            )
        if "BETWEEN" in ops:
            choices.append(
                st.builds(
                    lambda f, a, b: leaf(f, "BETWEEN", values=sorted([a, b])),
                    st.just(field),
                    st.sampled_from(pool),
                    st.sampled_from(pool),
                )
            )
        return st.one_of(*choices)

    text_ops = ["EQ", "NEQ", "IN", "NOT_IN", "CONTAINS", "NOT_CONTAINS", "STARTS_WITH"]
    pools = [pick(f, text_ops, TEXTS) for f in TEXT_FIELDS]
    pools += [pick(f, ["EQ", "NEQ", "IN", "NOT_IN", "ALL"], ids[f]) for f in LINK_FIELDS]
    pools += [pick(f, ["EQ", "NEQ", "IN", "NOT_IN"], ids[f]) for f in SCALAR_IDS]
    pools.append(pick("kind", ["EQ", "NEQ", "IN", "NOT_IN"], ["LEAD", "CUSTOMER"]))
    pools.append(pick("customFields.tier", ["EQ", "NEQ", "IN", "NOT_IN"], ["gold", "silver"]))
    pools.append(pick("customFields.langs", ["EQ", "NEQ", "IN", "NOT_IN", "ALL"], OPTIONS))
    pools.append(pick("customFields.vip", ["EQ", "NEQ"], [True, False]))
    pools.append(pick("blocked", ["EQ", "NEQ"], [True, False]))
    number_ops = ["EQ", "NEQ", "IN", "NOT_IN", "GT", "GTE", "LT", "LTE", "BETWEEN"]
    pools.append(pick("customFields.score", number_ops, numbers))
    date_ops = ["EQ", "NEQ", "BEFORE", "AFTER", "GT", "GTE", "LT", "LTE", "BETWEEN"]
    pools.append(pick("customFields.since", date_ops, days))
    time_ops = ["BEFORE", "AFTER", "GTE", "LTE", "BETWEEN"]
    pools.append(pick("followUpAt", time_ops, moments))
    pools.append(pick("createdAt", time_ops, [c.isoformat() for c in created]))
    pools.append(
        st.builds(
            leaf,
            st.sampled_from(["followUpAt", "customFields.since"]),
            st.sampled_from(["WITHIN_LAST_DAYS", "WITHIN_NEXT_DAYS"]),
            st.sampled_from([1, 3, 7, 30]),
        )
    )
    return st.one_of(*pools)


def trees(leaves):
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.builds(lambda xs: {"and": xs}, st.lists(children, max_size=3)),
            st.builds(lambda xs: {"or": xs}, st.lists(children, max_size=3)),
            st.builds(lambda x: {"not": x}, children),
            st.builds(lambda x, y: {**x, "not": y}, leaves, children),
        ),
        max_leaves=8,
    )


SORTS = [
    None,
    ("name", "sort"),
    ("city", "city"),
    ("company", "company"),
    ("createdAt", "createdAt"),
    ("followUpAt", "followUpAt"),
    ("customFields.score", "customFields.score"),
    ("customFields.nick", "customFields.nick"),
]


def expected_order(rows: list[dict], key: str | None, descending: bool) -> list[str]:
    """Nulls last either way; ties by id in the sort's direction (ids sort by number)."""
    from tests.support import pk_of

    if key is None:
        key, descending = "createdAt", True
    field = "name" if key == "sort" else key

    def value(row):
        x = row[field]
        return x.lower() if isinstance(x, str) and field in TEXT_FIELDS else x

    valued = sorted(
        (r for r in rows if value(r) is not None),
        key=lambda r: (value(r), pk_of(r["id"])),
        reverse=descending,
    )
    empty = sorted(
        (r for r in rows if value(r) is None), key=lambda r: pk_of(r["id"]), reverse=descending
    )
    return [r["id"] for r in valued + empty]


def test_random_filters_match_a_naive_evaluation(api):
    seeded = _seed(api)
    rows = list(seeded["rows"].values())
    now = datetime.now(UTC)

    @settings(
        max_examples=100,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(trees(_leaves(seeded, now)), st.sampled_from(SORTS), st.booleans())
    def check(tree, sort, descending):
        order = None
        if sort is not None:
            order = {"key": sort[0], "direction": "DESC" if descending else "ASC"}
        response = api.post(FIND, {"where": tree, "order": order}).json()
        if depth(tree) > 5:
            codes = [p["code"] for e in response["errors"] for p in e["extensions"]["problems"]]
            assert codes == ["FILTER_TOO_LARGE"], response
            return
        assert "errors" not in response, (tree, response)
        matching = [r for r in rows if evaluate(r, tree, now)]
        got = [n["id"] for n in response["data"]["customers"]["nodes"]]
        key = sort[1] if sort else None
        assert got == expected_order(matching, key, descending and sort is not None), tree
        assert response["data"]["customers"]["totalCount"] == len(matching)

    check()
