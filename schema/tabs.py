"""Profile tabs: the core Profile tab and each module's, with badge counts computed for a
whole page of customers at once."""

from dataclasses import dataclass

import strawberry


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
