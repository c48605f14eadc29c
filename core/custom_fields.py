"""Custom fields: typed values checked against their definition on every write, shown only
in the definition's folders and only while its condition holds (dependent fields).

Values live in `customers.custom_fields` as JSON keyed by the definition's immutable key,
in a canonical form that sorts as text (dates `YYYY-MM-DD`, date-times UTC `…Z`), so one
filter works on SQLite and PostgreSQL."""

import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal_column, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.types import String

from core.errors import InvalidInput, Problem
from core.models import Customer

TYPES = (
    "TEXT",
    "LONG_TEXT",
    "NUMBER",
    "DATE",
    "DATE_TIME",
    "BOOLEAN",
    "SINGLE_SELECT",
    "MULTI_SELECT",
)
SELECT_TYPES = ("SINGLE_SELECT", "MULTI_SELECT")
MAX_TEXT = {"TEXT": 500, "LONG_TEXT": 20_000}
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class ValueError_(Exception):
    """A value that does not fit its definition; the message is shown to the user."""


def canonical(defn: Mapping, value: Any) -> Any:
    """The stored form of `value` for this definition; None clears the field."""
    kind = defn["type"]
    if value is None or value == "" or value == []:
        return None
    if kind in MAX_TEXT:
        if not isinstance(value, str):
            raise ValueError_("expects text")
        value = value.strip()
        if len(value) > MAX_TEXT[kind]:
            raise ValueError_(f"is longer than {MAX_TEXT[kind]} characters")
        return value or None
    if kind == "NUMBER":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError_("expects a number")
        if not math.isfinite(value):
            raise ValueError_("expects a finite number")
        return value
    if kind == "DATE":
        if isinstance(value, datetime) or not isinstance(value, date):
            raise ValueError_("expects a date")
        return value.isoformat()
    if kind == "DATE_TIME":
        if not isinstance(value, datetime):
            raise ValueError_("expects a date-time")
        if value.tzinfo is None:
            raise ValueError_("expects a date-time with a time zone")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "BOOLEAN":
        if not isinstance(value, bool):
            raise ValueError_("expects yes or no")
        return value
    options = defn["options"] or []
    if kind == "SINGLE_SELECT":
        if not isinstance(value, str):
            raise ValueError_("expects one option")
        if value not in options:
            raise ValueError_(f"has no option '{value}' (options: {', '.join(options)})")
        return value
    if kind == "MULTI_SELECT":
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ValueError_("expects a list of options")
        unknown = [v for v in value if v not in options]
        if unknown:
            raise ValueError_(f"has no option '{unknown[0]}' (options: {', '.join(options)})")
        return [o for o in options if o in value]
    raise ValueError_(f"has an unknown type {kind}")


def typed(defn: Mapping, stored: Any) -> Any:
    """The stored JSON value as a Python value of the definition's type."""
    if stored is None:
        return None
    kind = defn["type"]
    if kind == "DATE":
        return date.fromisoformat(stored)
    if kind == "DATE_TIME":
        return datetime.fromisoformat(stored.replace("Z", "+00:00"))
    return stored


def _value_matches(defn: Mapping, source: Mapping, values: Mapping) -> bool:
    current = values.get(source["key"])
    wanted = set(defn["condition_values"] or [])
    chosen = set(current) if isinstance(current, list) else {_as_option(current)}
    return bool(wanted & chosen)


