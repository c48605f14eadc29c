"""The role matrix, through the HTTP API, for every permission of core and of each module
(`permissionTable` lists them all, so a new one is found without touching this file):

- the four roles hold exactly the defaults declared (`core.access.DEFAULTS` and the modules'
  `hub_permissions`), in `permissionTable` and in what a worker of each role holds
  (`me.permissions`), and those are the roles written in `GUARDED` below;
- each permission guards the operation of its row in `GUARDED`: an agent without it is refused
  with FORBIDDEN and nothing is written; granted it (for the role, or for the worker over a
  role that lost it) the same operation succeeds.

A permission without a row fails `test_every_permission_has_a_row`: add one."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core import access
from tests.support import Api, gid, pk_of
from tests.uploads import multipart, upload, uploaded

ALL = ("owner", "admin", "manager", "agent")
STAFF = ("owner", "admin", "manager")
ADMINS = ("owner", "admin")

Ids = dict[str, str]


def mutation(actor: Api, name: str, input: dict) -> dict:
    """The response body of `name(input:)`, errors and all."""
    type_name = f"{name[0].upper()}{name[1:]}Input"
    query = (
        f"mutation($input: {type_name}!) {{ {name}(input: $input) {{ userErrors {{ code }} }} }}"
    )
    return actor.post(query, {"input": input}).json()


def read(actor: Api, query: str, **variables) -> dict:
    return actor.post(query, variables).json()


def eur(amount: int) -> dict:
    return {"amount": amount, "currency": "EUR"}


def day(offset: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


def record(actor: Api, customer_id: str, **extra) -> dict:
    """`addRecording` of a tiny WAV (a multipart request)."""
    wav = b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00"
    wav += b"\x80>\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00"
    return multipart(
        actor,
        "mutation($input: AddRecordingInput!) { addRecording(input: $input) "
        "{ recording { id } userErrors { code } } }",
        {"input": {"customerId": customer_id, "direction": "INBOUND", "file": None, **extra}},
        {"0": (["variables.input.file"], "call.wav", wav, "audio/wav")},
    ).json()


# --- what the owner prepares, and reads back ----------------------------------------------------


def nothing(owner: Api, actor: Api) -> Ids:
    return {}


def assigned(owner: Api, actor: Api) -> Ids:
    """A customer assigned to the agent, who may see and edit it without further permissions."""
    payload = owner.ok(
        "createCustomer",
        {"name": "Ada", "workerIds": [gid("Worker", actor.worker_id)]},
        "customer { id }",
    )
    return {"customer": payload["customer"]["id"]}


def with_manual_rule(owner: Api, actor: Api) -> Ids:
    """A customer assigned to the agent and the owner's manual automation rule."""
    ids = assigned(owner, actor)
    data = {
        "name": "Hi",
        "trigger": {"kind": "MANUAL"},
        "actions": [{"type": "WAIT", "seconds": 60}],
    }
    rule = owner.ok("createAutomationRule", data, "rule { id }")["rule"]["id"]
    return {**ids, "rule": rule}


def in_viewable_folder(owner: Api, actor: Api) -> Ids:
    """A customer in a folder agents may open (VIEW) but not change: only `customers.view_all`
    (with `customers.edit`) lets them change it."""
    folder = owner.ok("createFolder", {"name": "Sales", "color": "#123456"}, "folder { id }")
    folder_id = folder["folder"]["id"]
    owner.ok(
        "setFolderAccess",
        {"folderId": folder_id, "role": "AGENT", "level": "VIEW"},
        "folder { id }",
    )
    payload = owner.ok(
        "createCustomer", {"name": "Ada", "folders": [{"folderId": folder_id}]}, "customer { id }"
    )
    return {"customer": payload["customer"]["id"]}


def with_provider(owner: Api, actor: Api) -> Ids:
    provider = owner.ok("createInsuranceProvider", {"name": "Northwind"}, "provider { id }")
    return {**assigned(owner, actor), "provider": provider["provider"]["id"]}


def with_payment(owner: Api, actor: Api) -> Ids:
    ids = assigned(owner, actor)
    payload = owner.ok(
        "recordPayment",
        {"customerId": ids["customer"], "amount": eur(5_000), "idempotencyKey": "role-matrix"},
        "payment { id }",
    )
    return {**ids, "payment": payload["payment"]["id"]}


def with_plan(owner: Api, actor: Api) -> Ids:
    plan = owner.ok(
        "createSubscriptionPlan",
        {"name": "Basic", "price": eur(1_900), "interval": "MONTH"},
        "plan { id }",
    )
    return {**assigned(owner, actor), "plan": plan["plan"]["id"]}


