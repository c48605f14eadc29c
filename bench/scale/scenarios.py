"""The requests timed: issue 11's table plus the filters by folder, tag, status and
folder x tag, each with its GraphQL text, its variables (search terms and ids read from the
generated tenant) and, for the list pages, the filter the raw floor F applies (`floor.py`).

The deep page: paging with `after` to row 500,000 would take hours, so its cursor is made
as the API makes one (`core.pagination.encode_cursor` of the row's `updated_at` and id, read
with the app's own column type), after checking that this gives exactly the `endCursor`
the API returns for the first page."""

import json
from dataclasses import dataclass, field

from sqlalchemy import select, text

from bench.__main__ import LIST_PAGE
from bench.scale import api, shape
from bench.scale.tenant import Ids
from core.access import principal_for
from core.models import Customer
from core.pagination import encode_cursor
from schema.ids import to_global_id


def _list_query(count: bool) -> str:
    """bench/__main__.py's list page, with `after`, and `totalCount` only when counting."""
    query = LIST_PAGE.replace("$first: Int!,", "$first: Int!, $after: String,").replace(
        "customers(first: $first,", "customers(first: $first, after: $after,"
    )
    if not count:
        query = query.replace("    totalCount\n", "")
    assert "$after" in query and ("totalCount" in query) == count
    return query


LIST = _list_query(count=False)
# The front end's list row carries every tab's badge (frontend/src/operations.graphql).
LIST_TABS = LIST.replace(
    "subCustomerCount", "subCustomerCount\n      profileTabs { key badgeCount }"
)
LIST_COUNTED = _list_query(count=True)
WHERE = """query Where($first: Int!, $where: CustomerWhere, $order: CustomerOrder) {
  customers(first: $first, where: $where, orderBy: $order) {
    nodes { id name purchases { lifetimeValue { amount currency } categoryName } } } }"""
REPORT = """query Report { purchaseReport {
  reportingCurrency topCustomers { customer { id name } totalSpent { amount currency } }
  acquisition { month customers } retention { days customers returned rate }
  churnRiskCount churnRisk { customer { id name } lastPurchaseAt usualIntervalDays }
  byPlace { country city customers totalSpent } byCountry { country customers totalSpent }
} }"""
COUNT = """query Count($filter: CustomerFilter) {
  customers(first: 0, filter: $filter) { totalCount } }"""
MONEY = "{ amount currency }"
# Every commerce module's figures on the list row (issue 15's "list page with all commerce
# fields"); a page ordered by lifetime value and one filtered on total spent.
LIST_COMMERCE = LIST.replace(
    "subCustomerCount",
    f"""subCustomerCount
      orders {{ openCount }}
      deals {{ openCount openValue {MONEY} wonValue {MONEY} weightedValue {MONEY} }}
      subscriptions {{ activeCount }}
      payouts {{ pendingCount totalSent {MONEY} }}
      loyalty {{ balance lifetimePoints tier {{ name }} }}
      purchases {{ totalSpent {MONEY} lifetimeValue {MONEY} orderCount purchaseCount
        lastPurchaseAt categoryName }}""",
)
PROFILE = f"""
query Profile($id: ID!) {{
  customer(id: $id) {{
    id name kind avatarUrl version company leadSource city notes followUpAt
    phones {{ label value primary }} emails {{ label value primary }}
    status {{ id name }} blocked blockedReason
    customFields {{ definition {{ key label type group }} text number date dateTime boolean
      options }}
    folders {{ folder {{ id name statuses {{ id name }} }} status {{ id name }} }}
    tags {{ id name }} workers {{ id name }} parent {{ id name }} subCustomerCount
    subCustomers(first: 10) {{ nodes {{ id name }} }}
    profileTabs {{ key title badgeCount }}
    payments {{
      balance {MONEY} totalPaid {MONEY} lifetimeValue {MONEY}
      unpaidInvoiceCount overdueInvoiceCount
      invoices(first: 10) {{ nodes {{ id number status total {MONEY} amountDue {MONEY}
        dueDate overdue }} }}
      payments(first: 10) {{ nodes {{ id amount {MONEY} methodKind receivedAt }} }}
      methods {{ id kind label isDefault }}
    }}
    insurance {{
      activePolicyCount openClaimCount
      policies(first: 10) {{ nodes {{ id number coverageDescription status premium {MONEY}
        startDate endDate provider {{ id name }} }} }}
    }}
    appointments {{
      upcomingCount credits next {{ id start end status }}
      upcoming(first: 10) {{ nodes {{ id start end status location worker {{ id name }} }} }}
      past(first: 10) {{ nodes {{ id start status }} }}
    }}
    tickets {{
      openCount overdueCount
      open(first: 10) {{ nodes {{ id reference subject status priority dueAt
        assignee {{ id name }} }} }}
    }}
    timeline(first: 20) {{ pageInfo {{ hasNextPage endCursor }}
      edges {{ node {{ id action occurredAt summary actor {{ id name }} }} }} }}
  }}
}}"""
BOARD = """
query Board($id: ID!, $first: Int) {
  flowBoard(flowId: $id, first: $first) {
    count flow { id name }
    columns { count column { id name color }
      cards { pageInfo { hasNextPage endCursor }
        edges { cursor node { rank version columnId customer { id name avatarUrl primaryPhone
          primaryEmail status { id name } tags { id name } workers { id name } } } } } }
  }
}"""
FLOWS = "{ flows { id name } }"
CREATE_FLOW = """mutation($input: CreateFlowInput!) {
  createFlow(input: $input) { flow { id } userErrors { message } } }"""
