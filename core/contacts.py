"""Phones and emails: lists with a label and exactly one primary each, plus the
lower-cased text that search reads."""

import re
from collections.abc import Iterable

from core.errors import InvalidInput, Problem

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[\d\s().\-/]{3,40}$")
PHONE_CHARS_RE = re.compile(r"^[\d\s().+\-/]+$")
MAX_ITEMS = 20
MAX_EMAIL = 320
MAX_LABEL = 50


def normalize_contacts(kind: str, items: Iterable[dict], field: str) -> list[dict]:
    """Validated list of {label, value, primary}; the first one is primary if none is."""
    result, problems = [], []
    items = list(items)
    if len(items) > MAX_ITEMS:
        raise InvalidInput.one(("input", field), f"At most {MAX_ITEMS} entries.", "TOO_MANY")
    for index, item in enumerate(items):
        value = (item.get("value") or "").strip()
        label = (item.get("label") or "").strip() or None
        path = ("input", field, str(index), "value")
        if label and len(label) > MAX_LABEL:
            problems.append(
                Problem(
                    ("input", field, str(index), "label"),
                    f"At most {MAX_LABEL} characters.",
                    "TOO_LONG",
                )
            )
        if kind == "email" and len(value) > MAX_EMAIL:
            problems.append(Problem(path, f"At most {MAX_EMAIL} characters.", "TOO_LONG"))
        elif kind == "email":
            value = value.lower()
            if not EMAIL_RE.match(value):
                problems.append(Problem(path, f"'{value}' is not an email address.", "INVALID"))
        elif not PHONE_RE.match(value) or len(digits(value)) < 3:
            problems.append(Problem(path, f"'{value}' is not a phone number.", "INVALID"))
        result.append({"label": label, "value": value, "primary": bool(item.get("primary"))})
    primaries = sum(1 for item in result if item["primary"])
    if primaries > 1:
        problems.append(
            Problem(("input", field), f"Only one {kind} can be primary.", "MULTIPLE_PRIMARY")
        )
    if problems:
        raise InvalidInput(problems)
    if result and not primaries:
        result[0]["primary"] = True
    return result


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def search_text(
    name: str,
    company: str | None,
    emails: list[dict],
    phones: list[dict],
    contact_text: str | None = None,
) -> str:
    """`contact_text`: the contact people's part (`people_text`), kept on the customer."""
    parts = [name, company or ""]
    parts += [e["value"] for e in emails]
    for phone in phones:
        parts += [phone["value"], digits(phone["value"])]
    parts.append(contact_text or "")
    return " ".join(p for p in parts if p).lower()


def people_text(people: Iterable[dict]) -> str:
    """The contact people's names, emails and phones (as typed and digits only), lower-cased:
    a search for any of them finds their customer."""
    parts = []
    for person in people:
        parts += [person.get("name") or "", person.get("email") or ""]
        if phone := person.get("phone"):
            parts += [phone, digits(phone)]
    return " ".join(p for p in parts if p).lower()


def search_term(text: str) -> str:
    """What to look for in `search_text`: a phone-looking term is matched by its digits."""
    term = text.strip().lower()
    if PHONE_CHARS_RE.match(term) and len(digits(term)) >= 3:
        return digits(term)
    return term
