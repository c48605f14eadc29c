"""Rows kept as JSON and back: the undo records (a merge's, a bulk action's, an import's) and
a customer's export keep dates and times as ISO text; a column's type says how to read them
back."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Table

from core.models import UTCDateTime


def plain(value: Any) -> Any:
    """A value as JSON keeps it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def typed(table: Table, row: dict) -> dict:
    """A stored row back into `table`'s column values (dates and times parsed); keys that are
    not its columns are left out."""
    result = {}
    for key, value in row.items():
        column = table.c.get(key)
        if column is None:
            continue
        if isinstance(value, str) and isinstance(column.type, UTCDateTime):
            value = datetime.fromisoformat(value)
        elif isinstance(value, str) and isinstance(column.type, Date):
            value = date.fromisoformat(value)
        result[key] = value
    return result
