"""`Customer.timeline`: what happened to one customer, newest first, from the event log
(core's events and the modules'), each entry with a sentence a person can read.

Core events read from a small table below. Module events are never looked up in the
modules (core does not import them): their sentence comes from the event name
(`ticket.opened` → "Ticket opened") and the data fields whose meaning is plain in any
module (`number`, `amount` + `currency`, `from` / `to`).

A module's events show only to workers who may open its profile tab (its permission, e.g.
`tickets.view`) while the tenant has it enabled: the timeline tells no more than the tab.

Not a `Customer` field by itself: `TIMELINE_FIELD` / `timeline` are grafted onto it, so
this file never imports `schema.customers` (which may import this one)."""

import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import strawberry
from sqlalchemy import func, select
from strawberry.scalars import JSON

from core import access, audit, models, multiread
from core.events import CORE_EVENT_TYPES
from core.models import EventRecord
from core.pagination import PageRequest, fetch_page
from schema.context import Context, Info
from schema.relay import Connection, Node, connection
from schema.team.types import Worker

if TYPE_CHECKING:
    from schema.customers.types import Customer

# --- what the entries say -------------------------------------------------------------------

# Core events: (with the worker who did it, without one). `{actor}` is the worker's name,
# `{fields}` what `customer.updated` changed ("city and notes"). The sentences of events
# whose data names what changed (links, statuses) are built below; these are their
# fallbacks for data without names.
CORE_SUMMARIES: dict[str, tuple[str, str]] = {
    "customer.created": ("{actor} created the customer", "Customer created"),
    "customer.updated": ("{actor} changed {fields}", "{Fields} changed"),
    "customer.status_changed": ("{actor} changed the status", "Status changed"),
    "customer.folder_status_changed": (
        "{actor} changed the status in a folder",
        "Status in a folder changed",
    ),
    "customer.folder_changed": ("{actor} changed the folders", "Folders changed"),
    "customer.tags_changed": ("{actor} changed the tags", "Tags changed"),
    "customer.workers_changed": (
        "{actor} changed the assigned workers",
        "Assigned workers changed",
    ),
    "customer.contact_added": ("{actor} added a contact", "Contact added"),
    "customer.contact_updated": ("{actor} changed a contact", "Contact changed"),
    "customer.contact_removed": ("{actor} removed a contact", "Contact removed"),
    "customer.primary_contact_changed": (
        "{actor} changed the primary contact",
        "Primary contact changed",
    ),
    "customer.merged": ("{actor} merged a duplicate into this customer", "Duplicate merged in"),
    "customer.merge_undone": ("{actor} undid a merge", "Merge undone"),
    "customer.deleted": ("{actor} deleted the customer", "Customer deleted"),
    "file.uploaded": ("{actor} uploaded a file", "File uploaded"),
}
UNSPECIFIED_UPDATE = ("{actor} updated the customer", "Customer updated")
# Link events (`{"added": [ref], "removed": [ref]}`): what each side reads as, with the
# worker who did it and without one; `{}` is the names ("VIP and Gold").
LINK_CLAUSES: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "customer.tags_changed": (("tagged {}", "untagged {}"), ("tagged {}", "untagged {}")),
    "customer.workers_changed": (
        ("assigned {}", "unassigned {}"),
        ("assigned {}", "unassigned {}"),
    ),
    "customer.folder_changed": (
        ("added the customer to {}", "removed the customer from {}"),
        ("added to {}", "removed from {}"),
    ),
}
# Names of link events that read better with their noun: "folder Sales", "folders A and B".
LINK_NOUNS = {"customer.folder_changed": ("folder", "folders")}
# Before distinct link events, a link change was `customer.updated` (or, for folders,
# `customer.folder_changed`) with `changed_links`: the link table written. Older rows still
# read right.
LINK_SUMMARIES: dict[str, tuple[str, str]] = {
    "customer_tags": ("{actor} changed the tags", "Tags changed"),
    "customer_workers": ("{actor} changed the assigned workers", "Assigned workers changed"),
    "customer_folders": ("{actor} removed the customer from folders", "Removed from folders"),
}
# `changed` of `customer.updated`: field keys as people say them (others: `_` → space).
FIELD_LABELS = {
    "avatar_url": "avatar",
    "lead_source": "lead source",
    "follow_up_at": "follow-up date",
    "status_id": "status",
    "custom_fields": "custom fields",
    "blocked": "block status",
    "parent": "parent customer",
    "job_title": "job title",
    "date_of_birth": "date of birth",
    "payment": "payment preferences",
    "communication": "communication preferences",
}
MAX_FIELDS = 4  # more read as "name, city, company and 3 more"

