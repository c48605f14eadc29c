"""Folders, statuses, tags and custom field definitions as GraphQL types."""

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import Private

from schema.context import Info
from schema.loaders import TENANT_LIST
from schema.relay import Node


@strawberry.enum(description="What a status means, whatever its name: for reports and automation.")
class StatusCategory(Enum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    PROSPECT = "PROSPECT"
    CHURNED = "CHURNED"


@strawberry.enum(description="The kind of value a custom field holds.")
class CustomFieldType(Enum):
    TEXT = "TEXT"
    LONG_TEXT = "LONG_TEXT"
    NUMBER = "NUMBER"
    DATE = "DATE"
    DATE_TIME = "DATE_TIME"
    BOOLEAN = "BOOLEAN"
    SINGLE_SELECT = "SINGLE_SELECT"
    MULTI_SELECT = "MULTI_SELECT"


@strawberry.type(description="A step of a status list: the tenant's customer list or a folder's.")
class Status(Node):
    name: str
    color: str = strawberry.field(description="`#rrggbb`.")
    category: StatusCategory
    position: int
    is_default: bool = strawberry.field(
        description="New customers (or new folder members) start with the list's default."
    )
    folder_id: Private[int | None]

    @classmethod
    def from_row(cls, row) -> "Status":
        return cls(
            pk=row["id"],
            name=row["name"],
            color=row["color"],
            category=StatusCategory(row["category"]),
            position=row["position"],
            is_default=row["is_default"],
            folder_id=row["folder_id"],
        )

    @strawberry.field(description="The folder whose list this is; null for the customer list.")
    async def folder(self, info: Info) -> Annotated["Folder", strawberry.lazy(__name__)] | None:
        if self.folder_id is None:
            return None
        row = await info.context.loaders.folder.load(self.folder_id)
        return Folder.from_row(row) if row else None


@strawberry.type(description="A folder: customers can be in several, each with its own status.")
class Folder(Node):
    name: str
    color: str = strawberry.field(description="`#rrggbb`.")
    position: int
    created_at: datetime
    hidden_tabs: list[str] = strawberry.field(
        description="Profile tab keys hidden for customers in this folder."
    )

    @classmethod
    def from_row(cls, row) -> "Folder":
        return cls(
            pk=row["id"],
            name=row["name"],
            color=row["color"],
            position=row["position"],
            created_at=row["created_at"],
            hidden_tabs=list(row["hidden_tabs"] or []),
        )

    @strawberry.field(description="This folder's own status list, in order.")
    async def statuses(self, info: Info) -> list[Status]:
        rows = await info.context.loaders.statuses_of.load(self.pk)
        return [Status.from_row(r) for r in rows]

    @strawberry.field(description="How many customers you can see are in this folder.")
    async def customer_count(self, info: Info) -> int:
        return await info.context.loaders.folder_customer_count.load(self.pk)


@strawberry.type(description="A coloured label on customers.")
class Tag(Node):
    name: str
    color: str = strawberry.field(description="`#rrggbb`.")
    position: int

    @classmethod
    def from_row(cls, row) -> "Tag":
        return cls(pk=row["id"], name=row["name"], color=row["color"], position=row["position"])


@strawberry.type(description="Show a field only when another field has one of these values.")
class CustomFieldCondition:
    field_id: Private[int]
    values: list[str] = strawberry.field(
        description="Options of the source field (`true` / `false` for a yes/no field)."
    )

    @strawberry.field(description="The field whose value decides.")
    async def field(
        self, info: Info
    ) -> Annotated["CustomFieldDefinition", strawberry.lazy(__name__)] | None:
        for row in await info.context.loaders.field_definitions.load(0):
            if row["id"] == self.field_id:
                return CustomFieldDefinition.from_row(row)
        return None


@strawberry.type(description="A field the tenant added to the customer profile.")
class CustomFieldDefinition(Node):
    key: str = strawberry.field(description="Stable name used in filters and inputs.")
    label: str
    type: CustomFieldType
    description: str | None
    options: list[str] = strawberry.field(description="Choices of a select field, in order.")
    required: bool
    group: str | None = strawberry.field(description="Heading the Profile tab shows it under.")
    position: int
    folder_ids: Private[list[int]]
    condition: CustomFieldCondition | None = strawberry.field(
        description="Shown only when this holds; null: always (in its folders)."
    )

    @classmethod
    def from_row(cls, row) -> "CustomFieldDefinition":
        condition = None
        if row["condition_field_id"] is not None:
            condition = CustomFieldCondition(
                field_id=row["condition_field_id"], values=list(row["condition_values"] or [])
            )
        return cls(
            pk=row["id"],
            key=row["key"],
            label=row["label"],
            type=CustomFieldType(row["type"]),
            description=row["description"],
            options=list(row["options"] or []),
            required=row["required"],
            group=row["group_name"],
            position=row["position"],
            folder_ids=list(row["folder_ids"] or []),
            condition=condition,
        )

    @strawberry.field(description="Folders where the field shows; empty: every folder.")
    async def folders(self, info: Info) -> list[Folder]:
        loader = info.context.loaders.folder
        rows = [await loader.load(f) for f in self.folder_ids]
        return [Folder.from_row(r) for r in rows if r]


async def status_list(info: Info, folder_id: int | None) -> list[Status]:
    rows = await info.context.loaders.statuses_of.load(folder_id or TENANT_LIST)
    return [Status.from_row(r) for r in rows]
