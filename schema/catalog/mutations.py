"""Setting up folders, statuses, tags and custom fields. Needs `settings.manage`."""

from enum import Enum

import strawberry
from strawberry import UNSET

from core import catalog, field_definitions
from schema.catalog.types import (
    CustomFieldDefinition,
    CustomFieldType,
    Folder,
    Status,
    StatusCategory,
    Tag,
)
from schema.context import Info
from schema.customers.inputs import sent
from schema.ids import from_global_id, from_global_ids
from schema.payloads import DeletePayload, as_row, deleted, input_named, mutate, payload, reordered

FolderPayload = payload(Folder, "folder")
FoldersPayload = payload(Folder, "folders", "FoldersPayload")
TagPayload = payload(Tag, "tag")
TagsPayload = payload(Tag, "tags", "TagsPayload")
StatusPayload = payload(Status, "status")
StatusesPayload = payload(Status, "statuses", "StatusesPayload")
CustomFieldDefinitionPayload = payload(CustomFieldDefinition, "definition")
CustomFieldDefinitionsPayload = payload(
    CustomFieldDefinition, "definitions", "CustomFieldDefinitionsPayload"
)


@strawberry.input(description="A status of a new folder's list.")
class FolderStatusInput:
    name: str
    color: str
    category: StatusCategory = StatusCategory.ACTIVE
    is_default: bool = False


@strawberry.input
class CreateFolderInput:
    name: str
    color: str = strawberry.field(description="`#rrggbb`.")
    statuses: list[FolderStatusInput] | None = strawberry.field(
        default=None,
        description="The folder's status list (the first is the default unless one says so); "
        "default: a starter list.",
    )
    hidden_tabs: list[str] | None = strawberry.field(
        default=None, description="Profile tab keys to hide for customers in this folder."
    )


@strawberry.input(description="Only the members sent change.")
class UpdateFolderInput:
    id: strawberry.ID
    name: str | None = UNSET
    color: str | None = UNSET
    hidden_tabs: list[str] | None = UNSET


@strawberry.input
class DeleteInput:
    id: strawberry.ID


@strawberry.input(description="Every item of the list exactly once, in the new order.")
class ReorderInput:
    ids: list[strawberry.ID]


@strawberry.input
class CreateTagInput:
    name: str = strawberry.field(description="Unique in the tenant, ignoring case.")
    color: str = strawberry.field(description="`#rrggbb`.")


@strawberry.input(description="Only the members sent change.")
class UpdateTagInput:
    id: strawberry.ID
    name: str | None = UNSET
    color: str | None = UNSET


@strawberry.input
class CreateStatusInput:
    folder_id: strawberry.ID | None = strawberry.field(
        default=None, description="The folder whose list gets it; null: the customer status list."
    )
    name: str
    color: str
    category: StatusCategory
    is_default: bool = False


@strawberry.input(description="Only the members sent change.")
class UpdateStatusInput:
    id: strawberry.ID
    name: str | None = UNSET
    color: str | None = UNSET
    category: StatusCategory | None = UNSET
    is_default: bool | None = strawberry.field(
        default=UNSET, description="true moves the list's default here."
    )


@strawberry.input
class DeleteStatusInput:
    id: strawberry.ID
    replacement_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A status of the same list for those who have this one; default: the "
        "list's default status.",
    )


@strawberry.input
class ReorderStatusesInput:
    folder_id: strawberry.ID | None = strawberry.field(
        default=None, description="null: the customer status list."
    )
    ids: list[strawberry.ID]


@strawberry.input(description="Show the field only when `fieldId` has one of `values`.")
class CustomFieldConditionInput:
    field_id: strawberry.ID = strawberry.field(
        description="A SINGLE_SELECT, MULTI_SELECT or BOOLEAN field."
    )
    values: list[str] = strawberry.field(description="Its options (`true` / `false` for yes/no).")


@strawberry.input
class CreateCustomFieldDefinitionInput:
    key: str = strawberry.field(description="`[a-z][a-z0-9_]*`, unique; cannot change later.")
    label: str
    type: CustomFieldType = strawberry.field(description="Cannot change later.")
    description: str | None = None
    options: list[str] | None = strawberry.field(default=None, description="For select types.")
    required: bool = False
    group: str | None = None
    folder_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Show only in these folders; empty: everywhere."
    )
    condition: CustomFieldConditionInput | None = None