def with_resolved_ticket(owner: Api, actor: Api) -> Ids:
    ids = assigned(owner, actor)
    ticket = owner.ok(
        "openTicket", {"customerId": ids["customer"], "subject": "Broken"}, "ticket { id }"
    )
    ticket_id = ticket["ticket"]["id"]
    owner.ok("setTicketStatus", {"id": ticket_id, "status": "RESOLVED"})
    return {**ids, "ticket": ticket_id}


def with_owners_activity(owner: Api, actor: Api) -> Ids:
    ids = assigned(owner, actor)
    payload = owner.ok(
        "logActivity",
        {"customerId": ids["customer"], "kind": "CALL", "title": "Owner's call"},
        "activity { id }",
    )
    return {**ids, "activity": payload["activity"]["id"]}


def with_checklist(owner: Api, actor: Api) -> Ids:
    ids = assigned(owner, actor)
    made = owner.ok(
        "addChecklist",
        {"customerId": ids["customer"], "name": "Move", "items": ["Pack"]},
        "checklist { items { id } }",
    )
    return {**ids, "item": made["checklist"]["items"][0]["id"]}


def with_owner(owner: Api, actor: Api) -> Ids:
    """An assigned customer and the owner, whose time the agent would log."""
    return {**assigned(owner, actor), "owner": gid("Worker", owner.worker_id)}


def with_owners_chat_message(owner: Api, actor: Api) -> Ids:
    ids = assigned(owner, actor)
    made = owner.ok(
        "postChatMessage", {"customerId": ids["customer"], "body": "Hi"}, "message { id }"
    )
    return {**ids, "message": made["message"]["id"]}


def with_owners_note(owner: Api, actor: Api) -> Ids:
    ids = assigned(owner, actor)
    note = owner.ok("addNote", {"customerId": ids["customer"], "body": "Owner's"}, "note { id }")
    return {**ids, "note": note["note"]["id"]}


def with_uploaded_file(owner: Api, actor: Api) -> Ids:
    """An assigned customer with a file the owner uploaded for them."""
    ids = assigned(owner, actor)
    return {**ids, "file": uploaded(owner, customer_id=ids["customer"])["id"]}


def with_points_and_reward(owner: Api, actor: Api) -> Ids:
    """An assigned customer with 100 loyalty points and a reward of 10 points."""
    ids = assigned(owner, actor)
    adjust = {"customerId": ids["customer"], "points": 100, "reason": "Start"}
    owner.ok("adjustLoyaltyPoints", {**adjust, "idempotencyKey": ids["customer"]})
    made = owner.ok("createLoyaltyReward", {"name": "Pen", "pointsCost": 10}, "reward { id }")
    return {**ids, "reward": made["reward"]["id"]}


def with_owners_payout(owner: Api, actor: Api) -> Ids:
    """A payout the owner asked for: the agent is not its creator, so only the permission
    stands between them and approving it."""
    ids = assigned(owner, actor)
    payload = owner.ok(
        "createPayout",
        {
            "customerId": ids["customer"],
            "amount": eur(2_500),
            "kind": "REFUND",
            "method": "BANK_TRANSFER",
            "idempotencyKey": "role-matrix",
        },
        "payout { id }",
    )
    return {**ids, "payout": payload["payout"]["id"]}


def with_resource(owner: Api, actor: Api) -> Ids:
    """An assigned customer and a resource open every day, made by the owner."""
    hours = [{"weekday": d, "opens": "00:00", "closes": "00:00"} for d in WEEKDAYS]
    made = owner.ok(
        "createReservationResource",
        {"name": "Room", "capacity": 2, "openingHours": hours},
        "resource { id }",
    )
    return {**assigned(owner, actor), "resource": made["resource"]["id"]}


WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def with_project(owner: Api, actor: Api) -> Ids:
    """An assigned customer and a project of the owner's, which the agent would link."""
    made = owner.ok("createProject", {"name": "Move", "idempotencyKey": "m"}, "project { id }")
    return {**assigned(owner, actor), "project": made["project"]["id"]}


def owner_reads(query: str, *path: str, **variable_ids: str) -> Callable[[Api, Ids], Any]:
    """What the owner reads with `query`, variables taken from the row's ids, at `path`."""

    def state(owner: Api, ids: Ids) -> Any:
        value: Any = owner.query(query, **{k: ids[v] for k, v in variable_ids.items()})
        for key in path:
            value = value[key]
        return value

    return state


CUSTOMER = "query($id: ID!) { customer(id: $id) { FIELDS } }"


def of_customer(fields: str, *path: str) -> Callable[[Api, Ids], Any]:
    return owner_reads(CUSTOMER.replace("FIELDS", fields), "customer", *path, id="customer")