# Minor units per currency where not 2 (ISO 4217).
ZERO_DECIMALS = ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX")
ZERO_DECIMALS += ("UYI", "VND", "VUV", "XAF", "XOF", "XPF")
THREE_DECIMALS = ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")
CURRENCY_EXPONENTS = {**dict.fromkeys(ZERO_DECIMALS, 0), **dict.fromkeys(THREE_DECIMALS, 3)}
CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")  # an enum value such as IN_PROGRESS
CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_TEXT = 60  # a data value longer than this is not "obvious": left out
MAX_TITLE = 80  # a `title` longer than this is shortened


def money(amount: Any, currency: Any) -> str | None:
    """`5000, "EUR"` → "50.00 EUR"; None unless both look like money."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        return None
    if not isinstance(currency, str) or not CURRENCY.match(currency):
        return None
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    sign, units = ("-" if amount < 0 else ""), abs(amount)
    if exponent == 0:
        return f"{sign}{units} {currency}"
    whole, minor = divmod(units, 10**exponent)
    return f"{sign}{whole}.{minor:0{exponent}d} {currency}"


def _text(value: Any) -> str | None:
    """A short scalar as a reader sees it (`IN_PROGRESS` → "in progress"); None otherwise."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    if not text or len(text) > MAX_TEXT:
        return None
    return text.lower().replace("_", " ") if CODE.match(text) else text


def _reference(noun: str, number: Any) -> str | None:
    """How a numbered record is called: a text number as it is (`INV-000042`), a bare one
    with the noun's initial (`T-1003`, as the hub shows ticket numbers)."""
    if isinstance(number, bool):
        return None
    if isinstance(number, int):
        return f"{noun[:1].upper()}-{number}"
    if isinstance(number, str) and number.strip() and len(number) <= MAX_TEXT:
        return number.strip()
    return None


def _join(items: list[str]) -> str:
    if len(items) > MAX_FIELDS:
        items = [*items[: MAX_FIELDS - 1], f"{len(items) - MAX_FIELDS + 1} more"]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _title(value: Any) -> str | None:
    """A record's own name, shortened to `MAX_TITLE` characters."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = " ".join(value.split())
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1].rstrip() + "…"


def module_summary(action: str, data: dict) -> str:
    """`ticket.opened` {number: 1003} → "Ticket T-1003 opened"; `payment.received`
    {amount: 5000, currency: "EUR"} → "Payment of 50.00 EUR received". The number names
    the record right after the module's noun, the amount goes before the closing verb
    ("Insurance claim of 80.00 EUR submitted"), `from` / `to` at the end. A `kind` that is
    a code names the record more exactly than the module's noun, and a `title` follows
    after a colon: `activity.logged` {kind: "CALL", title: "Invoice"} → "Call logged:
    Invoice"."""
    noun, _, verb = action.partition(".")
    noun = noun.replace("_", " ")
    data = data if isinstance(data, dict) else {}
    kind = data.get("kind")
    named = _text(kind) if isinstance(kind, str) and CODE.match(kind) else None
    named = named or noun
    words = [named[:1].upper() + named[1:]]
    reference = _reference(noun, data.get("number"))
    if reference:
        words.append(reference)
    rest = verb.replace("_", " ").split()
    words += rest[:-1]
    amount = data.get("amount")
    if isinstance(amount, dict):
        amount = money(amount.get("amount"), amount.get("currency"))
    else:
        amount = money(amount, data.get("currency"))
    if amount:
        words.append(f"of {amount}")
    words += rest[-1:]
    before, after = _text(data.get("from")), _text(data.get("to"))
    if before and after:
        words.append(f"from {before} to {after}")
    elif after:
        words.append(f"to {after}")
    sentence = " ".join(w for w in words if w)
    title = _title(data.get("title"))
    return f"{sentence}: {title}" if title else sentence


def _fields(data: dict) -> str:
    changed = data.get("changed")
    names = [c for c in changed if isinstance(c, str)] if isinstance(changed, list) else []
    return _join([FIELD_LABELS.get(n, n.replace("_", " ")) for n in names]) if names else ""


