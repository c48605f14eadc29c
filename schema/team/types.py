"""Workers, the tenant and `me` as GraphQL types."""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Private

from core.customers import SUB_CUSTOMER_COPYABLE
from schema.avatar_links import DESCRIPTION as AVATAR_DESCRIPTION
from schema.avatar_links import AvatarSize, avatar_url
from schema.context import Info
from schema.relay import Node


@strawberry.enum(description="What a worker may do; see `Me.permissions`.")
class WorkerRole(Enum):
    OWNER = "owner"
    ADMIN = "admin"
    MANAGER = "manager"
    AGENT = "agent"


SubCustomerCopyField = strawberry.enum(
    Enum("SubCustomerCopyField", {name.upper(): name for name in SUB_CUSTOMER_COPYABLE}),
    description="A part of the parent that a new sub-customer starts with.",
)


@strawberry.type(description="Someone of the business who signs in and works with customers.")
class Worker(Node):
    name: str
    email: str
    stored_avatar_url: Private[str | None]
    avatar_key: Private[str | None]
    role: WorkerRole
    at_work: bool = strawberry.field(description="Available now (shown as a presence dot).")
    position: int
    show_sub_customers: bool = strawberry.field(
        description="Whether sub-customers appear in this worker's customer list."
    )

    @strawberry.field(description=AVATAR_DESCRIPTION)
    def avatar_url(self, info: Info, size: AvatarSize = AvatarSize.SMALL) -> str | None:
        return avatar_url(info, self.avatar_key, self.stored_avatar_url, size)

    @classmethod
    def from_row(cls, row) -> "Worker":
        return cls(
            pk=row["id"],
            name=row["name"],
            email=row["email"],
            stored_avatar_url=row["avatar_url"],
            avatar_key=row.get("avatar_key"),
            role=WorkerRole(row["role"]),
            at_work=row["at_work"],
            position=row["position"],
            show_sub_customers=row["show_sub_customers"],
        )


@strawberry.enum(description="WARN: write and list the candidates; BLOCK: refuse the write.")
class DuplicatePolicy(Enum):
    WARN = "WARN"
    BLOCK = "BLOCK"


@strawberry.type(description="The business whose customers these are.")
class Tenant(Node):
    name: str
    time_zone: str = strawberry.field(description="IANA name for display; all times are UTC.")
    sub_customer_copy_fields: list[SubCustomerCopyField] = strawberry.field(
        description="What a new sub-customer copies from its parent."
    )
    duplicate_policy: "DuplicatePolicy" = strawberry.field(
        description="What a customer write that looks like a duplicate does: WARN lists the "
        "candidates in the payload's `duplicates`, BLOCK refuses it (`DUPLICATE`)."
    )
    created_at: datetime

    @classmethod
    def from_row(cls, row) -> "Tenant":
        return cls(
            pk=row["id"],
            name=row["name"],
            time_zone=row["time_zone"],
            sub_customer_copy_fields=[
                SubCustomerCopyField(f) for f in row["sub_customer_copy_fields"] or []
            ],
            duplicate_policy=DuplicatePolicy(row["duplicate_policy"] or "WARN"),
            created_at=row["created_at"],
        )


@strawberry.type(description="Who is signed in, for which business, and what they may do.")
class Me:
    worker: Worker
    tenant: Tenant
    permissions: list[str] = strawberry.field(
        description="E.g. `customers.edit`, `settings.manage`, `workers.manage`."
    )
