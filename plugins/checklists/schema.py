"""The `checklists` field on Customer, the template list, and the checklist mutations."""

import strawberry
from strawberry import UNSET

from core import access
from plugins.checklists import queries as q
from plugins.checklists import service
from plugins.checklists.types import Checklist, ChecklistItem, ChecklistTemplate, loader
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id, from_global_ids
from schema.payloads import DeletePayload, UserError, deleted, input_named, mutate, payload
from schema.relay import Connection


@strawberry.type(description="A customer's checklists: what the Checklists tab shows.")
class CustomerChecklists:
    customer_id: strawberry.Private[int]

    @strawberry.field(
        description="Unfinished lists first, then finished ones; newest first within each; "
        "at most 100 a page (default 20)."
    )
    async def all(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Checklist]:
        return await kit.customer_list(
            info,
            "checklists.all",
            q.C,
            self.customer_id,
            q.UNFINISHED_FIRST,
            first,
            after,
            Checklist.from_row,
        )

    @strawberry.field(description="Lists with an unchecked item (the tab's badge).")
    async def unfinished_count(self, info: Info) -> int:
        return await loader(info, "unfinished", q.unfinished).load(self.customer_id)


async def customer_checklists(root: Customer, info: Info) -> CustomerChecklists:
    access.require(info.context.principal, "checklists.view")
    return CustomerChecklists(customer_id=root.pk)


async def checklist_templates(
    info: Info, first: int | None = None, after: str | None = None
) -> Connection[ChecklistTemplate]:
    principal = info.context.principal
    access.require(principal, "checklists.view")
    query = q.templates(principal)
    return await kit.tenant_list(info, query, q.BY_NAME, first, after, ChecklistTemplate.from_row)


# --- mutations -------------------------------------------------------------------------------

ChecklistTemplatePayload = payload(ChecklistTemplate, "template")
ChecklistPayload = payload(Checklist, "checklist")


@strawberry.type(description="The item and its list as written, or why nothing was.")
class ChecklistItemPayload:
    item: ChecklistItem | None
    checklist: Checklist | None
    user_errors: list[UserError]


ITEMS = "1 to 100 items, each at most 500 characters, in order."


@strawberry.input
class CreateChecklistTemplateInput:
    name: str = strawberry.field(description="Required, at most 200 characters.")
    items: list[str] = strawberry.field(description=ITEMS)
    folder_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Folders that hand it to customers entering them."
    )


@strawberry.input(description="Only the members sent change; lists already made keep theirs.")
class UpdateChecklistTemplateInput:
    id: strawberry.ID
    name: str | None = UNSET
    items: list[str] | None = strawberry.field(default=UNSET, description=ITEMS)
    folder_ids: list[strawberry.ID] | None = strawberry.field(
        default=UNSET, description="Replaces the template's folders."
    )


@strawberry.input(description="From a template, or ad hoc with a name and items.")
class AddChecklistInput:
    customer_id: strawberry.ID
    template_id: strawberry.ID | None = None
    name: str | None = strawberry.field(
        default=None, description="Required without a template; default: the template's name."
    )
    items: list[str] | None = strawberry.field(
        default=None, description=f"Without a template: {ITEMS}"
    )


@strawberry.input
class RenameChecklistInput:
    id: strawberry.ID
    name: str


@strawberry.input(description="The object of this mutation.")
class _ById:
    id: strawberry.ID


DeleteChecklistTemplateInput = input_named(_ById, "DeleteChecklistTemplateInput")
DeleteChecklistInput = input_named(_ById, "DeleteChecklistInput")
CheckChecklistItemInput = input_named(_ById, "CheckChecklistItemInput")
UncheckChecklistItemInput = input_named(_ById, "UncheckChecklistItemInput")
RemoveChecklistItemInput = input_named(_ById, "RemoveChecklistItemInput")


@strawberry.input(description="Appended at the end; a finished list is unfinished again.")
class AddChecklistItemInput:
    checklist_id: strawberry.ID
    text: str


def _template_changes(input) -> dict:
    changes = {k: getattr(input, k) for k in ("name", "items") if getattr(input, k) is not UNSET}
    if input.folder_ids is not UNSET:
        changes["folder_ids"] = from_global_ids(input.folder_ids, "Folder")
    return changes


async def create_checklist_template(
    info: Info, input: CreateChecklistTemplateInput
) -> ChecklistTemplatePayload:
    changes = {
        **_template_changes(input),
        "folder_ids": from_global_ids(input.folder_ids, "Folder"),
    }

    def work(s, p):
        return service.save_template(s, p, None, changes)

    return await kit.save(info, ChecklistTemplatePayload, "template", ChecklistTemplate, work)


