"""What a timeline entry says, as a sentence: pure functions of (event name, data, the actor's
name), so the sentence can be worked out when the event is written and stored on its row
(`events.summary`, `events.summary_rest`), where SQL can read it (the compiled timeline,
`schema/compiled/timeline.py`) as well as the resolver (`schema/timeline.py`).

Core events read from a small table below. Module events are never looked up in the
modules (core does not import them): their sentence comes from the event name
(`ticket.opened` → "Ticket opened") and the data fields whose meaning is plain in any
module (`number`, `amount` + `currency`, `from` / `to`).

Only core events name the worker who did it, and every such sentence is "<actor's name>
<rest>": so a row keeps the sentence without a worker (`summary`) and the rest
(`summary_rest`, null for module events), and the reader puts the worker's current name in
front (`render`). A worker renamed since shows under the new name; a removed one (or an
empty name) gives the sentence without a worker, as before."""

import re
from typing import Any

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
    "segment.members_added": ("{actor} added the customer to a segment", "Added to a segment"),
    "segment.members_removed": (
        "{actor} took the customer out of a segment",
        "Taken out of a segment",
    ),
    "customer.archived": ("{actor} archived the customer", "Customer archived"),
    "customer.restored": ("{actor} restored the customer", "Customer restored"),
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


# A stand-in worker name: only its truthiness and its place matter to the functions above.
_ACTOR = "\x00"


def summarize(action: str, data: Any) -> tuple[str, str | None]:
    """(the sentence without a worker, what follows the worker's name when there is one, or
    None when the event's sentence never names one)."""
    plain = summary(action, data)
    if action not in CORE_SUMMARIES:
        return plain, None
    named = core_summary(action, data, _ACTOR)
    if not named.startswith(_ACTOR + " ") or _ACTOR in named[2:]:
        raise AssertionError(f"{action}: a sentence with a worker must begin with the name")
    return plain, named[2:]


def render(plain: str, rest: str | None, actor: str | None) -> str:
    """The sentence of a stored row, with the worker's current name when there is one."""
    return f"{actor} {rest}" if actor and rest is not None else plain


BATCH = 5000


def backfill(bind, batch: int = BATCH) -> int:
    """Fill the summaries of the event rows that lack them, `batch` rows at a time by id (a
    synchronous connection: migration 0019, or `run_sync`). Returns the rows filled."""
    from sqlalchemy import JSON, Integer, String, Text, bindparam, column, select, table

    events = table(
        "events",
        column("id", Integer),
        column("action", String),
        column("data", JSON),
        column("summary", Text),
        column("summary_rest", Text),
    )
    update = (
        events.update()
        .where(events.c.id == bindparam("pk"))
        .values(summary=bindparam("plain"), summary_rest=bindparam("rest"))
    )
    after, done = 0, 0
    while True:
        rows = bind.execute(
            select(events.c.id, events.c.action, events.c.data)
            .where(events.c.id > after, events.c.summary.is_(None))
            .order_by(events.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return done
        values = []
        for pk, action, data in rows:
            plain, rest = summarize(action, data if isinstance(data, dict) else {})
            values.append({"pk": pk, "plain": plain, "rest": rest})
        bind.execute(update, values)
        after, done = rows[-1][0], done + len(rows)