# --- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Guarded:
    """`roles` hold the permission by default; `act` is an operation it guards, run by the
    agent on what `setup` made; `written` reads what `act` writes (None for a read); the
    refusal's message names the permission, or says `refusal`."""

    roles: tuple[str, ...]
    act: Callable[[Api, Ids], dict]
    setup: Callable[[Api, Api], Ids] = nothing
    written: Callable[[Api, Ids], Any] | None = None
    module: str | None = None
    refusal: str | None = None


TOMORROW = (datetime.now(UTC) + timedelta(days=1)).replace(hour=9, minute=0, second=0)
GUARDED: dict[str, Guarded] = {
    # core
    "customers.view_all": Guarded(
        ADMINS,
        lambda a, ids: mutation(a, "updateCustomer", {"id": ids["customer"], "city": "Paris"}),
        in_viewable_folder,
        of_customer("city", "city"),
        refusal="You may see this customer but not change it.",
    ),
    "customers.edit": Guarded(
        ALL,
        lambda a, ids: mutation(a, "createCustomer", {"name": "Walk-in"}),
        written=owner_reads("{ customers { totalCount } }", "customers", "totalCount"),
    ),
    "customers.delete": Guarded(  # archiving is the everyday removal
        STAFF,
        lambda a, ids: mutation(a, "archiveCustomer", {"customerId": ids["customer"]}),
        assigned,
        of_customer("archivedAt", "archivedAt"),
    ),
    "customers.erase": Guarded(
        ADMINS,
        lambda a, ids: mutation(a, "deleteCustomer", {"id": ids["customer"]}),
        assigned,
        owner_reads("query($id: ID!) { customer(id: $id) { id } }", "customer", id="customer"),
    ),
    "folders.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "createFolder", {"name": "F", "color": "#000000"}),
        written=owner_reads("{ folders { name } }", "folders"),
    ),
    "tags.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "createTag", {"name": "T", "color": "#000000"}),
        written=owner_reads("{ tags { name } }", "tags"),
    ),
    "statuses.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(
            a, "createStatus", {"name": "S", "color": "#000000", "category": "ACTIVE"}
        ),
        written=owner_reads("{ statuses { name } }", "statuses"),
    ),
    "custom_fields.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(
            a, "createCustomFieldDefinition", {"key": "k", "label": "K", "type": "TEXT"}
        ),
        written=owner_reads("{ customFieldDefinitions { key } }", "customFieldDefinitions"),
    ),
    "settings.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "updateTenantSettings", {"name": "Renamed"}),
        written=owner_reads("{ me { tenant { name } } }", "me", "tenant", "name"),
    ),
    "workers.manage": Guarded(
        ADMINS,
        lambda a, ids: mutation(a, "createWorker", {"name": "W", "email": "w@example.com"}),
        written=owner_reads("{ workers { email } }", "workers"),
    ),
    "modules.manage": Guarded(
        ADMINS,
        lambda a, ids: mutation(a, "enableModule", {"module": "tickets"}),
        written=owner_reads("{ modules { name enabled } }", "modules"),
    ),
    "permissions.manage": Guarded(
        ADMINS,
        lambda a, ids: mutation(
            a,
            "setRolePermission",
            {"role": "MANAGER", "permission": "tags.manage", "granted": False},
        ),
        written=owner_reads(
            "{ permissionTable { roles { role permissions } } }", "permissionTable", "roles"
        ),
    ),
    "api_keys.manage": Guarded(
        ADMINS,
        lambda a, ids: mutation(
            a, "createApiKey", {"name": "Zapier", "permissions": ["customers.edit"]}
        ),
        written=owner_reads("{ apiKeys { name } }", "apiKeys"),
    ),
    "audit.view": Guarded(ADMINS, lambda a, ids: read(a, "{ auditLog { totalCount } }")),
    "jobs.view_all": Guarded(
        ADMINS,
        lambda a, ids: read(
            a, "query($w: ID!) { jobs(workerId: $w) { totalCount } }", w=ids["owner"]
        ),
        lambda owner, agent: {"owner": gid("Worker", owner.worker_id)},
    ),
    "files.view": Guarded(
        ALL,
        lambda a, ids: read(
            a, CUSTOMER.replace("FIELDS", "uploadedFiles { totalCount }"), id=ids["customer"]
        ),
        assigned,
    ),
    "files.upload": Guarded(
        ALL,
        lambda a, ids: upload(a, customer_id=ids["customer"]).json(),
        assigned,
        of_customer("uploadedFiles { totalCount }", "uploadedFiles"),
    ),
    "customers.export": Guarded(
        STAFF, lambda a, ids: mutation(a, "exportCustomers", {"columns": ["name"]})
    ),
    "segments.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "createSegment", {"name": "Regulars", "kind": "STATIC"}),
        written=owner_reads("{ segments { totalCount } }", "segments"),
    ),
    "customers.import": Guarded(
        STAFF,
        lambda a, ids: multipart(
            a,
            "mutation($input: StartCustomerImportInput!) { startCustomerImport(input: $input) "
            "{ customerImport { id } userErrors { code } } }",
            {"input": {"file": None}},
            {"0": (["variables.input.file"], "c.csv", b"name\nAda\n", "text/csv")},
        ).json(),
        written=owner_reads("{ customerImports { totalCount } }", "customerImports", "totalCount"),
    ),
    # insurance
    "insurance.view": Guarded(
        ALL, lambda a, ids: read(a, "{ insuranceProviders { totalCount } }"), module="insurance"
    ),
    "insurance.edit": Guarded(
        ALL,
        lambda a, ids: mutation(
            a,
            "createInsurancePolicy",
            {
                "customerId": ids["customer"],
                "providerId": ids["provider"],
                "number": "P-1",
                "coverageDescription": "Home contents",
                "coverageLimit": eur(500_000),
                "premium": eur(1_250),
                "premiumPeriod": "MONTHLY",
                "startDate": day(-10),
                "endDate": day(355),
            },
        ),
        with_provider,
        of_customer("insurance { policies { totalCount } }", "insurance", "policies"),
        "insurance",
    ),
    "insurance.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "createInsuranceProvider", {"name": "Contoso"}),
        written=owner_reads("{ insuranceProviders { totalCount } }", "insuranceProviders"),
        module="insurance",
    ),
    # payments
    "payments.view": Guarded(
        ALL, lambda a, ids: read(a, "{ invoices { totalCount } }"), module="payments"
    ),
    "payments.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(
            a,
            "createInvoice",
            {
                "customerId": ids["customer"],
                "lines": [{"description": "Visit", "quantity": 1, "unitPrice": eur(9_000)}],
            },
        ),
        assigned,
        owner_reads("{ invoices { totalCount } }", "invoices"),
        "payments",
    ),
    "payments.refund": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "refundPayment", {"paymentId": ids["payment"]}),
        with_payment,
        owner_reads(
            "query($id: ID!) { node(id: $id) { ... on Payment { refundedAmount { amount } } } }",
            "node",
            id="payment",
        ),
        "payments",
    ),
    # subscriptions
    "subscriptions.view": Guarded(
        ALL, lambda a, ids: read(a, "{ subscriptionPlans { totalCount } }"), module="subscriptions"
    ),
    "subscriptions.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(
            a,
            "subscribeCustomer",
            {
                "customerId": ids["customer"],
                "subscriptionPlanId": ids["plan"],
                "idempotencyKey": "role-matrix",
            },
        ),
        with_plan,
        of_customer("subscriptions { activeCount }", "subscriptions", "activeCount"),
        "subscriptions",
    ),
    "subscriptions.configure": Guarded(
        STAFF,
        lambda a, ids: mutation(
            a, "createSubscriptionPlan", {"name": "Gold", "price": eur(1_900), "interval": "MONTH"}
        ),
        written=owner_reads("{ subscriptionPlans { totalCount } }", "subscriptionPlans"),
        module="subscriptions",
    ),
    # tickets
    "tickets.view": Guarded(
        ALL, lambda a, ids: read(a, "{ tickets { totalCount } }"), module="tickets"
    ),
    "tickets.manage": Guarded(
        ALL,
        lambda a, ids: mutation(a, "openTicket", {"customerId": ids["customer"], "subject": "Hi"}),
        assigned,
        of_customer("tickets { openCount }", "tickets"),
        "tickets",
    ),
    "tickets.close": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "setTicketStatus", {"id": ids["ticket"], "status": "CLOSED"}),
        with_resolved_ticket,
        owner_reads(
            "query($id: ID!) { node(id: $id) { ... on Ticket { status } } }", "node", id="ticket"
        ),
        "tickets",
    ),
    # notifications
    "notifications.view": Guarded(
        ALL,
        lambda a, ids: read(a, "{ myNotifications { unreadCount } }"),
        module="notifications",
    ),
    # missions
    "missions.view": Guarded(
        ALL, lambda a, ids: read(a, "{ missions { totalCount } }"), module="missions"
    ),
    "missions.manage": Guarded(
        ALL,
        lambda a, ids: mutation(a, "createMission", {"customerId": ids["customer"], "title": "Hi"}),
        assigned,
        of_customer("missions { openCount }", "missions"),
        "missions",
    ),
    # automation
    "automation.view": Guarded(
        ALL, lambda a, ids: read(a, "{ automationRules { totalCount } }"), module="automation"
    ),
    "automation.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(
            a,
            "createAutomationRule",
            {
                "name": "Hi",
                "trigger": {"kind": "MANUAL"},
                "actions": [{"type": "WAIT", "seconds": 1}],
            },
        ),
        written=owner_reads("{ automationRules { totalCount } }", "automationRules", "totalCount"),
        module="automation",
    ),
    "automation.run": Guarded(
        STAFF,
        lambda a, ids: mutation(
            a, "runAutomation", {"ruleId": ids["rule"], "customerIds": [ids["customer"]]}
        ),
        with_manual_rule,
        of_customer("automation { runs { totalCount } }", "automation", "runs", "totalCount"),
        "automation",
    ),
    # deals
    "deals.view": Guarded(ALL, lambda a, ids: read(a, "{ dealStages { id } }"), module="deals"),
    "deals.manage": Guarded(
        ALL,
        lambda a, ids: mutation(
            a,
            "createDeal",
            {
                "customerId": ids["customer"],
                "name": "Hi",
                "value": eur(1_000),
                "idempotencyKey": "role-matrix",
            },
        ),
        assigned,
        of_customer("deals { openCount }", "deals"),
        "deals",
    ),
    "deals.configure": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "createDealStage", {"name": "Hi"}),
        written=owner_reads("{ dealStages { name } }", "dealStages"),
        module="deals",
    ),
    # dynamic_content
    "dynamic_content.view": Guarded(
        ALL, lambda a, ids: read(a, "{ dynamicContentBlocks { id } }"), module="dynamic_content"
    ),
    "dynamic_content.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "createDynamicContentBlock", {"title": "Hi", "body": "Hi"}),
        written=owner_reads("{ dynamicContentBlocks { title } }", "dynamicContentBlocks"),
        module="dynamic_content",
    ),
    # recordings
    "recordings.view": Guarded(
        ALL,
        lambda a, ids: read(
            a, CUSTOMER.replace("FIELDS", "recordings { count }"), id=ids["customer"]
        ),
        assigned,
        module="recordings",
    ),
    "recordings.edit": Guarded(
        ALL,
        lambda a, ids: record(a, ids["customer"]),
        assigned,
        of_customer("recordings { count }", "recordings"),
        "recordings",
        "(recordings.edit or recordings.ingest)",
    ),
    "recordings.ingest": Guarded(
        ADMINS,
        lambda a, ids: record(a, ids["customer"], workerId=ids["owner"]),
        lambda owner, agent: {**assigned(owner, agent), "owner": gid("Worker", owner.worker_id)},
        of_customer("recordings { count }", "recordings"),
        "recordings",
    ),
    # flow
    "flow.view": Guarded(ALL, lambda a, ids: read(a, "{ flows { id } }"), module="flow"),
    "flow.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "createFlow", {"name": "Hi"}),
        written=owner_reads("{ flows { name } }", "flows"),
        module="flow",
    ),
    # communications
    "communications.view": Guarded(
        ALL,
        lambda a, ids: read(
            a, CUSTOMER.replace("FIELDS", "communications { unreadCount }"), id=ids["customer"]
        ),
        assigned,
        module="communications",
    ),
    "communications.view_all": Guarded(
        STAFF,
        lambda a, ids: read(
            a,
            "query($id: ID!, $w: ID!) { customer(id: $id) { communications { "
            "all(authorId: $w) { totalCount } } } }",
            id=ids["customer"],
            w=ids["owner"],
        ),
        lambda owner, agent: {**assigned(owner, agent), "owner": gid("Worker", owner.worker_id)},
        module="communications",
    ),
    "communications.send": Guarded(
        ALL,
        lambda a, ids: mutation(
            a,
            "sendMessage",
            {"customerId": ids["customer"], "channel": "SMS", "body": "Hi", "to": "+15550100"},
        ),
        assigned,
        of_customer("communications { all { totalCount } }", "communications"),
        "communications",
    ),
    "communications.manage": Guarded(
        ADMINS,
        lambda a, ids: read(a, "mutation { rotateCommunicationsHookSecret { secret } }"),
        module="communications",
    ),
    "communications.triage": Guarded(
        STAFF,
        lambda a, ids: read(a, "{ unmatchedCommunications { totalCount } }"),
        module="communications",
    ),
    # loyalty
    "loyalty.view": Guarded(
        ALL, lambda a, ids: read(a, "{ loyaltyTiers { name } }"), module="loyalty"
    ),
    "loyalty.redeem": Guarded(
        ALL,
        lambda a, ids: mutation(
            a,
            "redeemLoyaltyReward",
            {"customerId": ids["customer"], "rewardId": ids["reward"], "idempotencyKey": "r"},
        ),
        with_points_and_reward,
        of_customer("loyalty { balance }", "loyalty"),
        "loyalty",
    ),
    "loyalty.adjust": Guarded(
        STAFF,
        lambda a, ids: mutation(
            a,
            "adjustLoyaltyPoints",
            {"customerId": ids["customer"], "points": 5, "reason": "Hi", "idempotencyKey": "a"},
        ),
        assigned,
        of_customer("loyalty { balance }", "loyalty"),
        "loyalty",
    ),
    "loyalty.configure": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "createLoyaltyReward", {"name": "Mug", "pointsCost": 50}),
        written=owner_reads("{ loyaltyRewards { totalCount } }", "loyaltyRewards"),
        module="loyalty",
    ),
    # projects
    "projects.view": Guarded(
        ALL, lambda a, ids: read(a, "{ projects { totalCount } }"), module="projects"
    ),
    "projects.edit": Guarded(
        ALL,
        lambda a, ids: mutation(
            a, "linkCustomerToProject", {"projectId": ids["project"], "customerId": ids["customer"]}
        ),
        with_project,
        of_customer("projects { all { totalCount } }", "projects"),
        "projects",
    ),
    "projects.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "createProject", {"name": "Fair", "idempotencyKey": "f"}),
        written=owner_reads("{ projects { totalCount } }", "projects"),
        module="projects",
    ),
    # notebook
    "notebook.view": Guarded(
        ALL,
        lambda a, ids: read(
            a, CUSTOMER.replace("FIELDS", "notebook { pinnedCount }"), id=ids["customer"]
        ),
        assigned,
        module="notebook",
    ),
    "notebook.write": Guarded(
        ALL,
        lambda a, ids: mutation(a, "addNote", {"customerId": ids["customer"], "body": "Hi"}),
        assigned,
        of_customer("notebook { notes { totalCount } }", "notebook"),
        "notebook",
    ),
    "notebook.manage_all": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "updateNote", {"id": ids["note"], "pinned": True}),
        with_owners_note,
        owner_reads(
            "query($id: ID!) { node(id: $id) { ... on Note { pinned } } }", "node", id="note"
        ),
        "notebook",
    ),
    # chat
    "chat.view": Guarded(
        ALL,
        lambda a, ids: read(
            a, CUSTOMER.replace("FIELDS", "chat { unreadCount }"), id=ids["customer"]
        ),
        assigned,
        module="chat",
    ),
    "chat.post": Guarded(
        ALL,
        lambda a, ids: mutation(
            a, "postChatMessage", {"customerId": ids["customer"], "body": "Hi"}
        ),
        assigned,
        of_customer("chat { messages { totalCount } }", "chat"),
        "chat",
    ),
    "chat.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "deleteChatMessage", {"id": ids["message"]}),
        with_owners_chat_message,
        owner_reads(
            "query($id: ID!) { node(id: $id) { ... on ChatMessage { deletedAt } } }",
            "node",
            id="message",
        ),
        "chat",
    ),
    # documents
    "documents.view": Guarded(
        ALL, lambda a, ids: read(a, "{ documentLabels { name } }"), module="documents"
    ),
    "documents.edit": Guarded(
        ALL,
        lambda a, ids: mutation(
            a, "createDocument", {"customerId": ids["customer"], "fileId": ids["file"]}
        ),
        with_uploaded_file,
        of_customer("documents { count }", "documents"),
        "documents",
    ),
    "documents.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "createDocumentLabel", {"name": "Hi", "color": "#123456"}),
        written=owner_reads("{ documentLabels { name } }", "documentLabels"),
        module="documents",
    ),
    # orders
    "orders.view": Guarded(
        ALL, lambda a, ids: read(a, "{ products { totalCount } }"), module="orders"
    ),
    "orders.manage": Guarded(
        ALL,
        lambda a, ids: mutation(
            a,
            "createOrder",
            {
                "customerId": ids["customer"],
                "kind": "QUOTE",
                "currency": "EUR",
                "lines": [{"description": "Visit", "unitAmount": 9_000}],
            },
        ),
        assigned,
        of_customer("orders { openCount }", "orders"),
        "orders",
    ),
    "orders.catalog": Guarded(
        STAFF,
        lambda a, ids: mutation(
            a, "createProduct", {"name": "Visit", "sku": "V-1", "price": eur(9_000)}
        ),
        nothing,
        owner_reads("{ products { totalCount } }", "products"),
        "orders",
    ),
    # payouts
    "payouts.view": Guarded(
        ALL, lambda a, ids: read(a, "{ payouts { totalCount } }"), module="payouts"
    ),
    "payouts.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(
            a,
            "createPayout",
            {
                "customerId": ids["customer"],
                "amount": eur(1_000),
                "kind": "REBATE",
                "method": "CASH",
                "idempotencyKey": "agent",
            },
        ),
        assigned,
        of_customer("payouts { pendingCount }", "payouts"),
        "payouts",
    ),
    "payouts.approve": Guarded(
        ADMINS,
        lambda a, ids: mutation(a, "approvePayout", {"id": ids["payout"]}),
        with_owners_payout,
        owner_reads(
            "query($id: ID!) { node(id: $id) { ... on Payout { status } } }", "node", id="payout"
        ),
        "payouts",
    ),
    # purchases
    "purchases.view": Guarded(
        ALL, lambda a, ids: read(a, "{ purchaseCategories { name } }"), module="purchases"
    ),
    "purchases.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "savePurchaseCategory", {"name": "Gold"}),
        nothing,
        owner_reads("{ purchaseCategories { name } }", "purchaseCategories"),
        "purchases",
    ),
    # webhooks (endpoints made switched off: the shared test app sends nothing)
    "webhooks.view": Guarded(
        ADMINS, lambda a, ids: read(a, "{ webhookEndpoints { totalCount } }"), module="webhooks"
    ),
    "webhooks.manage": Guarded(
        ADMINS,
        lambda a, ids: mutation(
            a,
            "createWebhookEndpoint",
            {"url": "https://example.com/hook", "eventTypes": ["*"], "active": False},
        ),
        nothing,
        owner_reads("{ webhookEndpoints { totalCount } }", "webhookEndpoints"),
        "webhooks",
    ),
    # appointments
    "appointments.view": Guarded(
        ALL,
        lambda a, ids: read(
            a, CUSTOMER.replace("FIELDS", "appointments { credits }"), id=ids["customer"]
        ),
        assigned,
        module="appointments",
    ),
    "appointments.book": Guarded(
        ALL,
        lambda a, ids: mutation(
            a,
            "bookAppointment",
            {
                "customerId": ids["customer"],
                "workerId": gid("Worker", a.worker_id),
                "start": TOMORROW.isoformat(),
                "end": (TOMORROW + timedelta(hours=1)).isoformat(),
            },
        ),
        assigned,
        of_customer("appointments { upcomingCount }", "appointments"),
        "appointments",
    ),
    "appointments.credits": Guarded(
        STAFF,
        lambda a, ids: mutation(
            a, "buyAppointmentCredits", {"customerId": ids["customer"], "quantity": 3}
        ),
        assigned,
        of_customer("appointments { credits }", "appointments"),
        "appointments",
    ),
    # reservations
    "reservations.view": Guarded(
        ALL, lambda a, ids: read(a, "{ reservationResources { id } }"), module="reservations"
    ),
    "reservations.edit": Guarded(
        ALL,
        lambda a, ids: mutation(
            a,
            "createReservation",
            {
                "customerId": ids["customer"],
                "resourceId": ids["resource"],
                "start": TOMORROW.isoformat(),
                "end": (TOMORROW + timedelta(hours=1)).isoformat(),
            },
        ),
        with_resource,
        of_customer("reservations { upcomingCount }", "reservations"),
        "reservations",
    ),
    "reservations.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(
            a, "createReservationResource", {"name": "Hi", "capacity": 1, "openingHours": []}
        ),
        written=owner_reads("{ reservationResources { name } }", "reservationResources"),
        module="reservations",
    ),
    # activities
    "activities.view": Guarded(
        ALL,
        lambda a, ids: read(
            a, CUSTOMER.replace("FIELDS", "activities { totalCount }"), id=ids["customer"]
        ),
        assigned,
        module="activities",
    ),
    "activities.manage": Guarded(
        ALL,
        lambda a, ids: mutation(
            a, "logActivity", {"customerId": ids["customer"], "kind": "NOTE", "title": "Hi"}
        ),
        assigned,
        of_customer("activities { totalCount }", "activities"),
        "activities",
    ),
    "activities.manage_others": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "updateActivity", {"id": ids["activity"], "title": "Mine"}),
        with_owners_activity,
        owner_reads(
            "query($id: ID!) { node(id: $id) { ... on Activity { title } } }",
            "node",
            id="activity",
        ),
        "activities",
    ),
    # checklists
    "checklists.view": Guarded(
        ALL,
        lambda a, ids: read(
            a, CUSTOMER.replace("FIELDS", "checklists { unfinishedCount }"), id=ids["customer"]
        ),
        assigned,
        module="checklists",
    ),
    "checklists.manage": Guarded(
        ALL,
        lambda a, ids: mutation(a, "checkChecklistItem", {"id": ids["item"]}),
        with_checklist,
        of_customer("checklists { unfinishedCount }", "checklists"),
        "checklists",
    ),
    "checklists.settings": Guarded(
        STAFF,
        lambda a, ids: mutation(a, "createChecklistTemplate", {"name": "T", "items": ["a"]}),
        written=owner_reads("{ checklistTemplates { totalCount } }", "checklistTemplates"),
        module="checklists",
    ),
    # working time
    "working_time.view": Guarded(
        ALL,
        lambda a, ids: read(
            a,
            "query($start: Date!, $end: Date!) { timeTotals(startDate: $start, endDate: $end) "
            "{ total { totalSeconds } } }",
            start=day(-7),
            end=day(0),
        ),
        module="working_time",
    ),
    "working_time.track": Guarded(
        ALL,
        lambda a, ids: mutation(
            a, "logTime", {"customerId": ids["customer"], "durationSeconds": 600}
        ),
        assigned,
        of_customer("workingTime { totalSeconds }", "workingTime"),
        "working_time",
    ),
    "working_time.manage": Guarded(
        STAFF,
        lambda a, ids: mutation(
            a,
            "logTime",
            {"customerId": ids["customer"], "durationSeconds": 600, "workerId": ids["owner"]},
        ),
        with_owner,
        of_customer("workingTime { totalSeconds }", "workingTime"),
        "working_time",
    ),
}