async def update_checklist_template(
    info: Info, input: UpdateChecklistTemplateInput
) -> ChecklistTemplatePayload:
    template_id, changes = from_global_id(input.id, "ChecklistTemplate"), _template_changes(input)

    def work(s, p):
        return service.save_template(s, p, template_id, changes)

    return await kit.save(info, ChecklistTemplatePayload, "template", ChecklistTemplate, work)


async def delete_checklist_template(
    info: Info, input: DeleteChecklistTemplateInput
) -> DeletePayload:
    template_id = from_global_id(input.id, "ChecklistTemplate")
    return await deleted(info, input.id, lambda s, p: service.delete_template(s, p, template_id))


async def add_checklist(info: Info, input: AddChecklistInput) -> ChecklistPayload:
    data = {
        "customer_id": from_global_id(input.customer_id, "Customer"),
        "template_id": None
        if input.template_id is None
        else from_global_id(input.template_id, "ChecklistTemplate"),
        "name": input.name,
        "items": input.items,
    }

    def work(s, p):
        return service.add_checklist(s, p, data)

    return await kit.save(info, ChecklistPayload, "checklist", Checklist, work, "customerId")


async def rename_checklist(info: Info, input: RenameChecklistInput) -> ChecklistPayload:
    checklist_id = from_global_id(input.id, "Checklist")

    def work(s, p):
        return service.rename_checklist(s, p, checklist_id, input.name)

    return await kit.save(info, ChecklistPayload, "checklist", Checklist, work)


async def delete_checklist(info: Info, input: DeleteChecklistInput) -> DeletePayload:
    checklist_id = from_global_id(input.id, "Checklist")
    return await deleted(info, input.id, lambda s, p: service.delete_checklist(s, p, checklist_id))


async def _item_payload(info: Info, work, target: str = "id") -> ChecklistItemPayload:
    result, errors = await mutate(info, work, target)
    item, checklist = result or (None, None)
    return ChecklistItemPayload(
        item=item and kit.build(ChecklistItem, item),
        checklist=checklist and kit.build(Checklist, checklist),
        user_errors=errors,
    )


async def check_checklist_item(info: Info, input: CheckChecklistItemInput) -> ChecklistItemPayload:
    item_id = from_global_id(input.id, "ChecklistItem")
    return await _item_payload(info, lambda s, p: service.check_item(s, p, item_id, True))


async def uncheck_checklist_item(
    info: Info, input: UncheckChecklistItemInput
) -> ChecklistItemPayload:
    item_id = from_global_id(input.id, "ChecklistItem")
    return await _item_payload(info, lambda s, p: service.check_item(s, p, item_id, False))


async def add_checklist_item(info: Info, input: AddChecklistItemInput) -> ChecklistItemPayload:
    checklist_id = from_global_id(input.checklist_id, "Checklist")

    def work(s, p):
        return service.add_item(s, p, checklist_id, input.text)

    return await _item_payload(info, work, "checklistId")


async def remove_checklist_item(info: Info, input: RemoveChecklistItemInput) -> ChecklistPayload:
    item_id = from_global_id(input.id, "ChecklistItem")

    def work(s, p):
        return service.remove_item(s, p, item_id)

    return await kit.save(info, ChecklistPayload, "checklist", Checklist, work)


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_checklists,
        name="checklists",
        description="Checklists module: the customer's checklists and their progress.",
    )
]
QUERY_FIELDS = [
    strawberry.field(
        resolver=checklist_templates,
        name="checklistTemplates",
        description="The business's checklist templates by name; at most 100 a page.",
    )
]
MUTATION_FIELDS = [
    strawberry.mutation(
        resolver=create_checklist_template,
        description="Create a checklist template (needs `checklists.settings`).",
    ),
    strawberry.mutation(
        resolver=update_checklist_template,
        description="Change a template's name, items or folders (needs `checklists.settings`).",
    ),
    strawberry.mutation(
        resolver=delete_checklist_template,
        description="Delete a template; lists made from it stay (needs `checklists.settings`).",
    ),
    strawberry.mutation(resolver=add_checklist, description="Give a customer a checklist."),
    strawberry.mutation(resolver=rename_checklist, description="Rename a checklist."),
    strawberry.mutation(resolver=delete_checklist, description="Delete a checklist."),
    strawberry.mutation(
        resolver=check_checklist_item,
        description="Check an item, recording who and when. Idempotent: checking a checked "
        "item keeps who and when.",
    ),
    strawberry.mutation(
        resolver=uncheck_checklist_item, description="Uncheck an item (idempotent)."
    ),
    strawberry.mutation(resolver=add_checklist_item, description="Add an item to a checklist."),
    strawberry.mutation(
        resolver=remove_checklist_item,
        description="Remove an item from a checklist; not its last one (delete the list instead).",
    ),
]
