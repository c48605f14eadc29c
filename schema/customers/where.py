"""The customer filter language's GraphQL face: the recursive `CustomerWhere` input, the
operators, and `customerFilterFields` (what a filter builder may offer this tenant). The
language itself lives in `core/filters.py`."""

from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from core import filter_fields as ff
from core import filters
from core.access import can
from schema.context import Info
from schema.ids import MISSING, from_global_id

FilterOp = strawberry.enum(
    Enum("FilterOp", {op: op for op in filters.OPERATORS}),
    name="FilterOp",
    description="How a condition compares its field. Text: case-insensitive `EQ`, `NEQ`, "
    "`IN`, `NOT_IN` (`values`), `CONTAINS`, `NOT_CONTAINS`, `STARTS_WITH`. Numbers: `GT`, "
    "`GTE`, `LT`, `LTE`, `BETWEEN` (two `values`, inclusive). Dates: `BEFORE`, `AFTER`, "
    "`BETWEEN`, `WITHIN_LAST_DAYS` / `WITHIN_NEXT_DAYS` (`value`: a number of days). Links "
    "and multi-selects: `EQ` (has it), `IN` (has any), `ALL` (has all), `NOT_IN` (has none). "
    "Every type: `IS_EMPTY`, `IS_NOT_EMPTY` (no `value`). `NEQ`, `NOT_IN`, `NOT_CONTAINS` "
    "and `not` keep customers without a value; any other condition on an empty value is "
    "false. `customerFilterFields` says which operators each field takes.",
)


@strawberry.input(
    description="A condition tree over customers. Every member given must hold: `and` (all "
    "of these), `or` (any of these), `not` (not this), and a condition `{field, op, value "
    "| values}`; an empty `and`/`or` filters nothing. Values are JSON of the field's type: "
    "text, numbers, true/false, ISO dates (`2026-03-01`) and date-times, global IDs for "
    "links. At most 5 levels, 50 conditions and 100 values per condition; an unknown "
    "field, an operator the field does not take or a value of the wrong type is a "
    "BAD_USER_INPUT error (UNKNOWN_FIELD, INVALID_OPERATOR, INVALID_VALUE, "
    "FILTER_TOO_LARGE), never an empty list. Example: customers in Berlin without "
    'activity in 30 days: `{and: [{field: "city", op: EQ, value: "Berlin"}, {not: '
    '{field: "lastActivityAt", op: WITHIN_LAST_DAYS, value: 30}}]}`.'
)
class CustomerWhere:
    and_: list["CustomerWhere"] | None = strawberry.field(default=None, name="and")
    or_: list["CustomerWhere"] | None = strawberry.field(default=None, name="or")
    not_: "CustomerWhere | None" = strawberry.field(default=None, name="not")
    field: str | None = strawberry.field(
        default=None,
        description="`name`, `city`, `tag`, `customFields.<key>`, `tickets.open`… "
        "(see `customerFilterFields`).",
    )
    op: FilterOp | None = None
    value: JSON | None = strawberry.field(default=None, description="One operand.")
    values: list[JSON] | None = strawberry.field(
        default=None, description="Operands of `IN`, `NOT_IN`, `ALL` and `BETWEEN`."
    )

    def to_dict(self) -> dict[str, Any]:
        """The plain JSON tree core takes (and a saved filter would store)."""
        found: dict[str, Any] = {}
        if self.and_ is not None:
            found["and"] = [w.to_dict() for w in self.and_]
        if self.or_ is not None:
            found["or"] = [w.to_dict() for w in self.or_]
        if self.not_ is not None:
            found["not"] = self.not_.to_dict()
        if self.field is not None:
            found["field"] = self.field
        if self.op is not None:
            found["op"] = self.op.value
        if self.value is not None:
            found["value"] = self.value
        if self.values is not None:
            found["values"] = list(self.values)
        return found


def decode_id(type_name: str, value: Any) -> int | None:
    """A global ID of `type_name`, or None (malformed, another type): a coded error."""
    if not isinstance(value, str):
        return None
    pk = from_global_id(value, type_name)
    return None if pk == MISSING else pk


@strawberry.type(description="A field the customer filter language can compare or sort on.")
class CustomerFilterField:
    name: str = strawberry.field(description="What `CustomerWhere.field` names.")
    type: str = strawberry.field(
        description="TEXT, CHOICE, NUMBER, DATE, DATETIME, BOOLEAN, ID, LINKS, OPTIONS or "
        "SEGMENT (segment IDs)."
    )
    description: str
    operators: list[FilterOp]
    options: list[str] | None = strawberry.field(description="CHOICE and OPTIONS values.")
    id_type: str | None = strawberry.field(description="The type an ID value names.")
    sortable: bool = strawberry.field(description="Usable as `CustomerOrder.key`.")


def _describe(f: ff.Field) -> CustomerFilterField:
    return CustomerFilterField(
        name=f.name,
        type=f.type,
        description=f.description,
        operators=[FilterOp[op] for op in f.operators],
        options=list(f.options) if f.options is not None else None,
        id_type=f.id_type,
        sortable=f.sortable or f.name in filters.COLUMN_SORTS,
    )


async def customer_filter_fields(info: Info) -> list[CustomerFilterField]:
    ctx = info.context
    names = [f"{ff.CUSTOM_PREFIX}*", "module.*"]
    async with ctx.read() as conn:
        reg = await filters.registry(conn, ctx.principal, ctx.plugins, names, decode_id)
    usable = [
        f for f in reg.fields.values() if not f.permission or can(ctx.principal, f.permission)
    ]
    return [_describe(f) for f in usable]
