"""One chunk of an import, in the caller's transaction: the lines' matches, their outcome,
the new customers in one INSERT (links in one INSERT per table), the updates through
`core.customers.update_customer` (each in a savepoint, so a line that fails leaves no
trace), one `customer_import_rows` row per line and the import's counters. The run and the
preview (which rolls the same work back) both come here, so a preview says exactly what
the run will do.

What `create_customer` does besides its INSERT, done here per chunk: the default status,
folder statuses, the creator's assignment for a worker without `customers.view_all`,
`search_text` and `sort_name`, the identity rows (`core.identities`, whose ORM listener a
Core INSERT bypasses); counters and the search index are trigger-kept. Not done: the
tenant's duplicate policy (`core.duplicates.check`): the import's own duplicate mode is
the user's explicit choice for these lines. Events: one
`customers.imported` per chunk instead of a `customer.created` and link events per row
(a 100,000-line file would otherwise be 300,000 events); updates keep their
`customer.updated`."""

from dataclasses import dataclass, field
from types import SimpleNamespace

from sqlalchemy import insert, select, update

from core import access, custom_fields, identities
from core import customers as core
from core.auth import Principal
from core.contacts import search_text
from core.csv_import_models import IMPORTS, ROWS
from core.csv_import_rows import Catalog, Line
from core.errors import Forbidden, InvalidInput, NotFound, Problem
from core.events import Event, emit
from core.json_rows import plain
from core.models import Customer, CustomerFolder, CustomerTag, CustomerWorker, utcnow

CUSTOMERS = Customer.__table__
OUTCOMES = ("CREATED", "UPDATED", "SKIPPED", "FAILED")


@dataclass
class Outcome:
    line: int
    outcome: str
    customer_id: int | None = None
    code: str | None = None
    reason: str | None = None
    before: dict | None = None


@dataclass
class Result:
    outcomes: list[Outcome] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys(OUTCOMES, 0)
        for item in self.outcomes:
            found[item.outcome] += 1
        return found


async def find_matches(session, tenant_id: int, match_by: str, keys: set[str]) -> dict:
    """{key: [customer ids]}: external ids through their unique index, emails and phones
    through the identity index (`core/identities.py`, normalised as it normalises)."""
    if not keys:
        return {}
    if match_by != "EXTERNAL_ID":
        return await identities.lookup(session, tenant_id, match_by, keys)
    found: dict[str, list[int]] = {}
    rows = await session.execute(
        select(Customer.external_id, Customer.id).where(
            Customer.tenant_id == tenant_id, Customer.external_id.in_(keys)
        )
    )
    for key, cid in rows:
        found.setdefault(key, []).append(cid)
    return found


def _failed(line: Line) -> Outcome:
    """A line that did not parse, with what the field checks find besides (all at once)."""
    more: list[Problem] = []
    core.new_customer_values(line.data, more)
    line.problems += [p for p in more if p.code != "REQUIRED"]
    code, reason = line.reason()
    return Outcome(line.line, "FAILED", code=code, reason=reason)


def _problem_outcome(number: int, exc: Exception) -> Outcome:
    if isinstance(exc, InvalidInput):
        code = exc.problems[0].code
        reason = "; ".join(p.message for p in exc.problems)[:1000]
    elif isinstance(exc, NotFound):
        code, reason = "NOT_FOUND", f"{exc}."
    else:
        code, reason = "FORBIDDEN", str(exc)[:1000]
    return Outcome(number, "FAILED", code=code, reason=reason)


