"""Deal and stage writes: validation (everything wrong is reported at once, nothing is
written), permissions, events, inside the caller's transaction.

Every role may open and work deals (`deals.manage`) on customers it may change; shaping the
pipeline (`deals.configure`) is for owners, admins and managers, because every deal of the
business sits in those stages. Stage changes lock the tenant's stages first, so two editors
never interleave positions; a deal move reads its target stage FOR SHARE, so a stage is not
deleted under a deal moving into it.

A move names the deal's `version` it was decided on: the deal row is locked, and a move made
on an older version is VERSION_CONFLICT, never a silent overwrite of the other move."""

import re

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, NotFound, Problem
from core.models import utcnow
from plugins.deals.models import DEFAULT_STAGES, Deal, DealStage

MAX_NAME = 200
MAX_STAGE_NAME = 100
MAX_REASON = 2_000
MAX_KEY = 200
MAX_AMOUNT = 10**12
MAX_STAGES = 30
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
CONFIGURE, MANAGE = "deals.configure", "deals.manage"
ACTIVITY = "DEAL_UPDATE"  # the activities module's kind (its contract: `activity` in events)


# --- stages ----------------------------------------------------------------------------------


async def ensure_default_stages(session: AsyncSession, tenant_id: int) -> list[DealStage]:
    """The tenant's stages, the default pipeline first if it has none (enabling the module
    again finds the stages it had)."""
    stages = await _stages(session, tenant_id)
    if stages:
        return stages
    now = utcnow()
    for position, (name, probability, kind) in enumerate(DEFAULT_STAGES):
        session.add(
            DealStage(
                tenant_id=tenant_id,
                name=name,
                position=position,
                probability=probability,
                kind=kind,
                created_at=now,
            )
        )
    await session.flush()
    return await _stages(session, tenant_id)


async def _stages(session: AsyncSession, tenant_id: int, lock: bool = False) -> list[DealStage]:
    query = (
        select(DealStage)
        .where(DealStage.tenant_id == tenant_id)
        .order_by(DealStage.position, DealStage.id)
        .execution_options(populate_existing=True)
    )
    if lock:  # PostgreSQL: every stage change of the tenant takes its turn here
        query = query.with_for_update()
    return list(await session.scalars(query))


def _stage_in(stages: list[DealStage], stage_id: int, field: str) -> DealStage:
    found = next((s for s in stages if s.id == stage_id), None)
    if found is None:
        raise InvalidInput.one(("input", field), "Stage not found.", "NOT_FOUND")
    return found


def _stage_values(data: dict, stages: list[DealStage], problems: list[Problem], own=None) -> dict:
    values = {}
    if "name" in data:
        name = records.clean_text(
            data["name"], ("input", "name"), MAX_STAGE_NAME, problems, required=True
        )
        if name and any(s.name.casefold() == name.casefold() for s in stages if s is not own):
            problems.append(Problem(("input", "name"), "Another stage has this name.", "TAKEN"))
        values["name"] = name
    if data.get("probability") is not None:
        if not 0 <= data["probability"] <= 100:
            message = "A probability is a percentage from 0 to 100."
            problems.append(Problem(("input", "probability"), message, "INVALID"))
        values["probability"] = data["probability"]
    elif "probability" in data:
        problems.append(Problem(("input", "probability"), "Give a probability.", "REQUIRED"))
    return values


async def _renumber(session: AsyncSession, stages: list[DealStage]) -> None:
    for position, stage in enumerate(stages):
        if stage.position != position:
            stage.position = position
    await session.flush()


async def create_stage(session: AsyncSession, principal: Principal, data: dict) -> DealStage:
    """A new stage at `position` (0-based; default last); the kind never changes later."""
    access.require(principal, CONFIGURE)
    stages = await _stages(session, principal.tenant_id, lock=True)
    problems: list[Problem] = []
    kind = data["kind"]
    default = {"WON": 100, "LOST": 0}.get(kind, 50)
    values = _stage_values(
        {"name": data["name"], "probability": data.get("probability", default)}, stages, problems
    )
    position = data.get("position")
    if position is None:
        position = len(stages)
    elif not 0 <= position <= len(stages):
        message = f"A position from 0 to {len(stages)}."
        problems.append(Problem(("input", "position"), message, "INVALID"))
    if len(stages) >= MAX_STAGES:
        message = f"A pipeline has at most {MAX_STAGES} stages."
        problems.append(Problem(("input",), message, "TOO_MANY"))
    records.fail_if(problems)
    stage = DealStage(tenant_id=principal.tenant_id, kind=kind, position=-1, **values)
    session.add(stage)
    stages.insert(position, stage)
    await session.flush()
    await _renumber(session, stages)
    return stage


