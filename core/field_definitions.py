"""Custom field definitions of a tenant. Each function runs inside the caller's transaction,
checks `settings.manage` first and validates everything before it writes.

A definition's key and type never change: customers' values are stored under the key, in the
type's canonical form (see `core.custom_fields`), so changing either would strand them. A
condition (show this field only when another field has one of some values) may depend on a
select or yes/no field of the same tenant, and never, directly or not, on itself."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, custom_fields
from core.auth import Principal
from core.catalog import clean_text, max_length, next_position, reorder
from core.customers import check_refs
from core.errors import InvalidInput, NotFound, Problem
from core.models import Customer, CustomFieldDefinition, Folder, utcnow

Definition = CustomFieldDefinition
CONDITION_TYPES = ("SINGLE_SELECT", "MULTI_SELECT", "BOOLEAN")
# How a yes/no value is written in a condition (see custom_fields._as_option).
BOOLEAN_VALUES = ("true", "false")
DESCRIPTION_LIMIT = 2_000
OPTION_LIMIT = 200


# --- checking -----------------------------------------------------------------------------------


async def _definitions(session: AsyncSession, tenant_id: int) -> dict[int, Definition]:
    rows = await session.scalars(select(Definition).where(Definition.tenant_id == tenant_id))
    return {d.id: d for d in rows}


def _is_list_of(value: Any, kind: type) -> bool:
    return isinstance(value, list | tuple) and all(
        isinstance(v, kind) and not isinstance(v, bool) for v in value
    )


def _flag(value: Any, field: str, problems: list[Problem]) -> bool:
    if not isinstance(value, bool):
        problems.append(Problem(("input", field), "Expects true or false.", "INVALID"))
        return False
    return value


def _options(value: Any, kind: str | None, problems: list[Problem]) -> list[str]:
    """Stripped options; blank and repeated ones are left to `validate_definition`."""
    if value is None:
        return []
    if not _is_list_of(value, str):
        problems.append(Problem(("input", "options"), "Expects a list of texts.", "INVALID"))
        return []
    if value and kind not in custom_fields.SELECT_TYPES:
        problems.append(
            Problem(("input", "options"), "Only select fields have options.", "INVALID")
        )
        return []
    options = [o.strip() for o in value]
    for index, option in enumerate(options):
        if len(option) > OPTION_LIMIT:
            problems.append(
                Problem(
                    ("input", "options", str(index)),
                    f"At most {OPTION_LIMIT} characters.",
                    "TOO_LONG",
                )
            )
    return options


async def _folder_ids(
    session: AsyncSession, tenant_id: int, value: Any, problems: list[Problem]
) -> list[int]:
    if value is None:
        return []
    if not _is_list_of(value, int):
        problems.append(Problem(("input", "folderIds"), "Expects a list of folder ids.", "INVALID"))
        return []
    try:
        await check_refs(session, Folder, tenant_id, value, ("input", "folderIds"))
    except InvalidInput as exc:
        problems += exc.problems
    return list(dict.fromkeys(value))


def _depends_on(by_id: dict[int, Definition], start_id: int | None, target_id: int) -> bool:
    """Whether following conditions from `start_id` reaches `target_id`."""
    seen = set()
    current = start_id
    while current is not None and current not in seen:
        if current == target_id:
            return True
        seen.add(current)
        current = by_id[current].condition_field_id if current in by_id else None
    return False


def _condition_values(
    by_id: dict[int, Definition],
    self_id: int | None,
    source_id: Any,
    values: Any,
    problems: list[Problem],
) -> list[str]:
    """The condition's values, checked against its source; empty when there is no condition."""
    field_path, values_path = ("input", "condition", "fieldId"), ("input", "condition", "values")
    if source_id is None:
        if values:
            problems.append(
                Problem(values_path, "Choose the field these values belong to.", "INVALID")
            )
        return []
    source = by_id.get(source_id)
    if source is None:
        problems.append(Problem(field_path, "CustomFieldDefinition not found.", "NOT_FOUND"))
        return []
    if source.type not in CONDITION_TYPES:
        problems.append(
            Problem(field_path, "A condition can use a select or yes/no field only.", "INVALID")
        )
        return []
    if self_id is not None and _depends_on(by_id, source_id, self_id):
        problems.append(
            Problem(field_path, "The fields would depend on each other in a circle.", "CYCLE")
        )
        return []
    if not _is_list_of(values or [], str):
        problems.append(Problem(values_path, "Expects a list of texts.", "INVALID"))
        return []
    if not values:
        problems.append(Problem(values_path, "Choose the values that show this field.", "REQUIRED"))
        return []
    allowed = BOOLEAN_VALUES if source.type == "BOOLEAN" else source.options or []
    for index, value in enumerate(values):
        if value not in allowed:
            problems.append(
                Problem(
                    (*values_path, str(index)),
                    f"{source.label} has no option '{value}'.",
                    "INVALID",
                )
            )
    return list(dict.fromkeys(values))


# --- create, update, delete, reorder ------------------------------------------------------------