async def apply(
    session,
    principal: Principal,
    imp: dict,
    lines: list[Line],
    catalog: Catalog,
    record: bool = True,
) -> Result:
    """The lines' outcomes, written unless `record` is off (the preview). A key repeated
    within the chunk is a duplicate of its first line; across chunks the earlier line's
    customer is a match like any other (chunks are the same after a resume)."""
    access.require(principal, "customers.edit")
    tenant_id, mode, match_by = principal.tenant_id, imp["duplicate_mode"], imp["match_by"]
    claimed: dict[str, int] = {}
    keys = {ln.key for ln in lines if ln.key and not ln.problems}
    matches = await find_matches(session, tenant_id, match_by, keys)
    if match_by == "EXTERNAL_ID":  # the lookup just read them
        taken = set(matches)
    else:
        taken = await _taken_external_ids(session, tenant_id, lines)
    result = Result()
    creates: list[tuple[Line, dict]] = []
    updates: list[tuple[Line, int]] = []
    for ln in lines:
        if ln.problems:
            result.outcomes.append(_failed(ln))
            continue
        ids = matches.get(ln.key, []) if ln.key else []
        if ln.key and ln.key in claimed and mode != "CREATE":
            message = f"Same {match_by.lower().replace('_', ' ')} as line {claimed[ln.key]}."
            outcome = "SKIPPED" if mode == "SKIP" else "FAILED"
            result.outcomes.append(Outcome(ln.line, outcome, code="DUPLICATE", reason=message))
            continue
        if ids and mode == "SKIP":
            message = "A customer with this " + match_by.lower().replace("_", " ") + " exists."
            result.outcomes.append(Outcome(ln.line, "SKIPPED", ids[0], "DUPLICATE", message))
            continue
        if ids and mode == "UPDATE":
            if len(ids) > 1:
                message = f"Matches {len(ids)} customers."
                result.outcomes.append(Outcome(ln.line, "FAILED", None, "AMBIGUOUS_MATCH", message))
            else:
                updates.append((ln, ids[0]))
            continue
        external = ln.data.get("external_id")
        if external and external in taken:
            message = "Another customer has this external id."
            result.outcomes.append(Outcome(ln.line, "FAILED", None, "TAKEN", message))
            continue
        values = _new_values(ln, catalog, tenant_id)
        if isinstance(values, Outcome):
            result.outcomes.append(values)
            continue
        if external:
            taken.add(external)
        if ln.key:
            claimed[ln.key] = ln.line
        creates.append((ln, values))
    result.outcomes += await _insert(session, principal, creates, catalog)
    if updates:
        current = await _current(session, [cid for _, cid in updates])
        for ln, customer_id in updates:
            outcome = await _update(session, principal, ln, customer_id, current)
            result.outcomes.append(outcome)
    result.outcomes.sort(key=lambda o: o.line)
    if record:
        await _record(session, principal, imp, result)
    return result


async def _taken_external_ids(session, tenant_id: int, lines: list[Line]) -> set[str]:
    wanted = {ln.data["external_id"] for ln in lines if ln.data.get("external_id")}
    if not wanted:
        return set()
    rows = await session.scalars(
        select(Customer.external_id).where(
            Customer.tenant_id == tenant_id, Customer.external_id.in_(wanted)
        )
    )
    return set(rows)


def _new_values(ln: Line, catalog: Catalog, tenant_id: int) -> dict | Outcome:
    """createCustomer's checks (`core.customers.new_customer_values`, custom fields with
    every required one), or the line's FAILED outcome."""
    problems: list[Problem] = []
    values = core.new_customer_values(ln.data, problems)
    if problems:
        return _problem_outcome(ln.line, InvalidInput(problems))
    try:
        stored = custom_fields.apply_changes(
            catalog.definitions,
            {},
            list(ln.data.get("custom_fields") or []),
            ln.folder_ids,
            check_all_required=True,
        )
    except InvalidInput as exc:
        return _problem_outcome(ln.line, exc)
    now = utcnow()
    values.update(
        tenant_id=tenant_id,
        status_id=ln.data.get("status_id") or catalog.default_status,
        custom_fields=stored,
        follow_up_at=None,
        parent_id=None,
        blocked=False,
        sort_name=values["name"].lower(),
        search_text=search_text(
            values["name"], values["company"], values["emails"], values["phones"]
        ),
        contact_search_text="",
        created_at=now,
        updated_at=now,
        version=1,
    )
    return values


