"""Sub-customers: a new customer under a parent (starting from the parent fields the
tenant copies), and moving a customer under another parent or back to the top (no cycles)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, custom_fields, standard_fields
from core.auth import Principal
from core.customer_queries import field_definitions
from core.customers import (
    MAX_PARENT_DEPTH,
    _emit,
    _flush,
    _parent,
    _touch,
    create_customer,
    get_customer,
    module_hook,
)
from core.errors import InvalidInput
from core.models import Customer, CustomerFolder, CustomerTag, CustomerWorker, Tenant


async def create_sub_customer(
    session: AsyncSession, principal: Principal, parent_id: int, data: dict
) -> Customer:
    """A new customer under `parent_id`, starting from the parent fields the tenant chose
    to copy; whatever `data` gives wins over the copy."""
    parent = await get_customer(session, principal, parent_id, for_edit=False)
    tenant = await session.get(Tenant, principal.tenant_id)
    copy = set(tenant.sub_customer_copy_fields or [])
    base: dict[str, Any] = {}
    for key in ("company", "city", "lead_source", "phones", "emails", "industry", "website"):
        if key in copy:
            base[key] = getattr(parent, key)
    if "payment" in copy:
        base["payment"] = standard_fields.payment_of(parent)
    if copy & set(standard_fields.ADDRESS_KINDS):
        found = await standard_fields.addresses_of(session, parent.id)
        base.update({key: found[key] for key in copy & found.keys()})
    if "status" in copy:
        base["status_id"] = parent.status_id
    if "custom_fields" in copy:
        definitions = await field_definitions(await session.connection(), principal.tenant_id)
        by_key = {d["key"]: d for d in definitions}
        base["custom_fields"] = {
            key: custom_fields.typed(by_key[key], value)
            for key, value in (parent.custom_fields or {}).items()
            if key in by_key
        }
    if "folders" in copy:
        rows = await session.execute(
            select(CustomerFolder.folder_id, CustomerFolder.status_id).where(
                CustomerFolder.customer_id == parent.id
            )
        )
        base["folders"] = [(folder_id, status_id) for folder_id, status_id in rows]
    for key, link, column in (
        ("tags", CustomerTag, "tag_id"),
        ("workers", CustomerWorker, "worker_id"),
    ):
        if key in copy:
            rows = await session.scalars(
                select(getattr(link, column)).where(link.customer_id == parent.id)
            )
            base[f"{key[:-1]}_ids"] = list(rows)
    given = {k: v for k, v in data.items() if v is not None}
    if "custom_fields" in base:
        chosen = dict(given.pop("custom_fields", []))
        merged = {**base["custom_fields"], **chosen}
        folder_ids = [f for f, _ in given.get("folders", base.get("folders", []))]
        stored = parent.custom_fields or {}
        shown = {d["key"] for d in custom_fields.visible(definitions, folder_ids, stored)}
        base["custom_fields"] = [(k, v) for k, v in merged.items() if k in shown or k in chosen]
    child = await create_customer(session, principal, {**base, **given, "parent_id": parent.id})
    await module_hook(
        session,
        "hub_sub_customer_created",
        enabled_only=True,
        tenant_id=principal.tenant_id,
        parent_id=parent.id,
        child_id=child.id,
        copy_fields=sorted(copy),
    )
    return child


async def set_parent(
    session: AsyncSession, principal: Principal, customer_id: int, parent_id: int | None
) -> Customer:
    """Link under a parent (None unlinks). Refuses a link that would make a cycle."""
    access.require(principal, "customers.edit")
    customer = await get_customer(session, principal, customer_id)
    if parent_id is not None:
        parent = await _parent(session, principal, parent_id)
        ancestor, depth = parent, 0
        while ancestor is not None:
            if ancestor.id == customer.id:
                raise InvalidInput.one(
                    ("input", "parentId"),
                    "A customer cannot be placed under itself or one of its sub-customers.",
                    "CYCLE",
                )
            depth += 1
            if depth > MAX_PARENT_DEPTH:
                raise InvalidInput.one(
                    ("input", "parentId"), f"At most {MAX_PARENT_DEPTH} levels.", "TOO_DEEP"
                )
            ancestor = (
                await session.get(Customer, ancestor.parent_id) if ancestor.parent_id else None
            )
    customer.parent_id = parent_id
    _touch([customer])
    await _flush(session)
    await _emit(session, principal, "customer.updated", [customer], changed=["parent"])
    return customer


# --- imports --------------------------------------------------------------------------------