FOLDER, TAG, STATUS = "Follow-up", "Trade show", "On hold"
FOLDER_X, TAG_X = "Active Clients", "Priority"


@dataclass
class Scenario:
    name: str
    title: str
    query: str
    variables: dict
    worker: str = "admin"  # or "agent": the restricted agent
    floor: dict | None = None  # what the raw floor filters on; None: no floor
    notes: list[str] = field(default_factory=list)


async def build(url: str, base: str, ids: Ids, customers: int) -> dict[str, Scenario]:
    """Every scenario, in the order of the report."""
    async with api.connect(url) as conn:
        deep = customers // 2
        row = (
            await conn.execute(
                select(Customer.updated_at, Customer.id)
                .where(Customer.tenant_id == ids.tenant_id)
                .order_by(Customer.updated_at.desc(), Customer.id.desc())
                .offset(deep - 1)
                .limit(1)
            )
        ).one()
        fiftieth = (
            await conn.execute(
                select(Customer.updated_at, Customer.id)
                .where(Customer.tenant_id == ids.tenant_id)
                .order_by(Customer.updated_at.desc(), Customer.id.desc())
                .offset(49)
                .limit(1)
            )
        ).one()
        phone, email = await _terms(conn, customers)
        profile_id = await conn.scalar(
            text(
                "SELECT max(i.customer_id) FROM invoices i "
                "WHERE EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = i.customer_id) "
                "AND EXISTS (SELECT 1 FROM appointments a WHERE a.customer_id = i.customer_id) "
                "AND EXISTS (SELECT 1 FROM insurance_policies p "
                "WHERE p.customer_id = i.customer_id)"
            )
        )
        agent = await principal_for(conn, ids.tenant_id, ids.agent_id)
    cursor = encode_cursor("updated_at:desc", row.updated_at, row.id)
    async with api.Api(base, api.token(ids.tenant_id, ids.admin_id)) as client:
        first = await client.call(LIST, {"first": 50})
        board = await _flow(client, ids)
    end_cursor = first["customers"]["pageInfo"]["endCursor"]
    if end_cursor != encode_cursor("updated_at:desc", fiftieth.updated_at, fiftieth.id):
        raise RuntimeError("a crafted cursor would differ from the API's: check core/pagination")
    gid = to_global_id
    folder, tag = [gid("Folder", ids.folder(FOLDER))], [gid("Tag", ids.tag(TAG))]
    status = [gid("Status", ids.statuses[STATUS])]
    both = {"folderIds": [gid("Folder", ids.folder(FOLDER_X))]}
    both["tags"] = {"ids": [gid("Tag", ids.tag(TAG_X))]}
    page = {"first": 50}
    visible = {"worker": ids.agent_id, "folders": sorted(agent.view_folders)}
    out = [
        Scenario("list", "list page, 50 rows, no count", LIST, page, floor={}),
        Scenario("list_tabs", "list page + every tab's badge", LIST_TABS, page),
        Scenario("list_commerce", "list page + every commerce field", LIST_COMMERCE, page),
        Scenario(
            "by_value",
            "list by lifetime value",
            WHERE,
            {**page, "order": {"key": "purchases.lifetimeValue", "direction": "DESC"}},
        ),
        Scenario(
            "spent_over",
            "total spent over 1,000",
            WHERE,
            {**page, "where": {"field": "purchases.totalSpent", "op": "GT", "value": 100_000}},
        ),
        Scenario("report", "purchaseReport", REPORT, {}),
        Scenario("report_agent", "purchaseReport, restricted agent", REPORT, {}, "agent"),
        Scenario(
            "deep",
            f"same page after row {deep:,}",
            LIST,
            {**page, "after": cursor},
            floor={"after": (row.updated_at, row.id)},
        ),
        _search("search_common", f'search "{shape.COMMON_TERM}"', shape.COMMON_TERM),
        _search("search_rare", "search, rare name", shape.RARE_LAST_NAMES[0][:7].lower()),
        _search("search_phone", "search, phone digits", phone),
        _search("search_email", "search, email prefix", email),
        _search("search_agent", "restricted agent's search", shape.COMMON_TERM, "agent"),
        Scenario("count", "totalCount, unfiltered", COUNT, {}),
        Scenario("agent", "restricted agent's list page", LIST, page, "agent", visible),
        Scenario("agent_count", "restricted agent's page + count", LIST_COUNTED, page, "agent"),
        Scenario(
            "profile",
            "profile: 4 modules + timeline",
            PROFILE,
            {"id": gid("Customer", profile_id)},
            floor={"profile": profile_id},
        ),
    ]
    for name, title, filter_, floor in (
        ("folder", f"folder {FOLDER!r}", {"folderIds": folder}, {"folder": ids.folder(FOLDER)}),
        ("tag", f"tag {TAG!r}", {"tags": {"ids": tag}}, {"tag": ids.tag(TAG)}),
        ("status", f"status {STATUS!r}", {"statusIds": status}, {"status": ids.statuses[STATUS]}),
        (
            "folder_tag",
            f"folder {FOLDER_X!r} x tag {TAG_X!r}",
            both,
            {"folder": ids.folder(FOLDER_X), "tag": ids.tag(TAG_X)},
        ),
        (
            "worker",
            "worker (the agent's customers)",
            {"workerIds": [gid("Worker", ids.agent_id)]},
            None,
        ),
    ):
        out.append(Scenario(name, title, LIST, {**page, "filter": filter_}, floor=floor))
        counted = {**page, "filter": filter_}
        out.append(Scenario(f"{name}_count", f"{title} + count", LIST_COUNTED, counted))
        only = f"totalCount, {title}"
        out.append(Scenario(f"count_{name}", only, COUNT, {"filter": filter_}))
    out.append(
        Scenario("board", f"flow board, tag {TAG!r}, 3 columns", BOARD, {"id": board, "first": 20})
    )
    return {s.name: s for s in out}


