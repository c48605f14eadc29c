"""The `segment` field of the filter language (`core/filters.py`): a customer is "in" a
static segment when `segment_members` holds it (one `EXISTS` probe on
`(tenant_id, customer_id, segment_id)`), and in a dynamic one when it matches the segment's
saved filter, compiled inline with the same registry, so a dynamic segment costs what its
filter costs and nothing is materialised.

A dynamic filter may name other segments: at most `MAX_DEPTH` inlined levels and
`MAX_INLINED` inlined conditions in all; a segment reached again while it is being inlined
is SEGMENT_CYCLE, one level too many SEGMENT_TOO_DEEP. An unknown segment id is NOT_FOUND:
never an empty list. The language module hands its own functions in (`parse`, `compile`):
it imports this one, not the other way round."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, or_, select

from core.errors import InvalidInput, Problem
from core.models import Customer as C
from core.segment_models import DYNAMIC, Segment, SegmentMember

MAX_DEPTH = 3
MAX_INLINED = 200
FIELD = "segment"


@dataclass(frozen=True)
class Saved:
    """A segment as the compiler needs it; `tree` is the parsed filter of a dynamic one,
    `error` why its stored filter no longer parses."""

    id: int
    name: str
    kind: str
    tree: Any = None
    error: InvalidInput | None = None


def saved_path(name: str) -> tuple[str, ...]:
    """Where a problem of a saved filter points: the segment (by name), then the tree."""
    return ("segment", name, "where")


def of_row(row, parse: Callable) -> Saved:
    if row["kind"] != DYNAMIC:
        return Saved(row["id"], row["name"], row["kind"])
    try:
        return Saved(row["id"], row["name"], DYNAMIC, parse(row["filter"], saved_path(row["name"])))
    except InvalidInput as exc:
        return Saved(row["id"], row["name"], DYNAMIC, error=exc)


def named_ids(trees: Iterable, leaves: Callable, decode_id: Callable) -> set[int]:
    """The segment ids the trees' `segment` leaves name (undecodable ones are refused when
    compiled)."""
    found = set()
    for tree in trees:
        for leaf in leaves(tree):
            if leaf.field != FIELD:
                continue
            for value in [leaf.value] if leaf.values is None else leaf.values:
                pk = decode_id("Segment", value)
                if pk is not None:
                    found.add(pk)
    return found


async def closure(
    conn,
    tenant_id: int,
    trees: list,
    decode_id: Callable,
    parse: Callable,
    leaves: Callable,
    known: dict[int, Saved] | None = None,
) -> dict[int, Saved]:
    """The tenant's segments the trees name, and those their filters name, `MAX_DEPTH`
    levels down: one statement per level that names a segment not yet read."""
    found = dict(known or {})
    wanted = named_ids(trees, leaves, decode_id)
    for _ in range(MAX_DEPTH + 1):
        wanted -= set(found)
        if not wanted:
            break
        rows = await conn.execute(
            select(Segment.id, Segment.name, Segment.kind, Segment.filter).where(
                Segment.tenant_id == tenant_id, Segment.id.in_(sorted(wanted))
            )
        )
        loaded = [of_row(row, parse) for row in rows.mappings()]
        found.update({s.id: s for s in loaded})
        wanted = named_ids((s.tree for s in loaded if s.tree is not None), leaves, decode_id)
    return found


def condition(reg, principal, leaf, ids: tuple, negated: bool, compile_tree: Callable):
    """In any of `ids` (or, negated, in none of them)."""
    statics, dynamics = [], []
    for index, pk in enumerate(ids):
        saved = reg.segments.get(pk)
        if saved is None:
            path = (*leaf.path, "value") if leaf.values is None else (*leaf.path, "values")
            path = path if leaf.values is None else (*path, str(index))
            raise InvalidInput([Problem(path, "There is no such segment.", "NOT_FOUND")])
        (dynamics if saved.kind == DYNAMIC else statics).append(saved)
    parts = []
    if statics:
        keys = sorted({s.id for s in statics})
        probe = (
            exists()
            .where(
                SegmentMember.tenant_id == principal.tenant_id,
                SegmentMember.customer_id == C.id,
                SegmentMember.segment_id.in_(keys)
                if len(keys) > 1
                else SegmentMember.segment_id == keys[0],
            )
            .correlate(C)
        )
        parts.append(~probe if negated else probe)
    for saved in dynamics:
        parts.append(inline(reg, principal, saved, negated, compile_tree, leaf.path))
    if len(parts) == 1:
        return parts[0]
    return and_(*parts) if negated else or_(*parts)


def inline(reg, principal, saved: Saved, negated: bool, compile_tree: Callable, at):
    if saved.id in reg.inlining:
        raise InvalidInput(
            [Problem(at, f"Segment '{saved.name}' refers to itself.", "SEGMENT_CYCLE")]
        )
    if len(reg.inlining) >= MAX_DEPTH:
        raise InvalidInput(
            [
                Problem(
                    at,
                    f"Segments nest at most {MAX_DEPTH} levels deep ('{saved.name}').",
                    "SEGMENT_TOO_DEEP",
                )
            ]
        )
    if saved.error is not None:
        raise saved.error
    reg.inlined += sum(1 for _ in _leaves(saved.tree))
    if reg.inlined > MAX_INLINED:
        raise InvalidInput(
            [
                Problem(
                    at,
                    f"Segments inline at most {MAX_INLINED} conditions in all.",
                    "FILTER_TOO_LARGE",
                )
            ]
        )
    reg.inlining.append(saved.id)
    try:
        return compile_tree(reg, principal, saved.tree, negated)
    finally:
        reg.inlining.pop()


def _leaves(tree):
    children = getattr(tree, "children", None)
    if children is None:
        yield tree
        return
    for child in children:
        yield from _leaves(child)