async def update_stage(
    session: AsyncSession, principal: Principal, stage_id: int, changes: dict
) -> DealStage:
    """Renames it or changes its probability: the pipeline's weighted values follow."""
    access.require(principal, CONFIGURE)
    stages = await _stages(session, principal.tenant_id, lock=True)
    stage = next((s for s in stages if s.id == stage_id), None)
    if stage is None:
        raise NotFound("Stage")
    problems: list[Problem] = []
    values = _stage_values(changes, stages, problems, own=stage)
    records.fail_if(problems)
    for key, value in values.items():
        setattr(stage, key, value)
    await session.flush()
    return stage


async def reorder_stages(
    session: AsyncSession, principal: Principal, stage_ids: list[int]
) -> list[DealStage]:
    """The stages in the order given, which must name every stage once."""
    access.require(principal, CONFIGURE)
    stages = await _stages(session, principal.tenant_id, lock=True)
    by_id = {s.id: s for s in stages}
    if any(i not in by_id for i in stage_ids):
        raise InvalidInput.one(("input", "stageIds"), "Stage not found.", "NOT_FOUND")
    if len(set(stage_ids)) != len(stage_ids):
        raise InvalidInput.one(("input", "stageIds"), "A stage is named twice.", "DUPLICATE")
    if set(stage_ids) != set(by_id):
        message = "Name every stage of the pipeline once, in the new order."
        raise InvalidInput.one(("input", "stageIds"), message, "INCOMPLETE")
    ordered = [by_id[i] for i in stage_ids]
    for stage in ordered:  # out of the way first: positions may one day be unique
        stage.position = stage.position + len(stages)
    await session.flush()
    await _renumber(session, ordered)
    return ordered


async def delete_stage(session: AsyncSession, principal: Principal, stage_id: int) -> bool:
    """Only an empty stage goes, and never the last of its kind: a pipeline always has a
    stage to open deals in, one to win them and one to lose them."""
    access.require(principal, CONFIGURE)
    stages = await _stages(session, principal.tenant_id, lock=True)
    stage = next((s for s in stages if s.id == stage_id), None)
    if stage is None:
        raise NotFound("Stage")
    if sum(s.kind == stage.kind for s in stages) == 1:
        message = f"The pipeline needs at least one {stage.kind} stage."
        raise InvalidInput.one(("input", "id"), message, "LAST_STAGE_OF_KIND")
    deals = await session.scalar(
        select(func.count())
        .select_from(Deal)
        .where(Deal.tenant_id == principal.tenant_id, Deal.stage_id == stage.id)
    )
    if deals:
        message = f"{deals} deal(s) are in {stage.name}: move them to another stage first."
        raise InvalidInput.one(("input", "id"), message, "DEAL_STAGE_IN_USE")
    await session.delete(stage)
    stages.remove(stage)
    await session.flush()
    await _renumber(session, stages)
    return True


# --- deals -----------------------------------------------------------------------------------


def _money(value: tuple[int, str] | None, problems: list[Problem]) -> tuple[int, str] | None:
    if value is None:
        problems.append(Problem(("input", "value"), "Give a value.", "REQUIRED"))
        return None
    amount, currency = value[0], value[1].strip().upper()
    if not CURRENCY_RE.match(currency):
        message = "Use an ISO-4217 code like EUR."
        problems.append(Problem(("input", "value", "currency"), message, "INVALID"))
    if not 0 <= amount <= MAX_AMOUNT:
        message = "Give an amount in minor units, from 0."
        problems.append(Problem(("input", "value", "amount"), message, "INVALID"))
    return amount, currency


def _reason(value, problems: list[Problem]) -> str | None:
    return records.clean_text(value, ("input", "lostReason"), MAX_REASON, problems)


async def _stage_for_deal(session, tenant_id: int, stage_id: int | None) -> DealStage:
    """The target stage (the first OPEN one when None), read FOR SHARE so it stays while the
    deal moves in."""
    query = select(DealStage).where(DealStage.tenant_id == tenant_id)
    if stage_id is None:
        query = query.where(DealStage.kind == "OPEN").order_by(DealStage.position).limit(1)
    else:
        query = query.where(DealStage.id == stage_id)
    stage = await session.scalar(query.with_for_update(read=True))
    if stage is None:
        raise InvalidInput.one(("input", "stageId"), "Stage not found.", "NOT_FOUND")
    return stage


def _fingerprint(customer_id: int, values: dict) -> str:
    return records.fingerprint({"customer": customer_id, **values})


def _activity(subject: str, body: str) -> dict:
    """What the activities module logs on the customer (its `activity` contract)."""
    return {"kind": ACTIVITY, "subject": subject[:200], "body": body}


