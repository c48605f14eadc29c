"""What a CSV column can fill, how a mapping is guessed and checked, and how one data line
becomes the `data` dict `core.customers` understands (so an import applies the rules of
createCustomer / updateCustomer, not a copy of them).

A blank cell means "not given": on create the field keeps its default, on update it keeps
its value (a CSV cannot clear a field). Statuses, tags and folders are found by name,
case-insensitively; an unknown name fails the line (NOT_FOUND): an import never creates
tags or folders, a typo would otherwise make a new one per spelling."""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select

from core.contacts import digits
from core.custom_fields import ValueError_, canonical
from core.customer_queries import field_definitions
from core.errors import InvalidInput, Problem
from core.models import Folder, Status, Tag

# GraphQL field name -> `core.customers` key
STANDARD = {
    "name": "name",
    "kind": "kind",
    "company": "company",
    "city": "city",
    "leadSource": "lead_source",
    "notes": "notes",
    "avatarUrl": "avatar_url",
    "salutation": "salutation",
    "jobTitle": "job_title",
    "industry": "industry",
    "website": "website",
    "dateOfBirth": "date_of_birth",
    "externalId": "external_id",
}
LISTS = {"email": "emails", "phone": "phones"}  # may be mapped from several columns
NAMED = ("status", "tags", "folders")
CUSTOM = "customFields."
ALIASES = {
    "name": ("fullname", "customer", "customername", "contactname", "client"),
    "email": ("emailaddress", "mail", "emails"),
    "phone": ("telephone", "mobile", "phonenumber", "tel", "cell", "phones"),
    "company": ("organisation", "organization", "business"),
    "externalId": ("id", "customerid", "reference", "ref", "externalref"),
    "tags": ("tag", "labels"),
    "folders": ("folder",),
    "leadSource": ("source",),
    "city": ("town",),
    "dateOfBirth": ("birthday", "birthdate", "dob"),
}
MATCH_KEYS = {"EXTERNAL_ID": "externalId", "EMAIL": "email", "PHONE": "phone"}
MAX_REASON = 1000


def norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def known_fields(definitions: list[dict]) -> dict[str, str]:
    """{field: label} of everything a column may be mapped to."""
    found = {name: name for name in (*STANDARD, *LISTS, *NAMED)}
    found.update({CUSTOM + d["key"]: d["label"] for d in definitions})
    return found


def guess(headers: list[str], definitions: list[dict]) -> list[dict]:
    """Each header's field by name, alias, or custom field label or key (case and
    punctuation ignored); each field once, except emails and phones."""
    names: dict[str, str] = {}
    for name in (*STANDARD, *LISTS, *NAMED):
        names.setdefault(norm(name), name)
        for alias in ALIASES.get(name, ()):
            names.setdefault(alias, name)
    for d in definitions:
        names.setdefault(norm(d["label"]), CUSTOM + d["key"])
        names.setdefault(norm(d["key"]), CUSTOM + d["key"])
    used: set[str] = set()
    mapping = []
    for header in headers:
        found = names.get(norm(header))
        if found and (found in LISTS or found not in used):
            used.add(found)
            mapping.append({"column": header, "field": found})
    return mapping


def check_mapping(columns: list[dict], headers: list[str], definitions: list[dict]) -> None:
    """InvalidInput naming each unknown column or field and each repeat."""
    fields = known_fields(definitions)
    problems, seen_columns, seen_fields = [], set(), set()
    for index, item in enumerate(columns):
        path = ("input", "columns", str(index))
        column, name = item["column"], item["field"]
        if column not in headers:
            problems.append(Problem((*path, "column"), f"No column '{column}'.", "NOT_FOUND"))
        elif column in seen_columns:
            problems.append(Problem((*path, "column"), f"'{column}' twice.", "DUPLICATE"))
        if name not in fields:
            message = f"No field '{name}' (customerImportFields lists them)."
            problems.append(Problem((*path, "field"), message, "UNKNOWN_FIELD"))
        elif name in seen_fields and name not in LISTS:
            problems.append(Problem((*path, "field"), f"'{name}' twice.", "DUPLICATE"))
        seen_columns.add(column)
        seen_fields.add(name)
    if problems:
        raise InvalidInput(problems)


@dataclass
class Catalog:
    """The tenant's names, read once per run or preview."""

    statuses: dict[str, int]
    tags: dict[str, tuple[int, str]]
    folders: dict[str, tuple[int, str]]
    folder_status: dict[int, int | None]
    definitions: list[dict]
    default_status: int | None = None