# --- the tests ----------------------------------------------------------------------------------


def new_worker(owner: Api, role: str) -> Api:
    payload = owner.ok(
        "createWorker",
        {"name": f"{role.title()} Worker", "email": f"{role}@example.com", "role": role.upper()},
        "worker { id }",
    )
    return Api(owner.client, owner.tenant_id, pk_of(payload["worker"]["id"]))


def held(actor: Api) -> set[str]:
    return set(actor.query("{ me { permissions } }")["me"]["permissions"])


def test_every_permission_has_a_row(api):
    listed = set(api.query("{ permissionTable { permissions } }")["permissionTable"]["permissions"])
    assert not listed - set(GUARDED), f"no row in GUARDED for {sorted(listed - set(GUARDED))}"
    assert not set(GUARDED) - listed, (
        f"rows for unknown permissions {sorted(set(GUARDED) - listed)}"
    )


def test_roles_hold_exactly_their_declared_defaults(api):
    declared = {**access.DEFAULTS, **api.client.app.state.plugins.permission_grants()}
    assert {p: set(roles) for p, roles in declared.items()} == {
        p: set(row.roles) for p, row in GUARDED.items()
    }
    expected = {role: {p for p, row in GUARDED.items() if role in row.roles} for role in ALL}
    table = api.query("{ permissionTable { roles { role permissions } } }")["permissionTable"]
    assert {r["role"].lower(): set(r["permissions"]) for r in table["roles"]} == expected
    assert held(api) == expected["owner"]
    for role in ("admin", "manager", "agent"):
        assert held(new_worker(api, role)) == expected[role], role


