"""Profile tabs: the core Profile tab and each module's, with badge counts computed for a
whole page of customers at once."""

from dataclasses import dataclass

import strawberry
from sqlalchemy import Select

from core import access, multiread


@dataclass(frozen=True)
class TabSpec:
    key: str
    title: str
    icon: str
    position: int = 100
    permission: str | None = None


@strawberry.type(description="A tab of the customer profile this worker may open.")
class ProfileTab:
    key: str = strawberry.field(description="Stable: `profile`, or the module's name.")
    title: str
    icon: str = strawberry.field(description="Icon key for the front end's icon set.")
    badge_count: int = strawberry.field(
        description="What needs attention on the tab (unpaid invoices, open tickets…); 0: none."
    )


def shown_tabs(registry, principal, memberships: list[dict]) -> list[TabSpec]:
    """The tabs this worker may open for a customer in these folder memberships: the enabled
    modules' tabs they hold the permission for, less those a folder hides."""
    hidden = {key for row in memberships for key in row["hidden_tabs"] or []}
    return [
        t
        for t in registry.tabs(principal.modules)
        if t.key not in hidden and (t.permission is None or access.can(principal, t.permission))
    ]


def badge_queries(plugins, principal, customer_ids) -> dict[str, Select]:
    """The enabled modules' badge counts as selects of (customer id, count), not run."""
    queries: dict[str, Select] = {}
    if plugins is None:
        return queries
    caller = plugins.caller("hub_badge_count_queries", principal.modules)
    for result in caller(principal=principal, customer_ids=customer_ids):
        queries.update(result or {})
    return queries


def add_badge_rows(counts: dict, tabs, parts: list[list[dict]]) -> None:
    """`counts[customer id][tab] = n` from what `multiread` gave for `badge_queries`."""
    for tab, rows in zip(tabs, parts, strict=True):
        for row in rows:
            customer_id, count = row.values()
            if customer_id in counts:
                counts[customer_id][tab] = count


async def badge_counts(plugins, conn, principal, customer_ids: list[int]) -> dict:
    """`{customer id: {tab key: count}}` for all of `customer_ids`: the modules' queries in
    one statement, then the modules that still count by themselves."""
    counts: dict[int, dict[str, int]] = {i: {} for i in customer_ids}
    if plugins is None:
        return counts
    queries = badge_queries(plugins, principal, list(customer_ids))
    if queries:
        add_badge_rows(counts, queries, await multiread.read(conn, list(queries.values())))
    await python_badge_counts(plugins, conn, principal, counts)
    return counts


async def python_badge_counts(plugins, conn, principal, counts: dict) -> None:
    """Into `counts`, what the modules that count by themselves (`hub_badge_counts`) give."""
    if plugins is None or not counts:
        return
    results = await plugins.call(
        "hub_badge_counts",
        principal.modules,
        conn=conn,
        principal=principal,
        customer_ids=list(counts),
    )
    for result in results:
        for tab, by_customer in (result or {}).items():
            for customer_id, count in by_customer.items():
                if customer_id in counts:
                    counts[customer_id][tab] = count


def tabs_with_counts(tabs: list[TabSpec], counts: dict[str, int]) -> list[ProfileTab]:
    return [
        ProfileTab(key=t.key, title=t.title, icon=t.icon, badge_count=counts.get(t.key, 0))
        for t in tabs
    ]
