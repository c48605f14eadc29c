"""Access probe (the access issue): every query and mutation field that takes an ID, core and
modules, found by introspection (so a new field is covered the day it appears), is sent another
tenant's ID and, by an agent and a manager, the ID of a customer (and of that customer's module
objects) they cannot see. Each request must behave exactly like the same request with an ID that
never existed (same type, pk 2147480000): NOT_FOUND (for a query: nothing), or a refusal the
unknown ID gets as well (FORBIDDEN by role), never INTERNAL, and nothing changes in either
tenant (everything their owners can read is compared before and after).

How a request is built: for each ID-typed argument or input member (inside nested input
objects and lists too: a slot), the field's required arguments are filled with dummy values of
their type, the members leading to the slot are added, the slot gets the probed ID and every
other ID a valid object of the prober's own of the type that member expects. That type comes
from the member's name (`customerId`, `tagIds`; `ID_STEMS` for the others) or, for a bare
`id`/`ids`, from the type named in the input's (or field's) name (`UpdateTagInput.id`: Tag;
`ID_OF` for the others). A slot whose type cannot be told, or a subscription taking an ID,
fails `test_every_id_slot_is_understood`: extend `ID_STEMS`, `ID_OF`, `ANY_TYPE` or `EXCLUDED`
(with the reason) rather than let it go unprobed. `-s` prints how much was probed."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from tests.support import Api, gid
from tests.uploads import uploaded

UNKNOWN_PK = 2_147_480_000

# Member-name stems (`<stem>Id`, `<stem>Ids`) whose object type is not the capitalised stem.
ID_STEMS = {
    "parent": "Customer",
    "source": "Customer",
    "target": "Customer",
    "replacement": "Status",
    "field": "CustomFieldDefinition",
    "provider": "InsuranceProvider",
    "policy": "InsurancePolicy",
    "method": "PaymentMethod",
    "assignee": "Worker",
    "template": "ChecklistTemplate",
    "import": "CustomerImport",
    "mention": "Worker",
    "stage": "DealStage",
    "owner": "Worker",
    "reward": "LoyaltyReward",
    "category": "PurchaseCategory",
    "resource": "ReservationResource",
    "file": "StoredFile",
    "label": "DocumentLabel",
    "block": "DynamicContentBlock",
    "member": "Worker",
    "column": "FlowColumn",
    "defaultColumn": "FlowColumn",
    "targetColumn": "FlowColumn",
    "afterCustomer": "Customer",
    "beforeCustomer": "Customer",
    "folderStatus": "Status",
    "endpoint": "WebhookEndpoint",
    "thread": "ChatThread",
    # a stem naming a different type per input
    "upTo": {"MarkCommunicationsReadInput": "Communication", "MarkChatReadInput": "ChatMessage"},
    "rule": "AutomationRule",
}
# Inputs (or query fields) whose bare `id`/`ids` names no type in its name.
ID_OF = {
    "ConvertLeadInput": "Customer",
    "UpdateContactInput": "CustomerContact",
    "SetPrimaryContactInput": "CustomerContact",
    "RemoveContactInput": "CustomerContact",
    "RotateWebhookSecretInput": "WebhookEndpoint",
    "MarkNotificationsReadInput": "Notification",
}
# Fields whose `id`/`ids` take an object of any type: probed with one of every type.
ANY_TYPE = {("Query", "node"), ("Query", "nodes")}
# ID slots deliberately left out, with the reason, by slot name (`Slot.name`). Fields without
# an ID (`createApiKey`, `createTag`, `me`, ...) need no entry: they have no slot.
EXCLUDED: dict[str, str] = {
    "Subscription.badgeCounts(customerIds.0)": (
        "websocket: foreign and hidden ids are skipped (tests/test_subscriptions.py)"
    ),
    "Subscription.customerEvents(customerId)": (
        "websocket: foreign and hidden customers stream nothing (tests/test_subscriptions.py)"
    ),
    "Subscription.chatMessages(customerId)": (
        "websocket: foreign and hidden customers are NOT_FOUND (plugins/chat/tests)"
    ),
    "Subscription.jobProgress(id)": (
        "websocket: foreign and hidden jobs complete at once (tests/test_jobs.py)"
    ),
    "Subscription.flowBoard(flowId)": (
        "websocket: a foreign or unassigned flow completes at once (plugins/flow/tests)"
    ),
    "Mutation.undoMerge(input.mergeId)": (
        "a merge is no Node: another tenant's merge, or one whose target is hidden, is "
        "NOT_FOUND and changes nothing (tests/test_merge_undo.py)"
    ),
}
# Leaks found and not fixed yet, by (prober, slot name): the probe must still fail (else the
# entry goes), and the test passes meanwhile. Delete an entry to see the leak fail the test.
KNOWN_LEAKS: dict[tuple[str, str], str] = {}

# Optional members a probe of one slot needs besides the required ones, so the request fails
# on the probed ID rather than on something else first; by slot name.
EXTRA: dict[str, dict[str, Any]] = {
    "Mutation.setFolderAccess(input.folderId)": {"role": "AGENT"},  # a role or a worker
}
# Optional members always sent, with the prober's own objects: bulk inputs take `customerIds`
# or a filter, and without either they refuse before any id is looked up.
ALWAYS_SENT = {"customerIds"}
# Dummy values of the required non-ID members, by member name first, then by scalar type.
BY_MEMBER: dict[str, Any] = {
    "color": "#123456",
    "email": "probe@example.com",
    "currency": "EUR",
    "timeZone": "UTC",
    "start": "2030-01-01T10:00:00Z",
    "end": "2030-01-01T11:00:00Z",
    "from": "2030-01-01T00:00:00Z",
    "to": "2030-01-02T00:00:00Z",
    "startDate": "2030-01-01",
    "endDate": "2030-12-31",
    "amount": 100,
    "permission": "customers.edit",
    "module": "tickets",
}
# Members whose dummy depends on their type too (`resourceCalendar(from: Date)`).
BY_MEMBER_AND_SCALAR: dict[tuple[str, str], Any] = {("from", "Date"): "2030-01-01"}
BY_SCALAR: dict[str, Any] = {
    "String": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "DateTime": "2030-01-01T10:00:00Z",
    "Date": "2030-01-01",
    "JSON": {},
}

INTROSPECTION = """
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name } } } } }
query {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types {
      name kind
      interfaces { name }
      enumValues { name }
      fields { name type { ...T } args { name type { ...T } } }
      inputFields { name type { ...T } }
    }
  }
}
"""


# --- the schema, as the probing tenant sees it -------------------------------------------------


class Schema:
    def __init__(self, data: dict):
        schema = data["__schema"]
        self.types = {t["name"]: t for t in schema["types"]}
        self.roots = {"Query": schema["queryType"]["name"]}
        for root in ("Mutation", "Subscription"):
            if schema[f"{root.lower()}Type"]:
                self.roots[root] = schema[f"{root.lower()}Type"]["name"]
        self.node_types = sorted(
            t["name"]
            for t in schema["types"]
            if t["kind"] == "OBJECT" and {"name": "Node"} in (t["interfaces"] or [])
        )

    def fields(self, root: str) -> list[dict]:
        return self.types[self.roots[root]]["fields"]

    def named(self, ref: dict) -> dict:
        while ref["kind"] in ("NON_NULL", "LIST"):
            ref = ref["ofType"]
        return self.types[ref["name"]]

    def type_named_in(self, context: str) -> str | None:
        """The Node type named earliest (longest first) in `context`: `SetTicketStatusInput`
        names Ticket, `SetDefaultPaymentMethodInput` PaymentMethod."""
        context = context[:1].upper() + context[1:]
        found = [(context.find(n), -len(n), n) for n in self.node_types if n in context]
        return min(found)[2] if found else None

    def id_type(self, member: str, context: str) -> str | None:
        for suffix in ("Ids", "Id"):
            if member.endswith(suffix) and len(member) > len(suffix):
                stem = member[: -len(suffix)]
                name = ID_STEMS.get(stem, stem[:1].upper() + stem[1:])
                if isinstance(name, dict):
                    name = name.get(context)
                return name if name in self.node_types else None
        if member in ("id", "ids"):
            return ID_OF.get(context) or self.type_named_in(context)
        return None


def sdl(ref: dict) -> str:
    if ref["kind"] == "NON_NULL":
        return sdl(ref["ofType"]) + "!"
    if ref["kind"] == "LIST":
        return f"[{sdl(ref['ofType'])}]"
    return ref["name"]


def required(member: dict) -> bool:
    """Non-null: filled even when it has a default (`defaultValue` is not asked for: the
    introspection of `CreateSubCustomerInput.parentId`'s bogus null default fails)."""
    return member["type"]["kind"] == "NON_NULL"


@dataclass(frozen=True)
class Slot:
    """One ID-typed place in a field's arguments: `path` runs from the argument through input
    members, 0 standing for a list's element."""

    root: str
    field: str
    path: tuple
    id_type: str | None  # None: any type (ANY_TYPE) or not understood

    @property
    def name(self) -> str:
        return f"{self.root}.{self.field}({'.'.join(map(str, self.path))})"


def _list_steps(ref: dict) -> tuple:
    steps = ()
    while ref["kind"] in ("NON_NULL", "LIST"):
        if ref["kind"] == "LIST":
            steps += (0,)
        ref = ref["ofType"]
    return steps


def _slots_in(schema: Schema, member: dict, context: str, path: tuple, stack: tuple):
    """(path, member name, context) of every ID place under one argument or input member."""
    named = schema.named(member["type"])
    path = (*path, member["name"], *_list_steps(member["type"]))
    if named["name"] == "ID":
        yield path, member["name"], context
    elif named["kind"] == "INPUT_OBJECT" and named["name"] not in stack:
        for inner in named["inputFields"]:
            yield from _slots_in(schema, inner, named["name"], path, (*stack, named["name"]))


def id_slots(schema: Schema) -> Iterator[Slot]:
    for root in schema.roots:
        for field in schema.fields(root):
            for arg in field["args"]:
                for path, member, context in _slots_in(schema, arg, field["name"], (), ()):
                    if (root, field["name"]) in ANY_TYPE:
                        type_name = None
                    else:
                        type_name = schema.id_type(member, context)
                    yield Slot(root, field["name"], path, type_name)


# --- requests -----------------------------------------------------------------------------------


def _value(schema, ref, member, context, target, probe, fill):
    """A dummy value of type `ref`; `target` is the rest of the path to the probed slot (None
    when this value is off that path): the slot gets `probe`, other IDs `fill(type)`."""
    if ref["kind"] == "NON_NULL":
        return _value(schema, ref["ofType"], member, context, target, probe, fill)
    if ref["kind"] == "LIST":
        rest = None if target is None else target[1:]
        return [_value(schema, ref["ofType"], member, context, rest, probe, fill)]
    named = schema.types[ref["name"]]
    if named["kind"] == "INPUT_OBJECT":
        value = {}
        for inner in named["inputFields"]:
            on_path = bool(target) and target[0] == inner["name"]
            if on_path or required(inner) or inner["name"] in ALWAYS_SENT:
                rest = target[1:] if on_path else None
                value[inner["name"]] = _value(
                    schema, inner["type"], inner["name"], named["name"], rest, probe, fill
                )
        return value
    if named["kind"] == "ENUM":
        return named["enumValues"][0]["name"]
    if named["name"] == "ID":
        return probe if target == () else fill(schema.id_type(member, context) or "Customer")
    if (member, named["name"]) in BY_MEMBER_AND_SCALAR:
        return BY_MEMBER_AND_SCALAR[member, named["name"]]
    if member in BY_MEMBER:
        return BY_MEMBER[member]
    return BY_SCALAR.get(named["name"], "x")


def _shallow(schema: Schema, ref: dict) -> str:
    named = schema.named(ref)
    if named["kind"] in ("SCALAR", "ENUM"):
        return ""
    if named["kind"] == "UNION":
        return "{ __typename }"
    has_id = any(f["name"] == "id" for f in named["fields"])
    return "{ __typename" + (" id" if has_id else "") + " }"


def selection(schema: Schema, ref: dict) -> str:
    """What a probe asks for: `__typename` and the ids of what comes back; a payload's
    `userErrors` and its object's id; a connection's nodes."""
    named = schema.named(ref)
    if named["kind"] in ("SCALAR", "ENUM", "UNION"):
        return _shallow(schema, ref)
    fields = {f["name"]: f for f in named["fields"]}
    parts = ["__typename"]
    if "edges" in fields and "pageInfo" in fields:
        node = schema.named(fields["edges"]["type"])
        node_field = next(f for f in node["fields"] if f["name"] == "node")
        parts.append(f"edges {{ node {_shallow(schema, node_field['type'])} }}")
        if "totalCount" in fields:
            parts.append("totalCount")
    elif "userErrors" in fields:
        parts.append("userErrors { field code message }")
        for name, field in fields.items():
            if name != "userErrors" and not any(required(a) for a in field["args"]):
                parts.append(f"{name} {_shallow(schema, field['type'])}")
    elif "id" in fields:
        parts.append("id")
    return "{ " + " ".join(parts) + " }"


@dataclass
class Probe:
    slot: Slot
    id_type: str  # the type of the ID sent (the unknown one has the same)
    query: str
    variables: Callable[[str], dict]  # the probed ID -> the request's variables


def make_probe(schema: Schema, slot: Slot, id_type: str, fill: Callable[[str], str]) -> Probe:
    field = next(f for f in schema.fields(slot.root) if f["name"] == slot.field)
    args = [a for a in field["args"] if a["name"] == slot.path[0] or required(a)]
    declared = ", ".join(f"${a['name']}: {sdl(a['type'])}" for a in args)
    passed = ", ".join(f"{a['name']}: ${a['name']}" for a in args)
    operation = "query" if slot.root == "Query" else "mutation"
    query = (
        f"{operation} Probe({declared}) {{ {slot.field}({passed}) "
        f"{selection(schema, field['type'])} }}"
    )

    def variables(probe: str) -> dict:
        values = {}
        for arg in args:
            target = slot.path[1:] if arg["name"] == slot.path[0] else None
            values[arg["name"]] = _value(
                schema, arg["type"], arg["name"], field["name"], target, probe, fill
            )
        if slot.name in EXTRA:
            values[slot.path[0]].update(EXTRA[slot.name])
        return values

    return Probe(slot, id_type, query, variables)


# --- running and judging ------------------------------------------------------------------------


def _codes(body: dict) -> list[str]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


def _normalized(body: dict, probed: str) -> dict:
    """The response without what must differ: the ID itself, request ids."""
    body = json.loads(json.dumps(body).replace(probed, "<ID>"))
    for error in body.get("errors") or []:
        (error.get("extensions") or {}).pop("requestId", None)
    return body


def _empty(value) -> bool:
    if value is None or value == [] or value == [None]:
        return True
    if isinstance(value, dict) and "edges" in value:
        return value["edges"] == [] and value.get("totalCount", 0) == 0
    return False


def _user_error_codes(value) -> list[str]:
    if isinstance(value, dict):
        return [e["code"] for e in value.get("userErrors") or []]
    return []


@dataclass
class Outcome:
    probed: int = 0
    not_found: int = 0
    refused_alike: int = 0  # refused for a reason the unknown ID gets too (`alike` codes)
    known_leaks: int = 0


def _verdict(probe: Probe, probed: str, seen, baseline, alike: frozenset) -> tuple[str, str]:
    """("not found" | "refused alike" | "wrong", why): the probe next to the unknown ID."""
    if seen.status_code != 200 or baseline.status_code != 200:
        return "wrong", f"HTTP {seen.status_code} / {baseline.status_code}"
    body, base = seen.json(), baseline.json()
    if "INTERNAL" in _codes(body) + _codes(base):
        return "wrong", f"INTERNAL {body.get('errors') or base.get('errors')}"
    if _normalized(body, probed) != _normalized(base, gid(probe.id_type, UNKNOWN_PK)):
        return "wrong", f"differs from an unknown id:\n    {body}\n    {base}"
    value = (body.get("data") or {}).get(probe.slot.field)
    codes = _codes(body) + _user_error_codes(value)
    if "NOT_FOUND" in codes or (probe.slot.root == "Query" and not codes and _empty(value)):
        return "not found", ""
    if codes and set(codes) <= alike:
        return "refused alike", ""
    if codes:
        return "wrong", f"refused before the id was looked up (masked; see EXTRA): {body}"
    return "wrong", f"accepted (as an unknown id is): {body}"


def run_probes(
    actor: Api,
    probes: list[tuple[Probe, str]],
    failures: list[str],
    alike: frozenset = frozenset(),
    known: dict[str, str] | None = None,
) -> Outcome:
    """Each probe next to the same request with an unknown ID of the same type."""
    outcome, known = Outcome(), known or {}
    for probe, probed in probes:
        seen = actor.post(probe.query, probe.variables(probed))
        baseline = actor.post(probe.query, probe.variables(gid(probe.id_type, UNKNOWN_PK)))
        outcome.probed += 1
        verdict, why = _verdict(probe, probed, seen, baseline, alike)
        label = f"{probe.slot.name} with {probe.id_type} {probed}"
        if probe.slot.name in known:
            outcome.known_leaks += 1
            if verdict != "wrong":
                failures.append(f"{label}: behaves now; remove it from KNOWN_LEAKS")
        elif verdict == "wrong":
            failures.append(f"{label}: {why}")
        elif verdict == "not found":
            outcome.not_found += 1
        else:
            outcome.refused_alike += 1
    return outcome


# --- the two tenants' objects -------------------------------------------------------------------


def enable_all(api: Api) -> list[str]:
    modules = api.query("{ modules { name dependsOn enabled } }")["modules"]
    todo = {m["name"]: set(m["dependsOn"]) for m in modules if not m["enabled"]}
    done = {m["name"] for m in modules if m["enabled"]}
    order = []
    while todo:
        ready = sorted(name for name, needs in todo.items() if needs <= done)
        assert ready, f"modules with unmet dependencies: {todo}"
        for name in ready:
            order.append(name)
            done.add(name)
            del todo[name]
    api.enable(*order)
    return sorted(done)


def introspect(api: Api) -> Schema:
    return Schema(api.query(INTROSPECTION))


def _money(amount: int) -> dict:
    return {"amount": amount, "currency": "EUR"}


# (type, mutation, input from the ids made so far, payload field). A step whose mutation is not
# in the schema (a module not installed) is skipped; its type then falls back to Customer.
def _steps(tag: str, tenant: int) -> list[tuple[str, str, Callable[[dict], dict], str]]:
    low = tag.lower()
    today = date.today()
    yesterday, a_year_ago, in_ten_years = (
        (today + timedelta(days=days)).isoformat() for days in (-1, -365, 3650)
    )
    booked = today + timedelta(days=400)
    monday = booked - timedelta(days=booked.weekday())
    return [
        ("Customer", "createCustomer", lambda ids: {"name": f"{tag} Customer"}, "customer"),
        ("Tag", "createTag", lambda ids: {"name": f"{tag} tag", "color": "#123456"}, "tag"),
        ("Folder", "createFolder", lambda ids: {"name": f"{tag}", "color": "#123456"}, "folder"),
        (
            "Status",
            "createStatus",
            lambda ids: {
                "name": f"{tag} status",
                "color": "#123456",
                "category": "ACTIVE",
                "isDefault": False,
            },
            "status",
        ),
        (
            "Worker",
            "createWorker",
            lambda ids: {
                "name": f"{tag} Worker",
                "email": f"{low}.{tenant}@example.com",
                "role": "MANAGER",
            },
            "worker",
        ),
        (
            "CustomFieldDefinition",
            "createCustomFieldDefinition",
            lambda ids: {"key": f"{low}_note", "label": f"{tag} note", "type": "TEXT"},
            "definition",
        ),
        ("ApiKey", "createApiKey", lambda ids: {"name": tag, "permissions": []}, "apiKey"),
        (
            "Appointment",
            "bookAppointment",
            lambda ids: {
                "customerId": ids["Customer"],
                "workerId": ids["Worker"],
                "start": f"{booked}T10:00:00Z",
                "end": f"{booked}T11:00:00Z",
            },
            "appointment",
        ),
        (
            "InsuranceProvider",
            "createInsuranceProvider",
            lambda ids: {"name": f"{tag} Mutual"},
            "provider",
        ),
        (
            "InsurancePolicy",
            "createInsurancePolicy",
            lambda ids: {
                "customerId": ids["Customer"],
                "providerId": ids["InsuranceProvider"],
                "number": f"{tag}-1",
                "coverageDescription": "All",
                "coverageLimit": _money(100_000),
                "premium": _money(1_000),
                "premiumPeriod": "MONTHLY",
                "startDate": a_year_ago,
                "endDate": in_ten_years,
            },
            "policy",
        ),
        (
            "InsuranceClaim",
            "submitInsuranceClaim",
            lambda ids: {
                "customerId": ids["Customer"],
                "policyId": ids["InsurancePolicy"],
                "incidentDate": yesterday,
                "description": "Flood",
                "claimedAmount": _money(500),
            },
            "claim",
        ),
        (
            "Invoice",
            "createInvoice",
            lambda ids: {
                "customerId": ids["Customer"],
                "lines": [{"description": "Work", "quantity": 1, "unitPrice": _money(2_000)}],
            },
            "invoice",
        ),
        (
            "PaymentMethod",
            "addPaymentMethod",
            lambda ids: {
                "customerId": ids["Customer"],
                "kind": "CARD",
                "label": "Visa",
                "makeDefault": True,
            },
            "paymentMethod",
        ),
        (
            "Payment",
            "recordPayment",
            lambda ids: {
                "customerId": ids["Customer"],
                "amount": _money(1_000),
                "idempotencyKey": f"{low}-{tenant}",
                "methodKind": "CASH",
            },
            "payment",
        ),
        (
            "PaymentRefund",
            "refundPayment",
            lambda ids: {"paymentId": ids["Payment"], "amount": _money(100)},
            "refund",
        ),
        (
            "SubscriptionPlan",
            "createSubscriptionPlan",
            lambda ids: {"name": f"{tag} plan", "price": _money(1_900), "interval": "MONTH"},
            "plan",
        ),
        (
            "Ticket",
            "openTicket",
            lambda ids: {"customerId": ids["Customer"], "subject": f"{tag} ticket"},
            "ticket",
        ),
        (
            "Activity",
            "logActivity",
            lambda ids: {"customerId": ids["Customer"], "kind": "CALL", "title": f"{tag} call"},
            "activity",
        ),
        (
            "TicketComment",
            "commentOnTicket",
            lambda ids: {"ticketId": ids["Ticket"], "body": "Hello", "internal": False},
            "comment",
        ),
        (
            "ChecklistTemplate",
            "createChecklistTemplate",
            lambda ids: {"name": f"{tag} template", "items": ["One"], "folderIds": [ids["Folder"]]},
            "template",
        ),
        (
            "Checklist",
            "addChecklist",
            lambda ids: {"customerId": ids["Customer"], "templateId": ids["ChecklistTemplate"]},
            "checklist",
        ),
        (
            "ChecklistItem",
            "addChecklistItem",
            lambda ids: {"checklistId": ids["Checklist"], "text": "Two"},
            "item",
        ),
        (
            "DynamicContentBlock",
            "createDynamicContentBlock",
            lambda ids: {"title": f"{tag} block", "body": "Hello {{ name }}"},
            "block",
        ),
        (
            "AutomationRule",
            "createAutomationRule",
            lambda ids: {
                "name": f"{tag} rule",
                "trigger": {"kind": "MANUAL"},
                "actions": [{"type": "WAIT", "seconds": 60}],
            },
            "rule",
        ),
        (
            "DealStage",
            "createDealStage",
            lambda ids: {"name": f"{tag} stage", "probability": 30},
            "stage",
        ),
        (
            "Deal",
            "createDeal",
            lambda ids: {
                "customerId": ids["Customer"],
                "name": f"{tag} deal",
                "value": _money(5_000),
                "idempotencyKey": f"{low}-deal-{tenant}",
            },
            "deal",
        ),
        (
            "LoyaltyTier",
            "createLoyaltyTier",
            lambda ids: {"name": f"{tag} tier", "threshold": sum(map(ord, tag))},  # one a tag
            "tier",
        ),
        (
            "LoyaltyReward",
            "createLoyaltyReward",
            lambda ids: {"name": f"{tag} reward", "pointsCost": 10},
            "reward",
        ),
        (
            "LoyaltyEntry",
            "adjustLoyaltyPoints",
            lambda ids: {
                "customerId": ids["Customer"],
                "points": 500,
                "reason": f"{tag} points",
                "idempotencyKey": f"{low}-loyalty-{tenant}",
            },
            "entry",
        ),
        (
            "TimeEntry",
            "logTime",
            lambda ids: {"customerId": ids["Customer"], "durationSeconds": 600},
            "timeEntry",
        ),
        (
            "Mission",
            "createMission",
            lambda ids: {
                "customerId": ids["Customer"],
                "title": f"{tag} mission",
                "assigneeIds": [ids["Worker"]],
            },
            "mission",
        ),
        (
            "CustomerContact",
            "addContact",
            lambda ids: {"customerId": ids["Customer"], "name": f"{tag} contact"},
            "contact",
        ),
        (
            "Communication",
            "sendMessage",
            lambda ids: {
                "customerId": ids["Customer"],
                "channel": "SMS",
                "body": f"{tag} text",
                "to": "+15550100000",
            },
            "communication",
        ),
        (
            "Note",
            "addNote",
            lambda ids: {"customerId": ids["Customer"], "body": f"{tag} note"},
            "note",
        ),
        ("StoredFile", "uploadFile", lambda ids: {}, "file"),  # multipart: see `populate`
        (
            "Document",
            "createDocument",
            lambda ids: {"customerId": ids["Customer"], "fileId": ids["StoredFile"]},
            "document",
        ),
        (
            "DocumentLabel",
            "createDocumentLabel",
            lambda ids: {"name": f"{tag} label", "color": "#123456"},
            "label",
        ),
        (
            "Product",
            "createProduct",
            lambda ids: {"name": f"{tag} product", "sku": f"SKU-{low}", "price": _money(900)},
            "product",
        ),
        (
            "Order",
            "createOrder",
            lambda ids: {
                "customerId": ids["Customer"],
                "kind": "QUOTE",
                "currency": "EUR",
                "lines": [{"productId": ids["Product"]}],
            },
            "order",
        ),
        ("Flow", "createFlow", lambda ids: {"name": f"{tag} flow"}, "flow"),
        (
            "FlowColumn",
            "createFlowColumn",
            lambda ids: {"flowId": ids["Flow"], "name": f"{tag} column", "color": "#123456"},
            "column",
        ),
        (
            "ReservationResource",
            "createReservationResource",
            lambda ids: {
                "name": f"{tag} room",
                "capacity": 2,
                "openingHours": [{"weekday": "MONDAY", "opens": "08:00", "closes": "00:00"}],
            },
            "resource",
        ),
        (
            "Reservation",
            "createReservation",
            lambda ids: {
                "customerId": ids["Customer"],
                "resourceId": ids["ReservationResource"],
                "start": f"{monday}T10:00:00Z",
                "end": f"{monday}T11:00:00Z",
            },
            "reservation",
        ),
        (
            "Payout",
            "createPayout",
            lambda ids: {
                "customerId": ids["Customer"],
                "amount": _money(700),
                "kind": "REFUND",
                "method": "CASH",
                "idempotencyKey": f"{tag} payout",
            },
            "payout",
        ),
        (
            "Project",
            "createProject",
            lambda ids: {"name": f"{tag} project", "idempotencyKey": f"{low}-project-{tenant}"},
            "project",
        ),
        (
            "WebhookEndpoint",
            "createWebhookEndpoint",
            lambda ids: {
                "url": "https://example.com/hook",
                "eventTypes": ["*"],
                "active": False,  # the probe's app sends nothing
            },
            "endpoint",
        ),
        (
            "ChatThread",
            "createChatThread",
            lambda ids: {"customerId": ids["Customer"], "title": f"{tag} thread"},
            "thread",
        ),
        (
            "ChatMessage",
            "postChatMessage",
            lambda ids: {
                "customerId": ids["Customer"],
                "threadId": ids["ChatThread"],
                "body": f"{tag} message",
            },
            "message",
        ),
    ]


# Objects that belong to a customer: what an agent who cannot see the customer cannot see.
CUSTOMER_OWNED = {
    "Customer",
    "Appointment",
    "InsurancePolicy",
    "InsuranceClaim",
    "Invoice",
    "PaymentMethod",
    "Payment",
    "PaymentRefund",
    "Ticket",
    "TicketComment",
    "Activity",
    "Checklist",
    "ChecklistItem",
    "TimeEntry",
    "Mission",
    "Note",
    "Communication",
    "Order",
    "Payout",
    "ChatThread",
    "ChatMessage",
    "CustomerContact",
    "LoyaltyEntry",
    "Reservation",
    "StoredFile",
    "Document",
    "Recording",
}


def populate(api: Api, schema: Schema, tag: str) -> dict[str, str]:
    """One object of every type the schema lets us create, named after `tag`; the module
    objects belong to its one customer."""
    mutations = {f["name"] for f in schema.fields("Mutation")}
    ids: dict[str, str] = {}
    for type_name, mutation, make, field in _steps(tag, api.tenant_id):
        if mutation == "uploadFile" and mutation in mutations:  # a multipart request
            ids[type_name] = uploaded(api, customer_id=ids["Customer"])["id"]
        elif mutation in mutations:
            ids[type_name] = api.ok(mutation, make(ids), f"{field} {{ id }}")[field]["id"]
    if "addRecording" in mutations:  # a multipart request: the audio is a file part
        from tests.test_role_matrix import record

        ids["Recording"] = record(api, ids["Customer"])["data"]["addRecording"]["recording"]["id"]
    data = api.query("{ me { tenant { id } } }")
    ids["Tenant"] = data["me"]["tenant"]["id"]
    if "auditLog" in {f["name"] for f in schema.fields("Query")}:
        entries = api.query("{ auditLog(first: 1) { edges { node { id } } } }")["auditLog"]
        if entries["edges"]:
            ids["AuditLogEntry"] = entries["edges"][0]["node"]["id"]
    return ids


# --- "nothing changed": everything a tenant's owner can read --------------------------------


def _is_page(type_: dict) -> bool:
    names = {f["name"] for f in type_["fields"] or []}
    return "edges" in names and "pageInfo" in names


def _tree(schema: Schema, ref: dict, depth: int) -> str:
    """Every argument-free field `depth` object levels down (a connection and its edges are no
    level of their own), pages of 10."""
    named = schema.named(ref)
    if named["kind"] in ("SCALAR", "ENUM"):
        return ""
    if named["kind"] == "UNION" or depth == 0:
        return _shallow(schema, ref)
    return "{ " + " ".join(_branches(schema, named, depth)) + " }"


# Fields that are a fresh signed link at every read of the same object: not a change.
VOLATILE = {"downloadUrl", "playbackUrl"}


def _branches(schema: Schema, named: dict, depth: int) -> list[str]:
    """`_tree`'s fields of an object type, one selection each."""
    parts = []
    for field in named["fields"]:
        if any(required(a) for a in field["args"]) or field["name"] in VOLATILE:
            continue
        if _is_page(named) and field["name"] not in ("edges", "totalCount"):
            continue
        # Pages of 10 on the customer itself, of 3 below it (one object of each type exists):
        # pages of 10 inside pages of 10 put a sub-customer's tree over the cost limit.
        size = 10 if depth >= 3 else 3
        args = f"(first: {size})" if any(a["name"] == "first" for a in field["args"]) else ""
        flat = field["name"] == "edges" or _is_page(schema.named(field["type"]))
        parts.append(f"{field['name']}{args} {_tree(schema, field['type'], depth - (not flat))}")
    return parts


def _read_customer(owner: Api, customer_id: str, branches: list[str]) -> dict:
    """The customer's branches in one request, or in halves while one is over the query
    cost or token limit (every module adds to the whole tree)."""
    query = f"query($id: ID!) {{ customer(id: $id) {{ {' '.join(branches)} }} }}"
    body = owner.post(query, {"id": customer_id}).json()
    codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
    limits = [(e.get("extensions") or {}).get("limit") for e in body.get("errors") or []]
    if limits == ["MAX_TOKENS"] and len(branches) > 1:  # too long a text: halves too
        codes = ["QUERY_TOO_COMPLEX"]
    if codes == ["QUERY_TOO_COMPLEX"] and len(branches) > 1:
        half = len(branches) // 2
        first = _read_customer(owner, customer_id, branches[:half])
        rest = _read_customer(owner, customer_id, branches[half:])
        return {"data": {"customer": {**first["data"]["customer"], **rest["data"]["customer"]}}}
    if codes == ["QUERY_TOO_COMPLEX"] and "(first: 10)" in branches[0]:
        # One branch alone (sub-customers' sub-customers): smaller pages still hold the
        # probe's few rows.
        return _read_customer(
            owner, customer_id, [branches[0].replace("(first: 10)", "(first: 5)")]
        )
    assert not body.get("errors"), (customer_id, body)
    return body


def snapshot(owner: Api, schema: Schema) -> dict:
    """Every argument-free root field (two levels deep) and every customer (three levels, a
    request per field of the customer: the whole tree is over the query cost limit), as the
    tenant's owner reads them."""
    state = {}
    for field in schema.fields("Query"):
        if any(required(a) for a in field["args"]) or field["name"] in ("node", "nodes"):
            continue
        args = "(first: 100)" if any(a["name"] == "first" for a in field["args"]) else ""
        body = owner.post(f"{{ {field['name']}{args} {_tree(schema, field['type'], 2)} }}").json()
        assert not body.get("errors"), (field["name"], body)
        state[field["name"]] = body
    customers = owner.query("{ customers(first: 100) { edges { node { id } } } }")["customers"]
    customer = next(f for f in schema.fields("Query") if f["name"] == "customer")
    branches = _branches(schema, schema.named(customer["type"]), 3)
    for edge in customers["edges"]:
        state[edge["node"]["id"]] = _read_customer(owner, edge["node"]["id"], branches)
    return state


def _changes(before: dict, after: dict) -> list[str]:
    return [key for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]


# --- the tests ----------------------------------------------------------------------------------


@pytest.fixture
def probing(api: Api, other_api: Api):
    """Both tenants with every module on; the probing tenant's schema."""
    modules = enable_all(api)
    assert enable_all(other_api) == modules
    return api, other_api, introspect(api)


def understood(schema: Schema) -> list[Slot]:
    """The slots to probe; fails on one the generator cannot handle."""
    slots, unknown = [], []
    for slot in id_slots(schema):
        if slot.name in EXCLUDED:
            continue
        if slot.root == "Subscription":
            unknown.append(f"{slot.name} (subscriptions are not probed yet)")
        elif slot.id_type is None and (slot.root, slot.field) not in ANY_TYPE:
            unknown.append(f"{slot.name} (which type does it take?)")
        else:
            slots.append(slot)
    assert not unknown, f"ID slots the probe cannot handle: {unknown}"
    return slots


def test_every_id_slot_is_understood(probing):
    _api, _other, schema = probing
    slots = understood(schema)
    names = {s.name for s in id_slots(schema)}
    stale = [name for name in [*EXCLUDED, *(n for _r, n in KNOWN_LEAKS)] if name not in names]
    assert not stale, f"EXCLUDED / KNOWN_LEAKS name slots that no longer exist: {stale}"
    for root in ("Query", "Mutation"):
        assert any(s.root == root for s in slots), f"no {root} field takes an ID?"


def _summary(kind: str, probes: list[tuple[Probe, str]], outcome: Outcome, registry) -> str:
    fields = {(p.slot.root, p.slot.field) for p, _ in probes}
    queries = sum(1 for r, _f in fields if r == "Query")
    modular = sum(1 for r, f in fields if registry.module_of(r, f))
    return (
        f"{kind}: {outcome.probed} probes over {len(fields)} fields ({queries} queries, "
        f"{len(fields) - queries} mutations; {len(fields) - modular} core, {modular} module); "
        f"{outcome.not_found} not found, {outcome.refused_alike} refused like an unknown id, "
        f"{outcome.known_leaks} known leaks"
    )


def _verdicts(summary: str, failures: list[str], changed: dict[str, list[str]]) -> None:
    print(f"\n{summary}")
    problems = failures + [f"{who} changed: {keys}" for who, keys in changed.items() if keys]
    assert not problems, summary + "\n" + "\n".join(problems)