def _names(refs: Any) -> list[str] | None:
    """The names of a list of refs; None if it is not one or a name is missing."""
    if not isinstance(refs, list):
        return None
    names = [_ref_name(r) for r in refs]
    return names if all(names) else None


def _link_summary(action: str, data: dict, actor: str | None) -> str | None:
    """Reads as "Olivia Owner tagged VIP, untagged Cold" or "Added to folder Sales"; None
    when the data does not name what changed."""
    added, removed = _names(data.get("added", [])), _names(data.get("removed", []))
    if added is None or removed is None or not (added or removed):
        return None
    with_actor, without = LINK_CLAUSES[action]
    forms = with_actor if actor else without
    nouns = LINK_NOUNS.get(action)
    clauses = []
    for form, names in zip(forms, (added, removed), strict=True):
        if names:
            text = _join(names)
            if nouns:
                text = f"{nouns[len(names) > 1]} {text}"
            clauses.append(form.format(text))
    sentence = ", ".join(clauses)
    return f"{actor} {sentence}" if actor else sentence[:1].upper() + sentence[1:]


def _ref_name(value: Any) -> str | None:
    name = value.get("name") if isinstance(value, dict) else None
    return name if isinstance(name, str) and name else None


def _status_summary(action: str, data: dict, actor: str | None) -> str | None:
    """Reads as "Olivia Owner changed the status from New to Won" or "Status in folder
    Sales changed to Won"; None when the data names neither status."""
    before, after = _ref_name(data.get("from")), _ref_name(data.get("to"))
    if not (before or after):
        return None
    where = ""
    if action == "customer.folder_status_changed":
        folder = _ref_name(data.get("folder"))
        if folder is None:
            return None
        where = f" in folder {folder}"
    change = (f" from {before}" if before else "") + (f" to {after}" if after else "")
    if actor:
        return f"{actor} changed the status{where}{change}"
    return f"Status{where} changed{change}"


CONTACT_VERBS = {
    "customer.contact_added": "added the contact {}",
    "customer.contact_updated": "changed the contact {}",
    "customer.contact_removed": "removed the contact {}",
}


def _contact_summary(action: str, data: dict, actor: str | None) -> str | None:
    """Reads as "Olivia Owner added the contact Bob Stone" or "Contact Bob Stone removed";
    the primary contact as "… made Bob Stone the primary contact" / "… removed Bob Stone
    as the primary contact"."""
    if action == "customer.primary_contact_changed":
        before, after = _ref_name(data.get("from")), _ref_name(data.get("to"))
        if after:
            return (
                f"{actor} made {after} the primary contact"
                if actor
                else (f"{after} became the primary contact")
            )
        if before and actor:
            return f"{actor} removed {before} as the primary contact"
        return f"{before} is no longer the primary contact" if before else None
    name = _ref_name(data.get("contact"))
    if name is None:
        return None
    clause = CONTACT_VERBS[action].format(name)
    if actor:
        return f"{actor} {clause}"
    verb, _, rest = clause.partition(" the ")
    return f"{rest[0].upper()}{rest[1:]} {verb}"


DETAILED_SUMMARIES = {
    **dict.fromkeys([*CONTACT_VERBS, "customer.primary_contact_changed"], _contact_summary),
    **dict.fromkeys(LINK_CLAUSES, _link_summary),
    "customer.status_changed": _status_summary,
    "customer.folder_status_changed": _status_summary,
}


def core_summary(action: str, data: dict, actor: str | None) -> str:
    """The sentence of a core event, with the worker's name when there is one."""
    data = data if isinstance(data, dict) else {}
    detailed = DETAILED_SUMMARIES.get(action)
    sentence = detailed(action, data, actor) if detailed else None
    if sentence:
        return sentence
    links = data.get("changed_links")
    forms = CORE_SUMMARIES[action]
    if isinstance(links, str) and links in LINK_SUMMARIES:
        forms = LINK_SUMMARIES[links]
    fields = _fields(data)
    if "{" in forms[1] and not fields:
        forms = UNSPECIFIED_UPDATE
    if actor:
        return forms[0].format(actor=actor, fields=fields)
    return forms[1].format(Fields=fields[:1].upper() + fields[1:])


def summary(action: str, data: dict, actor: str | None = None) -> str:
    if action in CORE_SUMMARIES:
        return core_summary(action, data, actor)
    return module_summary(action, data)