def _value(deal: Deal) -> str:
    return f"{deal.amount / 100:,.2f} {deal.currency}"


async def _emit(session, principal, deal: Deal, name: str, **data) -> None:
    """`title` is the deal's name, so the timeline reads "Deal won: Website"."""
    await records.emit(
        session, principal, name, deal.customer_id, dealId=deal.id, title=deal.name, **data
    )


async def _emit_outcome(session, principal, deal: Deal, stage: DealStage, **move) -> None:
    """deal.won / deal.lost on reaching such a stage, each with its activity entry; `move`
    (from a move): the stage it came from, its status and version, what `deal.stage_changed`
    says of a move between open stages: a move that wins or loses emits this event alone,
    so the timeline and the activity log show it once."""
    if stage.kind == "WON":
        activity = _activity(f"Deal won: {deal.name}", f"{_value(deal)} in {stage.name}.")
        value = {"amount": deal.amount, "currency": deal.currency}  # what purchases counts
        await _emit(
            session,
            principal,
            deal,
            "deal.won",
            stageId=stage.id,
            value=value,
            activity=activity,
            **move,
        )
    elif stage.kind == "LOST":
        body = f"{_value(deal)} lost in {stage.name}. Reason: {deal.lost_reason}"
        activity = _activity(f"Deal lost: {deal.name}", body)
        await _emit(
            session,
            principal,
            deal,
            "deal.lost",
            stageId=stage.id,
            reason=deal.lost_reason,
            activity=activity,
            **move,
        )


def _enter(deal: Deal, stage: DealStage, reason: str | None, now) -> None:
    """The deal into `stage`: status, won/lost times and the lost reason follow its kind."""
    deal.stage_id, deal.status = stage.id, stage.kind
    deal.won_at = (deal.won_at or now) if stage.kind == "WON" else None
    deal.lost_at = (deal.lost_at or now) if stage.kind == "LOST" else None
    deal.lost_reason = reason if stage.kind == "LOST" else None


