"""Profile tabs: the core Profile tab and each module's, with badge counts computed for a
whole page of customers at once."""

from dataclasses import dataclass

import strawberry

from core import access


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


async def badge_counts(plugins, conn, principal, customer_ids: list[int]) -> dict:
    """`{customer id: {tab key: count}}` for all of `customer_ids`, one hook call."""
    counts: dict[int, dict[str, int]] = {i: {} for i in customer_ids}
    if plugins is None:
        return counts
    results = await plugins.call(
        "hub_badge_counts",
        principal.modules,
        conn=conn,
        principal=principal,
        customer_ids=list(customer_ids),
    )
    for result in results:
        for tab, by_customer in (result or {}).items():
            for customer_id, count in by_customer.items():
                if customer_id in counts:
                    counts[customer_id][tab] = count
    return counts


def tabs_with_counts(tabs: list[TabSpec], counts: dict[str, int]) -> list[ProfileTab]:
    return [
        ProfileTab(key=t.key, title=t.title, icon=t.icon, badge_count=counts.get(t.key, 0))
        for t in tabs
    ]
