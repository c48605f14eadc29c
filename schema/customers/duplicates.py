"""Duplicates on the API: the candidates a customer write returns, and `possibleDuplicates`."""

import base64
import json
from enum import Enum

import strawberry

from core import duplicates
from core.errors import InvalidInput, Problem
from schema.context import Info
from schema.customers.types import Customer
from schema.payloads import as_row

MAX_GROUPS = 100


@strawberry.enum(description="What two customer records share.")
class DuplicateReason(Enum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    NAME_CITY = "NAME_CITY"


@strawberry.type(description="A customer that looks like the one just written.")
class DuplicateCandidate:
    customer: Customer
    reasons: list[DuplicateReason]
    matched_values: list[str] = strawberry.field(
        description="The shared values as compared: emails lower-cased, phones as their last "
        "9 digits, name and city as `sorted name words|city words`."
    )


def candidates_of(found: list[duplicates.Candidate]) -> list[DuplicateCandidate]:
    return [
        DuplicateCandidate(
            customer=Customer.from_row(as_row(c.customer)),
            reasons=[DuplicateReason(r) for r in c.reasons],
            matched_values=c.values,
        )
        for c in found
    ]


@strawberry.type(description="Visible customers sharing one email, phone or name and city.")
class DuplicateGroup:
    reason: DuplicateReason
    value: str
    customers: list[Customer]
    cursor: str


@strawberry.type(description="A page of duplicate groups, ordered by reason and value.")
class DuplicateGroupPage:
    groups: list[DuplicateGroup]
    has_next_page: bool
    end_cursor: str | None


def _cursor(kind: str, value: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(["dup", kind, value]).encode()).decode()


def _after(cursor: str | None) -> tuple[str, str] | None:
    if cursor is None:
        return None
    try:
        tag, kind, value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if tag == "dup" and isinstance(kind, str) and isinstance(value, str):
            return kind, value
    except (ValueError, TypeError):
        pass
    raise InvalidInput([Problem(("after",), "Not a cursor of this list.", "INVALID_CURSOR")])


@strawberry.type
class DuplicateQueries:
    @strawberry.field(
        description="Groups of two or more customers you can see that share an email, a "
        "phone or a name and city: the list to clean up (merge) from. At most 100 a page "
        "(default 20)."
    )
    async def possible_duplicates(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> DuplicateGroupPage:
        first = 20 if first is None else first
        if not 0 < first <= MAX_GROUPS:
            raise InvalidInput([Problem(("first",), f"Between 1 and {MAX_GROUPS}.", "INVALID")])
        ctx = info.context
        async with ctx.read() as conn:
            groups, more = await duplicates.possible_duplicates(
                conn, ctx.principal, first, _after(after)
            )
        page = [
            DuplicateGroup(
                reason=DuplicateReason(g.kind),
                value=g.value,
                customers=[Customer.from_row(row) for row in g.customers],
                cursor=_cursor(g.kind, g.value),
            )
            for g in groups
        ]
        return DuplicateGroupPage(
            groups=page, has_next_page=more, end_cursor=page[-1].cursor if page else None
        )