async def create_deal(session: AsyncSession, principal: Principal, data: dict) -> Deal:
    """A deal on a customer; the same idempotency key with the same input answers the first
    deal again (no second event), with other input IDEMPOTENCY_KEY_REUSED."""
    access.require(principal, MANAGE)
    customer = await get_customer(session, principal, data["customer_id"])
    problems: list[Problem] = []
    key = records.clean_text(
        data.get("idempotency_key"), ("input", "idempotencyKey"), MAX_KEY, problems, True
    )
    name = records.clean_text(data.get("name"), ("input", "name"), MAX_NAME, problems, True)
    money = _money(data.get("value"), problems)
    reason = _reason(data.get("lost_reason"), problems)
    owner_id = data.get("owner_id", principal.worker_id)
    await records.check_worker(session, principal.tenant_id, owner_id, "ownerId", problems)
    records.fail_if(problems)
    stage = await _stage_for_deal(session, principal.tenant_id, data.get("stage_id"))
    if stage.kind == "LOST" and not reason:
        message = "Say why the deal was lost."
        raise InvalidInput.one(("input", "lostReason"), message, "REQUIRED")
    values = {
        "name": name,
        "amount": money[0],
        "currency": money[1],
        "stage_id": stage.id,
        "expected_close_date": data.get("expected_close_date"),
        "owner_id": owner_id,
        "lost_reason": reason if stage.kind == "LOST" else None,
    }
    fingerprint = _fingerprint(customer.id, values)
    now = utcnow()
    table = Deal.__table__
    deal_id = await session.scalar(
        records.upsert(session, table)
        .values(
            tenant_id=principal.tenant_id,
            customer_id=customer.id,
            status=stage.kind,
            won_at=now if stage.kind == "WON" else None,
            lost_at=now if stage.kind == "LOST" else None,
            version=1,
            idempotency_key=key,
            fingerprint=fingerprint,
            created_by_id=principal.worker_id,
            created_at=now,
            updated_at=now,
            **values,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"])
        .returning(table.c.id)
    )
    if deal_id is None:
        first = await session.scalar(
            select(Deal).where(Deal.tenant_id == principal.tenant_id, Deal.idempotency_key == key)
        )
        if first is None or first.fingerprint != fingerprint:
            raise records.key_reused("deal")
        return first
    deal = await session.get(Deal, deal_id)
    activity = _activity(f"Deal opened: {deal.name}", f"{_value(deal)} in {stage.name}.")
    await _emit(
        session,
        principal,
        deal,
        "deal.created",
        stageId=stage.id,
        amount=deal.amount,
        currency=deal.currency,
        activity=activity,
    )
    await _emit_outcome(session, principal, deal, stage)
    return deal


async def _locked(session, principal: Principal, deal_id: int, version: int | None) -> Deal:
    access.require(principal, MANAGE)
    deal = await records.for_update(session, principal, Deal, deal_id, "Deal")
    if version is not None and deal.version != version:
        message = (
            f"The deal changed since version {version} (it is at {deal.version}, in another "
            "stage or with other values): read it again and decide on what it is now."
        )
        raise InvalidInput.one(("input", "version"), message, "VERSION_CONFLICT")
    return deal


async def update_deal(
    session: AsyncSession, principal: Principal, deal_id: int, changes: dict
) -> Deal:
    """Only the members of `changes` change; None clears the close date or the owner. A given
    `version` must be the deal's."""
    deal = await _locked(session, principal, deal_id, changes.pop("version", None))
    problems: list[Problem] = []
    values = {}
    if "name" in changes:
        values["name"] = records.clean_text(
            changes["name"], ("input", "name"), MAX_NAME, problems, True
        )
    if "value" in changes:
        money = _money(changes["value"], problems)
        if money is not None:
            values["amount"], values["currency"] = money
    if "expected_close_date" in changes:
        values["expected_close_date"] = changes["expected_close_date"]
    if "owner_id" in changes:
        await records.check_worker(
            session, principal.tenant_id, changes["owner_id"], "ownerId", problems
        )
        values["owner_id"] = changes["owner_id"]
    if "lost_reason" in changes:
        reason = _reason(changes["lost_reason"], problems)
        if deal.status != "LOST":
            message = "Only a lost deal has a lost reason."
            problems.append(Problem(("input", "lostReason"), message, "INVALID"))
        elif not reason:
            problems.append(Problem(("input", "lostReason"), "Say why it was lost.", "REQUIRED"))
        values["lost_reason"] = reason
    records.fail_if(problems)
    changed = [key for key, value in values.items() if getattr(deal, key) != value]
    for key in changed:
        setattr(deal, key, values[key])
    if changed:
        deal.version += 1
        deal.updated_at = utcnow()
        await session.flush()
        fields = sorted({_api_name(key) for key in changed})
        await _emit(session, principal, deal, "deal.updated", fields=fields, version=deal.version)
    return deal


def _api_name(key: str) -> str:
    return {
        "amount": "value",
        "currency": "value",
        "expected_close_date": "expectedCloseDate",
        "owner_id": "ownerId",
        "lost_reason": "lostReason",
    }.get(key, key)


async def move_deal(
    session: AsyncSession,
    principal: Principal,
    deal_id: int,
    stage_id: int,
    version: int,
    reason: str | None,
) -> Deal:
    """Into another stage, decided on `version`. Moving to a LOST stage takes a reason; the
    stage it is in already is a no-op. Emits one event: deal.stage_changed into an open
    stage, deal.won / deal.lost (with the stage it came from) into a won or lost one."""
    deal = await _locked(session, principal, deal_id, version)
    problems: list[Problem] = []
    reason = _reason(reason, problems)
    records.fail_if(problems)
    stage = await _stage_for_deal(session, principal.tenant_id, stage_id)
    if stage.id == deal.stage_id:
        return deal
    if stage.kind == "LOST" and not reason:
        message = "Say why the deal was lost."
        raise InvalidInput.one(("input", "lostReason"), message, "REQUIRED")
    old = await session.get(DealStage, deal.stage_id)
    now = utcnow()
    _enter(deal, stage, reason, now)
    deal.version += 1
    deal.updated_at = now
    await session.flush()
    if stage.kind != "OPEN":  # one event for one happening: won (or lost) from `old`
        await _emit_outcome(
            session,
            principal,
            deal,
            stage,
            fromStage=old.name,
            fromStageId=old.id,
            status=deal.status,
            version=deal.version,
        )
        return deal
    subject = f"Deal moved to {stage.name}: {deal.name}"
    await _emit(
        session,
        principal,
        deal,
        "deal.stage_changed",
        status=deal.status,
        version=deal.version,
        activity=_activity(subject, f"{old.name} → {stage.name}, {_value(deal)}."),
        **{"from": old.name, "to": stage.name, "fromStageId": old.id, "toStageId": stage.id},
    )
    return deal


async def delete_deal(session: AsyncSession, principal: Principal, deal_id: int) -> bool:
    deal = await _locked(session, principal, deal_id, None)
    await _emit(session, principal, deal, "deal.deleted")
    await session.delete(deal)
    await session.flush()
    return True


async def move_deals(session: AsyncSession, tenant_id: int, source_id: int, target_id: int):
    """Merging customers: the duplicate's deals join the record kept."""
    await records.move_to_customer(session, tenant_id, source_id, target_id, Deal)