@strawberry.input(description="Only the members sent change; `condition: null` removes it.")
class UpdateCustomFieldDefinitionInput:
    id: strawberry.ID
    label: str | None = UNSET
    description: str | None = UNSET
    options: list[str] | None = UNSET
    required: bool | None = UNSET
    group: str | None = UNSET
    folder_ids: list[strawberry.ID] | None = UNSET
    condition: CustomFieldConditionInput | None = UNSET


DeleteFolderInput = input_named(DeleteInput, "DeleteFolderInput")
ReorderFoldersInput = input_named(ReorderInput, "ReorderFoldersInput")
DeleteTagInput = input_named(DeleteInput, "DeleteTagInput")
ReorderTagsInput = input_named(ReorderInput, "ReorderTagsInput")
DeleteCustomFieldDefinitionInput = input_named(DeleteInput, "DeleteCustomFieldDefinitionInput")
ReorderCustomFieldDefinitionsInput = input_named(ReorderInput, "ReorderCustomFieldDefinitionsInput")


def _id(value: str | None, type_name: str) -> int | None:
    return None if value is None else from_global_id(value, type_name)


def _enum(value):
    return value.value if isinstance(value, Enum) else value


def _definition_changes(i) -> dict:
    changes = sent(
        i,
        {
            "key": "key",
            "label": "label",
            "type": "type",
            "description": "description",
            "options": "options",
            "required": "required",
            "group": "group_name",
        },
    )
    changes = {k: _enum(v) for k, v in changes.items()}
    if getattr(i, "folder_ids", UNSET) is not UNSET:
        changes["folder_ids"] = from_global_ids(i.folder_ids, "Folder")
    if i.condition is not UNSET:
        condition = i.condition
        changes["condition_field_id"] = _id(
            condition and condition.field_id, "CustomFieldDefinition"
        )
        changes["condition_values"] = list(condition.values) if condition else []
    return changes


async def _one(info: Info, build: type, work, target: str = "id") -> object:
    result, errors = await mutate(info, work, target)
    node = build.from_row(as_row(result)) if result is not None else None
    return node, errors


