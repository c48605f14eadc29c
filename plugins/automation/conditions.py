"""What a rule's conditions read and decide: the customer's folders, tags, status and custom
fields (`customer_facts`, batched for a sweep's chunk), the trigger's pairs (`matches`), and
its `where` filter, read as the version's author (`where_holds`)."""

from sqlalchemy import select

from core import access
from core.auth import Principal
from core.errors import InvalidInput
from core.models import Customer, CustomerFolder, CustomerTag
from core.targets import matching
from plugins.automation.models import AutomationRuleVersion
from schema.customers.where import decode_id


def matches(trigger: dict, customer: dict, data: dict) -> bool:
    if trigger["folderIds"] and not set(trigger["folderIds"]) & customer["folders"]:
        return False
    if trigger["tagIds"] and not set(trigger["tagIds"]) & customer["tags"]:
        return False
    if trigger["statusIds"] and customer["status_id"] not in trigger["statusIds"]:
        return False
    fields = customer["custom_fields"] or {}
    for pair in trigger.get("customFields") or ():
        if str(fields.get(pair["key"])) != pair["value"]:
            return False
    return all(str(data.get(p["key"])) == p["value"] for p in trigger.get("eventData") or ())


async def customer_facts(session, tenant_id: int, customer_ids: list[int]) -> dict[int, dict]:
    """What `matches` reads, for the live (not archived) ones of `customer_ids`: three
    statements however many."""
    if not customer_ids:
        return {}
    rows = await session.execute(
        select(Customer.id, Customer.status_id, Customer.custom_fields).where(
            Customer.tenant_id == tenant_id,
            Customer.id.in_(customer_ids),
            Customer.archived_at.is_(None),
        )
    )
    facts = {
        r.id: {"status_id": r.status_id, "custom_fields": r.custom_fields, "folders": set(),
               "tags": set()}
        for r in rows
    }  # fmt: skip
    for model, key, column in (
        (CustomerFolder, "folders", CustomerFolder.folder_id),
        (CustomerTag, "tags", CustomerTag.tag_id),
    ):
        links = await session.execute(
            select(model.customer_id, column).where(model.customer_id.in_(list(facts)))
        )
        for customer_id, linked in links:
            facts[customer_id][key].add(linked)
    return facts


async def author_of(session, version: AutomationRuleVersion) -> Principal | None:
    """The principal a version's runs (and its `where`) act as: its author, as they are now."""
    if version.author_id is None:
        return None
    grants = session.info["plugins"].permission_grants()
    conn = await session.connection()
    return await access.principal_for(conn, version.tenant_id, version.author_id, grants)


async def where_holds(session, principal, where: dict, customer_ids: list[int]) -> set[int]:
    """Which of `customer_ids` the rule's `where` takes: those the author's list shows for it
    and may edit. A tree that no longer compiles (a custom field or segment gone) takes none."""
    if principal is None:
        return set()
    try:
        query = await matching(session, principal, where, None, decode_id)
    except InvalidInput:
        return set()
    return set(await session.scalars(query.where(Customer.id.in_(customer_ids))))