def _as_option(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _in_folders(defn: Mapping, folder_ids: Iterable[int]) -> bool:
    allowed = defn["folder_ids"] or []
    return not allowed or bool(set(allowed) & set(folder_ids))


def visible(
    definitions: list[Mapping], folder_ids: Iterable[int], values: Mapping
) -> list[Mapping]:
    """Definitions shown for a customer in these folders with these values, in order: a
    field shows in its folders, and a dependent one only while its source shows too and
    holds one of the wanted values."""
    folder_ids = set(folder_ids)
    by_id = {d["id"]: d for d in definitions}
    decided: dict[int, bool] = {}

    def shown(defn: Mapping, seen: tuple[int, ...] = ()) -> bool:
        if defn["id"] in decided:
            return decided[defn["id"]]
        result = _in_folders(defn, folder_ids)
        source_id = defn["condition_field_id"]
        if result and source_id is not None:
            source = by_id.get(source_id)
            result = (
                source is not None
                and source_id not in seen
                and shown(source, (*seen, defn["id"]))
                and _value_matches(defn, source, values)
            )
        decided[defn["id"]] = result
        return result

    return sorted((d for d in definitions if shown(d)), key=lambda d: (d["position"], d["id"]))


def apply_changes(
    definitions: list[Mapping],
    current: Mapping,
    changes: list[tuple[str, Any]],
    folder_ids: Iterable[int],
    check_all_required: bool,
    field: str = "customFields",
) -> dict:
    """New stored values after `changes` ((key, value) pairs), or `InvalidInput` naming each
    bad entry. Required fields are checked for every shown field on create and for the
    touched ones on update (an old customer stays editable after a field becomes required)."""
    by_key = {d["key"]: d for d in definitions}
    values = dict(current)
    problems: list[Problem] = []
    touched = set()
    for index, (key, raw) in enumerate(changes):
        path = ("input", field, str(index))
        defn = by_key.get(key)
        if defn is None:
            problems.append(Problem(path, f"There is no custom field '{key}'.", "NOT_FOUND"))
            continue
        try:
            value = canonical(defn, raw)
        except ValueError_ as exc:
            problems.append(Problem(path, f"{defn['label']} {exc}.", "INVALID"))
            continue
        touched.add(key)
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    shown = {d["key"] for d in visible(definitions, folder_ids, values)}
    for index, (key, _raw) in enumerate(changes):
        if key in touched and key not in shown and key in values:
            label = by_key[key]["label"]
            problems.append(
                Problem(
                    ("input", field, str(index)),
                    f"{label} is not shown for this customer (its folder or condition).",
                    "FIELD_HIDDEN",
                )
            )
    for defn in definitions:
        key = defn["key"]
        needed = check_all_required or key in touched
        if needed and defn["required"] and key in shown and key not in values:
            problems.append(Problem(("input", field), f"{defn['label']} is required.", "REQUIRED"))
    if problems:
        raise InvalidInput(problems)
    return values


def validate_definition(values: Mapping, others: list[Mapping]) -> list[Problem]:
    problems = []
    key = values.get("key")
    if key is not None and not KEY_RE.match(key):
        problems.append(
            Problem(("input", "key"), "Use a-z, 0-9 and _, starting with a letter.", "INVALID")
        )
    if key is not None and any(o["key"] == key for o in others):
        problems.append(Problem(("input", "key"), f"The key '{key}' is taken.", "TAKEN"))
    kind = values.get("type")
    if kind is not None and kind not in TYPES:
        problems.append(Problem(("input", "type"), f"Unknown type {kind}.", "INVALID"))
    options = values.get("options") or []
    if kind in SELECT_TYPES and not options:
        problems.append(
            Problem(("input", "options"), "A select field needs at least one option.", "REQUIRED")
        )
    if len(set(options)) != len(options) or any(not o.strip() for o in options):
        problems.append(
            Problem(("input", "options"), "Options must be distinct and not blank.", "INVALID")
        )
    return problems


def parse_filter_value(defn: Mapping, text: str) -> Any:
    """A filter operand given as text, in the stored (comparable) form."""
    kind = defn["type"]
    try:
        if kind == "NUMBER":
            return float(text)
        if kind == "BOOLEAN":
            if text.lower() not in ("true", "false"):
                raise ValueError(text)
            return text.lower() == "true"
        if kind == "DATE":
            return date.fromisoformat(text).isoformat()
        if kind == "DATE_TIME":
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return canonical(defn, parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    except (ValueError, ValueError_) as exc:
        raise ValueError_(f"cannot compare {kind.lower()} with '{text}'") from exc
    return text


def predicate(
    dialect: str, defn: Mapping, equals=None, one_of=None, minimum=None, maximum=None
) -> ColumnElement[bool]:
    """SQL condition on `customers` for one custom field predicate (operands as text)."""
    key, kind = defn["key"], defn["type"]
    conditions = []
    if kind == "MULTI_SELECT":
        wanted = ([equals] if equals is not None else []) + list(one_of or [])
        if wanted:
            conditions.append(_multi_contains_any(dialect, key, wanted))
        if minimum is not None or maximum is not None:
            raise ValueError_("cannot be compared by range")
        return and_(*conditions)
    element = Customer.custom_fields[key]
    if kind == "NUMBER":
        column = element.as_float()
    elif kind == "BOOLEAN":
        column = element.as_boolean()
    else:
        column = element.as_string()
    if equals is not None:
        conditions.append(column == parse_filter_value(defn, equals))
    if one_of:
        conditions.append(column.in_([parse_filter_value(defn, v) for v in one_of]))
    if minimum is not None:
        conditions.append(column >= parse_filter_value(defn, minimum))
    if maximum is not None:
        conditions.append(column <= parse_filter_value(defn, maximum))
    return and_(*conditions)


def _multi_contains_any(dialect: str, key: str, wanted: list[str]) -> ColumnElement[bool]:
    if dialect == "postgresql":
        column = type_coerce(Customer.custom_fields, JSONB)[key]
        return column.has_any(type_coerce(wanted, ARRAY(String)))
    each = func.json_each(Customer.custom_fields, f"$.{key}").table_valued("value")
    return exists(select(literal_column("1")).select_from(each).where(each.c.value.in_(wanted)))