async def load_catalog(session, tenant_id: int) -> Catalog:
    statuses, folder_status, default = {}, {}, None
    rows = await session.execute(
        select(Status.id, Status.name, Status.folder_id, Status.is_default).where(
            Status.tenant_id == tenant_id
        )
    )
    for row in rows:
        if row.folder_id is None:
            statuses.setdefault(row.name.lower(), row.id)
            default = row.id if row.is_default else default
        elif row.is_default:
            folder_status[row.folder_id] = row.id
    tags = {
        r.name.lower(): (r.id, r.name)
        for r in await session.execute(select(Tag.id, Tag.name).where(Tag.tenant_id == tenant_id))
    }
    folders = {
        r.name.lower(): (r.id, r.name)
        for r in await session.execute(
            select(Folder.id, Folder.name).where(Folder.tenant_id == tenant_id)
        )
    }
    definitions = await field_definitions(await session.connection(), tenant_id)
    return Catalog(statuses, tags, folders, folder_status, definitions, default)


@dataclass
class Line:
    """One data line, parsed: `data` in core's terms, the links by id, the match key."""

    line: int
    data: dict = field(default_factory=dict)
    tag_ids: list[int] = field(default_factory=list)
    folder_ids: list[int] = field(default_factory=list)
    key: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def reason(self) -> tuple[str, str]:
        code = self.problems[0].code
        text = "; ".join(p.message for p in self.problems)
        return code, text[:MAX_REASON]


def _names(text: str) -> list[str]:
    return [n.strip() for n in re.split(r"[,;|]", text) if n.strip()]


def _cell_value(defn: dict, text: str):
    kind = defn["type"]
    if kind == "NUMBER":
        number = float(text.replace(",", ".")) if text.count(",") == 1 else float(text)
        return int(number) if number.is_integer() else number
    if kind == "BOOLEAN":
        lowered = text.lower()
        if lowered not in ("true", "false", "yes", "no", "1", "0"):
            raise ValueError(text)
        return lowered in ("true", "yes", "1")
    if kind == "DATE":
        return date.fromisoformat(text)
    if kind == "DATE_TIME":
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if kind == "MULTI_SELECT":
        return _names(text)
    return text


def parse_line(
    number: int, cells: list[str], mapping: list[tuple[int, str, str]], catalog: Catalog, match_by
) -> Line:
    """`mapping`: (cell index, column header, field). Problems name the column."""
    line = Line(number)
    data, by_key = line.data, {d["key"]: d for d in catalog.definitions}
    custom: list[tuple[str, object]] = []
    for index, column, name in mapping:
        text = cells[index].strip() if index < len(cells) else ""
        if not text:
            continue
        path = ("row", str(number), column)
        if name in STANDARD:
            key = STANDARD[name]
            if key == "date_of_birth":
                try:
                    data[key] = date.fromisoformat(text)
                except ValueError:
                    message = f"'{text}' is not a date (YYYY-MM-DD)."
                    line.problems.append(Problem(path, message, "INVALID"))
            else:
                data[key] = text.upper() if key == "kind" else text
        elif name in LISTS:
            data.setdefault(LISTS[name], []).append({"value": text})
        elif name == "status":
            found = catalog.statuses.get(text.lower())
            if found is None:
                line.problems.append(Problem(path, f"No status '{text}'.", "NOT_FOUND"))
            data["status_id"] = found
        elif name in ("tags", "folders"):
            table = catalog.tags if name == "tags" else catalog.folders
            target = line.tag_ids if name == "tags" else line.folder_ids
            for item in _names(text):
                found = table.get(item.lower())
                if found is None:
                    message = f"No {name[:-1]} '{item}'."
                    line.problems.append(Problem(path, message, "NOT_FOUND"))
                elif found[0] not in target:
                    target.append(found[0])
        else:
            defn = by_key.get(name.removeprefix(CUSTOM))
            if defn is None:
                continue
            try:
                value = _cell_value(defn, text)
                canonical(defn, value)
            except (ValueError, ValueError_) as exc:
                message = f"{defn['label']}: '{text}' does not fit ({exc})."
                line.problems.append(Problem(path, message, "INVALID"))
                continue
            custom.append((defn["key"], value))
    if custom:
        data["custom_fields"] = custom
    if "emails" in data:
        data["emails"] = data["emails"][:20]
    line.key = match_key(data, match_by)
    return line


def match_key(data: dict, match_by: str) -> str | None:
    if match_by == "EXTERNAL_ID":
        return data.get("external_id")
    if match_by == "EMAIL":
        emails = data.get("emails") or []
        return emails[0]["value"].strip().lower() if emails else None
    phones = data.get("phones") or []
    return (digits(phones[0]["value"]) or None) if phones else None