# --- which events a worker may see on a timeline --------------------------------------------


def shown_actions(ctx: Context) -> set[str]:
    """Core's customer events, those of always-on plugins, and those of the enabled modules
    whose profile tabs the worker may open (an event of a module not installed any more
    has no one to say who may see it: left out)."""
    principal = ctx.principal
    shown = set(CORE_EVENT_TYPES)
    if ctx.plugins is None or ctx.registry is None:
        return shown
    needs: dict[str, set[str]] = {}
    for contribution in ctx.registry.contributions:
        if contribution.module:
            tabs = needs.setdefault(contribution.module, set())
            tabs.update(t.permission for t in contribution.tabs if t.permission)
    modules = {
        m for m in principal.modules if all(access.can(principal, p) for p in needs.get(m, ()))
    }
    for names in ctx.plugins.caller("hub_event_types", modules)():
        shown.update(names or ())
    return shown


# --- GraphQL ----------------------------------------------------------------------------------


@strawberry.type(
    description="Something that happened to the customer: a core change or a module's event."
)
class TimelineEntry(Node):
    action: str = strawberry.field(
        description="The event name (its type), e.g. `customer.updated`, `ticket.opened`."
    )
    occurred_at: datetime
    data: JSON = strawberry.field(description="The event's own data, as its emitter wrote it.")
    actor_id: strawberry.Private[int | None]

    async def _actor_row(self, info: Info) -> dict | None:
        if self.actor_id is None:
            return None
        return await info.context.loaders.worker.load(self.actor_id)

    @strawberry.field(description="The worker who did it (null for the system or a removed one).")
    async def actor(self, info: Info) -> Worker | None:
        row = await self._actor_row(info)
        return Worker.from_row(row) if row else None

    @strawberry.field(
        description='What happened in a sentence, e.g. "Olivia Owner changed city", '
        '"Ticket T-1003 opened", "Payment of 50.00 EUR received".'
    )
    async def summary(self, info: Info) -> str:
        actor = None
        if self.action in CORE_SUMMARIES:
            row = await self._actor_row(info)
            actor = row["name"] if row else None
        return summary(self.action, self.data, actor)


@strawberry.input(description="Which entries of a timeline.")
class TimelineFilter:
    actions: list[str] | None = strawberry.field(
        default=None,
        description='Only these event names, e.g. `["ticket.opened"]`; null or empty: all.',
    )


ACTOR, WORKERS = "timeline_actor", models.Worker.__table__
TIMELINE_DESCRIPTION = (
    "What happened to this customer, newest first: core changes and the events of the "
    "modules you may open. One statement per page: select it on a profile, never on list "
    "pages."
)


async def timeline(
    root: "Customer",
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: TimelineFilter | None = None,
) -> Connection[TimelineEntry]:
    ctx = info.context
    actions: Iterable[str] = shown_actions(ctx)
    if filter is not None and filter.actions:
        actions = set(actions) & set(filter.actions)
    query = audit.customer_timeline(ctx.principal, root.pk, actions)
    actor = (
        select(multiread.json_row(list(WORKERS.c)))
        .where(WORKERS.c.tenant_id == ctx.principal.tenant_id, WORKERS.c.id == EventRecord.actor_id)
        .scalar_subquery()
    )
    async with ctx.read() as conn:
        page = await fetch_page(
            conn,
            query.add_columns(actor.label(ACTOR)),
            PageRequest(first, after),
            EventRecord.id,
            EventRecord.id,
            True,
        )
        decode = multiread.decoder(list(WORKERS.c), conn.dialect)
    for row in page.rows:  # the actors come with the page: `actor` and `summary` read nothing
        if row["actor_id"] is not None:
            ctx.loaders.worker.prime(row["actor_id"], decode(row[ACTOR]))

    async def count() -> int:
        async with ctx.read() as conn:
            counted = select(func.count()).select_from(query.subquery())
            return (await conn.execute(counted)).scalar_one()

    nodes = [
        TimelineEntry(
            pk=r["id"],
            action=r["action"],
            occurred_at=r["occurred_at"],
            data=r["data"],
            actor_id=r["actor_id"],
        )
        for r in page.rows
    ]
    return connection(page, nodes, count)


TIMELINE_FIELD = strawberry.field(resolver=timeline, description=TIMELINE_DESCRIPTION)
