"""How many customers a list holds (`totalCount`) without counting a million rows each time.

An empty filter, or one folder, tag or worker, or any statuses or kinds (a customer has one
of each, so their counts add up), is answered from the counters the triggers of migration
0007 keep exact in the transaction of every write: one statement summing a few rows. The
caller decides whether the principal sees the whole tenant (only then do the tenant's
counters apply). Anything else is counted, but only up to `cap` + 1 matching rows: past the
cap the answer is the cap, flagged as a lower bound, rather than a scan of seconds."""

from collections.abc import Sequence
from dataclasses import dataclass, fields

from sqlalchemy import Select, func, select

from core.models import CustomerCount as K


@dataclass(frozen=True)
class Count:
    value: int
    exact: bool = True


@dataclass(frozen=True)
class Key:
    """Counter rows to add up: every dimension with every ref."""

    dimensions: tuple[str, ...]
    refs: tuple[int, ...]


# Filters whose single id is one counter (several ids may overlap: a customer in two folders).
ONE_OF = {
    "folder_ids": "folder",
    "tag_ids_any": "tag",
    "tag_ids_all": "tag",
    "worker_ids": "worker",
}


def _given(name: str, value) -> bool:
    """Whether the list applies this filter field (as `customer_queries._filter_conditions`
    does: a blank search and an empty list filter nothing)."""
    if value is None:
        return False
    if name == "search":
        return bool(value.strip())
    if isinstance(value, list):
        return bool(value)  # an empty list filters nothing
    return True


def counter_key(f) -> Key | None:
    """The counters whose sum is the number of customers matching `f`; None when no counter
    answers it (a field unknown here counts as one that needs counting)."""
    given = {} if f is None else {x.name: getattr(f, x.name) for x in fields(f)}
    if given.pop("archived", None) not in (None, "EXCLUDE"):
        return None  # the counters hold the live customers only
    given = {name: value for name, value in given.items() if _given(name, value)}
    if not given:
        return Key(("all",), (0,))
    if len(given) > 1:
        return None
    ((name, values),) = given.items()
    if name not in ("status_ids", "kinds", *ONE_OF):
        return None
    distinct = tuple(sorted(set(values)))
    if name == "status_ids":
        return Key(("status",), distinct)
    if name == "kinds":
        return Key(tuple(f"kind:{kind}" for kind in distinct), (0,))
    return Key((ONE_OF[name],), distinct) if len(distinct) <= 1 else None


async def counted(conn, tenant_id: int, key: Key, with_sub_customers: bool) -> int:
    if not key.dimensions or not key.refs:
        return 0
    query = select(func.coalesce(func.sum(K.n), 0)).where(
        K.tenant_id == tenant_id, K.dimension.in_(key.dimensions), K.ref.in_(key.refs)
    )
    if not with_sub_customers:
        query = query.where(K.sub.is_(False))
    return int((await conn.execute(query)).scalar_one())


async def counted_by_ref(conn, tenant_id: int, dimension: str, refs: Sequence[int]) -> dict:
    """Customers (sub-customers too) per folder, tag or worker id."""
    rows = await conn.execute(
        select(K.ref, func.sum(K.n))
        .where(K.tenant_id == tenant_id, K.dimension == dimension, K.ref.in_(refs))
        .group_by(K.ref)
    )
    return {ref: int(total) for ref, total in rows}


async def capped(conn, matching: Select, cap: int) -> Count:
    """Stops after `cap` + 1 rows of `matching` (one column), so a filter that matches most
    of a million customers costs what `cap` rows cost."""
    limited = matching.limit(cap + 1).subquery()
    found = (await conn.execute(select(func.count()).select_from(limited))).scalar_one()
    return Count(cap, exact=False) if found > cap else Count(found)