async def _insert(session, principal: Principal, creates, catalog: Catalog) -> list[Outcome]:
    if not creates:
        return []
    statement = insert(CUSTOMERS).returning(CUSTOMERS.c.id, sort_by_parameter_order=True)
    ids = list((await session.execute(statement, [v for _, v in creates])).scalars())
    tenant_id, now = principal.tenant_id, utcnow()
    folders, tags, workers = [], [], []
    assign = not access.can(principal, "customers.view_all")
    for (ln, _), cid in zip(creates, ids, strict=True):
        for folder_id in ln.folder_ids:
            status = catalog.folder_status.get(folder_id)
            folders.append(
                dict(tenant_id=tenant_id, customer_id=cid, folder_id=folder_id, status_id=status)
                | {"added_at": now}
            )
        tags += [dict(tenant_id=tenant_id, customer_id=cid, tag_id=t) for t in ln.tag_ids]
        if assign:
            workers.append(
                dict(tenant_id=tenant_id, customer_id=cid, worker_id=principal.worker_id)
            )
    for model, rows in ((CustomerFolder, folders), (CustomerTag, tags), (CustomerWorker, workers)):
        if rows:
            await session.execute(insert(model.__table__), rows)
    made = [
        SimpleNamespace(id=cid, **values) for (_, values), cid in zip(creates, ids, strict=True)
    ]
    for statement in identities.rewrite_statements(tenant_id, made, fresh=True):
        await session.execute(*statement)
    return [Outcome(ln.line, "CREATED", cid) for (ln, _), cid in zip(creates, ids, strict=True)]


# The `customers` columns an update may change, by `changes` key.
COLUMNS = {
    "emails": "emails",
    "phones": "phones",
    "status_id": "status_id",
    "custom_fields": "custom_fields",
}


async def _current(session, ids: list[int]) -> dict[int, dict]:
    """The update targets' columns before the chunk touches them (one read, not one per
    line). A customer changed twice in a chunk keeps the chunk's first "before": the revert
    restores updates newest line first, so the oldest value is the one that stays."""
    rows = await session.execute(select(CUSTOMERS).where(CUSTOMERS.c.id.in_(ids)))
    return {row["id"]: dict(row) for row in rows.mappings()}


def snapshot(row: dict, changes: dict) -> dict:
    """The columns `changes` touch, as JSON: what a revert writes back."""
    before = {}
    for key in changes:
        column = COLUMNS.get(key, key)
        value = row.get(column)
        before[column] = plain(value)
    return before


async def _update(session, principal: Principal, ln: Line, customer_id: int, current) -> Outcome:
    changes = dict(ln.data)
    try:
        async with session.begin_nested():
            await core.update_customer(session, principal, customer_id, changes)
    except (InvalidInput, NotFound, Forbidden) as exc:
        return _problem_outcome(ln.line, exc)
    before = snapshot(current.get(customer_id, {}), ln.data)
    return Outcome(ln.line, "UPDATED", customer_id, before=before)


async def _record(session, principal: Principal, imp: dict, result: Result) -> None:
    if not result.outcomes:
        return
    rows = [
        {
            "tenant_id": principal.tenant_id,
            "import_id": imp["id"],
            "line": o.line,
            "outcome": o.outcome,
            "customer_id": o.customer_id,
            "reason_code": o.code,
            "reason": o.reason,
            "before": o.before,
        }
        for o in result.outcomes
    ]
    await session.execute(insert(ROWS), rows)
    counts = result.counts()
    await session.execute(
        update(IMPORTS)
        .where(IMPORTS.c.id == imp["id"])
        .values(
            created=IMPORTS.c.created + counts["CREATED"],
            updated=IMPORTS.c.updated + counts["UPDATED"],
            skipped=IMPORTS.c.skipped + counts["SKIPPED"],
            failed=IMPORTS.c.failed + counts["FAILED"],
            updated_at=utcnow(),
        )
    )
    data = {"importId": imp["id"], "created": counts["CREATED"], "updated": counts["UPDATED"]}
    await emit(
        session, Event("customers.imported", principal.tenant_id, None, data, principal.worker_id)
    )