def no_errors(body: dict) -> None:
    assert "errors" not in body, body
    for payload in body["data"].values():
        if isinstance(payload, dict) and "userErrors" in payload:
            assert payload["userErrors"] == [], body


@pytest.mark.parametrize("permission", sorted(GUARDED))
def test_the_permission_guards_its_operation(api, permission):
    row = GUARDED[permission]
    if row.module:
        api.enable(row.module)
    agent = new_worker(api, "agent")
    ids = row.setup(api, agent)
    target = {"permission": permission, "granted": True}
    if "agent" in row.roles:
        # Agents lose it; this agent gets it back: the worker's override beats the role's.
        api.ok("setRolePermission", {**target, "role": "AGENT", "granted": False})
        grant = ("setWorkerPermission", {**target, "workerId": gid("Worker", agent.worker_id)})
    else:
        grant = ("setRolePermission", {**target, "role": "AGENT"})
    assert permission not in held(agent)

    before = row.written(api, ids) if row.written else None
    body = row.act(agent, ids)
    assert [e["extensions"]["code"] for e in body.get("errors", [])] == ["FORBIDDEN"], body
    assert (row.refusal or f"({permission})") in body["errors"][0]["message"], body
    if row.written:
        assert row.written(api, ids) == before, "a refused operation wrote something"

    api.ok(*grant)
    assert permission in held(agent)
    no_errors(row.act(agent, ids))
    if row.written:
        assert row.written(api, ids) != before, "the allowed operation wrote nothing"