async def _flow(client: api.Api, ids: Ids) -> str:
    """The board of the bench: a flow of the customers tagged `TAG` (found, or made through
    the API the first time), every card in its default column."""
    name = f"Bench: {TAG}"
    found = [f["id"] for f in (await client.call(FLOWS))["flows"] if f["name"] == name]
    if found:
        return found[0]
    made = {"name": name, "tagIds": [to_global_id("Tag", ids.tag(TAG))]}
    return (await client.call(CREATE_FLOW, {"input": made}))["createFlow"]["flow"]["id"]


def _search(name: str, title: str, term: str, worker: str = "admin") -> Scenario:
    variables = {"first": 50, "filter": {"search": term}}
    return Scenario(name, f"{title} ({term!r})", LIST, variables, worker)


async def _terms(conn, customers: int) -> tuple[str, str]:
    """A phone number as a person types it (a third of the way down the list) and the
    first letters of a home email (two thirds down), both of real customers."""
    phone = email = None
    for start, want in ((customers // 3, "phone"), (customers * 2 // 3, "email")):
        rows = await conn.execute(
            text("SELECT phones, emails FROM customers WHERE id >= :k ORDER BY id LIMIT 200"),
            {"k": start},
        )
        for phones, emails in rows:
            phones = json.loads(phones) if isinstance(phones, str) else phones
            emails = json.loads(emails) if isinstance(emails, str) else emails
            if want == "phone" and phones and phone is None:
                phone = phones[0]["value"].removeprefix("+44 ")
            homes = [e["value"] for e in emails if e["label"] == "home"]
            if want == "email" and homes and email is None:
                email = homes[0].split("@")[0][:-1]
    if phone is None or email is None:
        raise RuntimeError("no customer with a phone or a home email to search for")
    return phone, email
