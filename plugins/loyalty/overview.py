"""The look-ahead read of `Customer.loyalty` (`schema/overview.py`): what its selection will
load (the account, the tiers, the first page of entries with its count, their workers and
rewards) in one statement for every customer of the page asking alike, primed into the
loaders the sub-fields read from. What the plan does not foresee (a cursor) loads by
itself."""

from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import select

from core import keyset, multiread
from plugins.loyalty import queries as q
from plugins.loyalty.ledger import E
from schema import kit, overview

ACCOUNT = frozenset({"balance", "lifetimePoints", "tier", "nextTier"})
TIERS = frozenset({"tier", "nextTier"})


@dataclass(frozen=True)
class Plan:
    account: bool = False
    tiers: bool = False
    entries: bool = False  # the first page of entries, of `first` (None: the default size)
    first: int | None = None
    count: bool = False
    actors: bool = False
    rewards: bool = False


def make(fields) -> Plan | None:
    names = {f.name for f in fields}
    entries = count = actors = rewards = False
    first = None
    for field in fields:
        if field.name == "entries" and (page := overview.first_page(field)) is not None:
            entries, first = True, page.first
            count = overview.selects(field, "totalCount")
            actors = overview.selects(field, "actor")
            rewards = overview.selects(field, "reward")
    plan = Plan(bool(names & ACCOUNT), bool(names & TIERS), entries, first, count, actors, rewards)
    return None if plan == Plan() else plan


async def read(conn, ctx, customer_ids: list[int], plan: Plan) -> None:
    tenant_id = ctx.principal.tenant_id
    parts = {}
    if plan.account:
        parts["account"] = q.accounts_query(tenant_id, customer_ids)
    if plan.tiers:
        parts["tiers"] = q.tiers_query(tenant_id)
    if plan.entries:
        shim = SimpleNamespace(context=ctx)  # the kit's loaders need only the context
        pages, counts, page = kit.list_loaders(
            shim, "loyalty.entries", E, q.NEWEST, plan.first, None
        )
        conditions = [E.c.tenant_id == tenant_id]
        parts["page"] = keyset.grouped_pages_query(
            E, "customer_id", customer_ids, conditions, q.NEWEST, page
        )
        if plan.count:
            parts["count"] = keyset.counts_query(E, "customer_id", tenant_id, customer_ids)
        mine = (E.c.tenant_id == tenant_id, E.c.customer_id.in_(customer_ids))
        if plan.actors:
            actors = select(E.c.actor_id).where(*mine)
            parts["workers"] = overview.workers_among(tenant_id, actors)
        if plan.rewards:
            used = select(E.c.reward_id).where(*mine)
            parts["rewards"] = q.rewards_query(ctx.principal, None).where(q.R.c.id.in_(used))
    found = dict(zip(parts, await multiread.read(conn, list(parts.values())), strict=True))
    loaders = ctx.loaders
    if plan.account:
        accounts = {r["customer_id"]: r for r in found["account"]}
        for customer_id in customer_ids:
            row = accounts.get(customer_id, {"balance": 0, "lifetime_points": 0})
            loaders.custom("loyalty.accounts", q.accounts).prime(
                customer_id,
                {"balance": row["balance"], "lifetime_points": row["lifetime_points"]},
            )
    if plan.tiers:
        loaders.custom("loyalty.tiers", q.tiers).prime(tenant_id, found["tiers"])
    if plan.entries:
        made = keyset.pages_of(found["page"], "customer_id", customer_ids, q.NEWEST, page)
        for customer_id, made_page in zip(customer_ids, made, strict=True):
            pages.prime(customer_id, made_page)
        if plan.count:
            numbers = overview.by_customer(found["count"])
            for customer_id in customer_ids:
                counts.prime(customer_id, numbers.get(customer_id, 0))
        overview.prime_workers(ctx, found.get("workers", []))
        for row in found.get("rewards", []):
            loaders.custom("loyalty.rewards.by_id", q.rewards_by_ids).prime(row["id"], row)