async def create_field_definition(
    session: AsyncSession, principal: Principal, data: dict
) -> CustomFieldDefinition:
    """`data`: key, label, type (required), description, options, required, group_name,
    folder_ids, condition_field_id, condition_values. The new field comes last."""
    access.require(principal, "custom_fields.manage")
    tenant_id = principal.tenant_id
    by_id = await _definitions(session, tenant_id)
    problems: list[Problem] = []
    key, kind = data.get("key"), data.get("type")
    for field, value in (("key", key), ("type", kind)):
        if value is None or value == "":
            problems.append(Problem(("input", field), "This field is required.", "REQUIRED"))
        elif not isinstance(value, str):
            problems.append(Problem(("input", field), "Expects text.", "INVALID"))
    key = key if isinstance(key, str) and key else None
    kind = kind if isinstance(kind, str) and kind else None
    label = clean_text(
        data.get("label"), ("input", "label"), max_length(Definition, "label"), problems, True
    )
    description = clean_text(
        data.get("description"), ("input", "description"), DESCRIPTION_LIMIT, problems
    )
    group_name = clean_text(
        data.get("group_name"),
        ("input", "group"),
        max_length(Definition, "group_name"),
        problems,
    )
    options = _options(data.get("options"), kind, problems)
    required = _flag(data.get("required", False), "required", problems)
    others = [{"key": d.key} for d in by_id.values()]
    problems += custom_fields.validate_definition(
        {"key": key, "type": kind, "options": options}, others
    )
    folder_ids = await _folder_ids(session, tenant_id, data.get("folder_ids"), problems)
    condition_field_id = data.get("condition_field_id")
    condition_values = _condition_values(
        by_id, None, condition_field_id, data.get("condition_values"), problems
    )
    if problems:
        raise InvalidInput(problems)
    definition = Definition(
        tenant_id=tenant_id,
        key=key,
        label=label,
        type=kind,
        description=description,
        options=options,
        required=required,
        group_name=group_name,
        folder_ids=folder_ids,
        condition_field_id=condition_field_id,
        condition_values=condition_values,
        position=await next_position(session, Definition, tenant_id),
    )
    session.add(definition)
    await session.flush()
    return definition


async def update_field_definition(
    session: AsyncSession, principal: Principal, definition_id: int, changes: dict
) -> CustomFieldDefinition:
    """`changes` holds only what the caller sent. `key` and `type` may be sent only unchanged.

    Removing an option is allowed even when customers have it: their stored value stays and is
    shown, but no longer validates, so whoever next edits that field on such a customer must
    pick another option. Fields whose condition names a removed option are left as they are;
    they no longer show for it."""
    access.require(principal, "custom_fields.manage")
    tenant_id = principal.tenant_id
    by_id = await _definitions(session, tenant_id)
    definition = by_id.get(definition_id)
    if definition is None:
        raise NotFound("CustomFieldDefinition")
    problems: list[Problem] = []
    for field in ("key", "type"):
        if field in changes and changes[field] != getattr(definition, field):
            problems.append(
                Problem(
                    ("input", field),
                    f"The {field} of a field cannot change; create a new field instead.",
                    "IMMUTABLE",
                )
            )
    values: dict[str, Any] = {}
    if "label" in changes:
        values["label"] = clean_text(
            changes["label"], ("input", "label"), max_length(Definition, "label"), problems, True
        )
    if "description" in changes:
        values["description"] = clean_text(
            changes["description"], ("input", "description"), DESCRIPTION_LIMIT, problems
        )
    if "group_name" in changes:
        values["group_name"] = clean_text(
            changes["group_name"],
            ("input", "group"),
            max_length(Definition, "group_name"),
            problems,
        )
    if "options" in changes:
        values["options"] = _options(changes["options"], definition.type, problems)
        problems += custom_fields.validate_definition(
            {"type": definition.type, "options": values["options"]}, []
        )
    if "required" in changes:
        values["required"] = _flag(changes["required"], "required", problems)
    if "folder_ids" in changes:
        values["folder_ids"] = await _folder_ids(
            session, tenant_id, changes["folder_ids"], problems
        )
    if "condition_field_id" in changes or "condition_values" in changes:
        source_id = changes.get("condition_field_id", definition.condition_field_id)
        if "condition_values" in changes:
            wanted = changes["condition_values"]
        elif source_id == definition.condition_field_id:
            wanted = definition.condition_values
        else:
            wanted = []
        values["condition_field_id"] = source_id
        values["condition_values"] = _condition_values(
            by_id, definition.id, source_id, wanted, problems
        )
    if problems:
        raise InvalidInput(problems)
    for key, value in values.items():
        setattr(definition, key, value)
    await session.flush()
    return definition


async def delete_field_definition(
    session: AsyncSession, principal: Principal, definition_id: int
) -> int:
    """Also removes the field's value from every customer of the tenant (visible to this
    worker or not) and drops the condition of fields that depended on it (they then always
    show). Customers that lose a value count as changed (version and `updated_at`).

    The customers are loaded and rewritten one by one in Python: simple and the same on both
    engines, but a field used by many thousands of customers makes this a long transaction;
    move it to a JSON-operator UPDATE or a background job when that matters."""
    access.require(principal, "custom_fields.manage")
    tenant_id = principal.tenant_id
    by_id = await _definitions(session, tenant_id)
    definition = by_id.get(definition_id)
    if definition is None:
        raise NotFound("CustomFieldDefinition")
    for dependent in by_id.values():
        if dependent.condition_field_id == definition.id:
            dependent.condition_field_id = None
            dependent.condition_values = []
    key = definition.key
    customers = await session.scalars(
        select(Customer).where(
            Customer.tenant_id == tenant_id, Customer.custom_fields[key].as_string().is_not(None)
        )
    )
    now = utcnow()
    for customer in customers:
        customer.custom_fields = {k: v for k, v in customer.custom_fields.items() if k != key}
        customer.updated_at = now
    await session.flush()
    await session.delete(definition)
    await session.flush()
    return definition_id


async def reorder_field_definitions(
    session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> list[CustomFieldDefinition]:
    access.require(principal, "custom_fields.manage")
    return await reorder(session, Definition, principal.tenant_id, ids)