@strawberry.type
class CatalogMutations:
    @strawberry.mutation(description="Create a folder with its own status list.")
    async def create_folder(self, info: Info, input: CreateFolderInput) -> FolderPayload:
        specs = [
            {
                "name": s.name,
                "color": s.color,
                "category": s.category.value,
                "is_default": s.is_default,
            }
            for s in input.statuses or []
        ]
        node, errors = await _one(
            info,
            Folder,
            lambda s, p: catalog.create_folder(
                s, p, input.name, input.color, specs or None, input.hidden_tabs
            ),
        )
        return FolderPayload(folder=node, user_errors=errors)

    @strawberry.mutation(description="Rename or recolour a folder.")
    async def update_folder(self, info: Info, input: UpdateFolderInput) -> FolderPayload:
        changes = sent(input, {"name": "name", "color": "color", "hidden_tabs": "hidden_tabs"})
        fid = from_global_id(input.id, "Folder")
        node, errors = await _one(
            info, Folder, lambda s, p: catalog.update_folder(s, p, fid, changes)
        )
        return FolderPayload(folder=node, user_errors=errors)

    @strawberry.mutation(description="Delete a folder; its customers stay, outside it.")
    async def delete_folder(self, info: Info, input: DeleteFolderInput) -> DeletePayload:
        fid = from_global_id(input.id, "Folder")
        return await deleted(info, input.id, lambda s, p: catalog.delete_folder(s, p, fid))

    @strawberry.mutation(description="Put the folders in a new order.")
    async def reorder_folders(self, info: Info, input: ReorderFoldersInput) -> FoldersPayload:
        ids = from_global_ids(input.ids, "Folder")
        return await reordered(
            info, FoldersPayload, Folder, lambda s, p: catalog.reorder_folders(s, p, ids), "ids"
        )

    @strawberry.mutation(description="Create a tag.")
    async def create_tag(self, info: Info, input: CreateTagInput) -> TagPayload:
        node, errors = await _one(
            info, Tag, lambda s, p: catalog.create_tag(s, p, input.name, input.color)
        )
        return TagPayload(tag=node, user_errors=errors)

    @strawberry.mutation(description="Rename or recolour a tag.")
    async def update_tag(self, info: Info, input: UpdateTagInput) -> TagPayload:
        changes = sent(input, {"name": "name", "color": "color"})
        tid = from_global_id(input.id, "Tag")
        node, errors = await _one(info, Tag, lambda s, p: catalog.update_tag(s, p, tid, changes))
        return TagPayload(tag=node, user_errors=errors)

    @strawberry.mutation(description="Delete a tag; it leaves every customer.")
    async def delete_tag(self, info: Info, input: DeleteTagInput) -> DeletePayload:
        tid = from_global_id(input.id, "Tag")
        return await deleted(info, input.id, lambda s, p: catalog.delete_tag(s, p, tid))

    @strawberry.mutation(description="Put the tags in a new order.")
    async def reorder_tags(self, info: Info, input: ReorderTagsInput) -> TagsPayload:
        ids = from_global_ids(input.ids, "Tag")
        return await reordered(
            info, TagsPayload, Tag, lambda s, p: catalog.reorder_tags(s, p, ids), "ids"
        )

    @strawberry.mutation(description="Add a status to the customer list or to a folder's list.")
    async def create_status(self, info: Info, input: CreateStatusInput) -> StatusPayload:
        folder_id = _id(input.folder_id, "Folder")
        node, errors = await _one(
            info,
            Status,
            lambda s, p: catalog.create_status(
                s, p, folder_id, input.name, input.color, input.category.value, input.is_default
            ),
            "folderId",
        )
        return StatusPayload(status=node, user_errors=errors)

    @strawberry.mutation(description="Change a status.")
    async def update_status(self, info: Info, input: UpdateStatusInput) -> StatusPayload:
        changes = {
            k: _enum(v)
            for k, v in sent(
                input,
                {
                    "name": "name",
                    "color": "color",
                    "category": "category",
                    "is_default": "is_default",
                },
            ).items()
        }
        sid = from_global_id(input.id, "Status")
        node, errors = await _one(
            info, Status, lambda s, p: catalog.update_status(s, p, sid, changes)
        )
        return StatusPayload(status=node, user_errors=errors)

    @strawberry.mutation(description="Delete a status, moving whoever has it to a replacement.")
    async def delete_status(self, info: Info, input: DeleteStatusInput) -> DeletePayload:
        sid = from_global_id(input.id, "Status")
        replacement = _id(input.replacement_id, "Status")
        return await deleted(
            info, input.id, lambda s, p: catalog.delete_status(s, p, sid, replacement)
        )

    @strawberry.mutation(description="Put a status list in a new order.")
    async def reorder_statuses(self, info: Info, input: ReorderStatusesInput) -> StatusesPayload:
        folder_id = _id(input.folder_id, "Folder")
        ids = from_global_ids(input.ids, "Status")
        return await reordered(
            info,
            StatusesPayload,
            Status,
            lambda s, p: catalog.reorder_statuses(s, p, folder_id, ids),
            "folderId",
        )

    @strawberry.mutation(description="Add a custom field to the customer profile.")
    async def create_custom_field_definition(
        self, info: Info, input: CreateCustomFieldDefinitionInput
    ) -> CustomFieldDefinitionPayload:
        data = _definition_changes(input)
        data.setdefault("condition_field_id", None)
        node, errors = await _one(
            info,
            CustomFieldDefinition,
            lambda s, p: field_definitions.create_field_definition(s, p, data),
        )
        return CustomFieldDefinitionPayload(definition=node, user_errors=errors)

    @strawberry.mutation(description="Change a custom field (not its key or type).")
    async def update_custom_field_definition(
        self, info: Info, input: UpdateCustomFieldDefinitionInput
    ) -> CustomFieldDefinitionPayload:
        changes = _definition_changes(input)
        did = from_global_id(input.id, "CustomFieldDefinition")
        node, errors = await _one(
            info,
            CustomFieldDefinition,
            lambda s, p: field_definitions.update_field_definition(s, p, did, changes),
        )
        return CustomFieldDefinitionPayload(definition=node, user_errors=errors)

    @strawberry.mutation(description="Delete a custom field and its values on every customer.")
    async def delete_custom_field_definition(
        self, info: Info, input: DeleteCustomFieldDefinitionInput
    ) -> DeletePayload:
        did = from_global_id(input.id, "CustomFieldDefinition")
        return await deleted(
            info, input.id, lambda s, p: field_definitions.delete_field_definition(s, p, did)
        )

    @strawberry.mutation(description="Put the custom fields in a new order.")
    async def reorder_custom_field_definitions(
        self, info: Info, input: ReorderCustomFieldDefinitionsInput
    ) -> CustomFieldDefinitionsPayload:
        ids = from_global_ids(input.ids, "CustomFieldDefinition")
        return await reordered(
            info,
            CustomFieldDefinitionsPayload,
            CustomFieldDefinition,
            lambda s, p: field_definitions.reorder_field_definitions(s, p, ids),
            "ids",
        )
