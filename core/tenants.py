"""Tenants: creating one with everything a fresh account needs to work (an owner and a
customer status list), its settings, and turning a token's ids back into a `Principal`."""

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import Date, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from core import access
from core.auth import Principal
from core.contacts import EMAIL_RE
from core.customers import SUB_CUSTOMER_COPYABLE
from core.errors import InvalidInput, NotFound, Problem
from core.models import Status, Tenant, Worker, now_param

# (name, color, category, is_default): a new customer starts as a prospect.
DEFAULT_STATUSES = (
    ("New", "#3b82f6", "PROSPECT", True),
    ("Active", "#22c55e", "ACTIVE", False),
    ("On hold", "#f59e0b", "INACTIVE", False),
    ("Lost", "#ef4444", "CHURNED", False),
)
DEFAULT_COPY_FIELDS = ("company", "city", "phones", "folders", "workers")
SETTINGS = ("name", "time_zone", "sub_customer_copy_fields", "duplicate_policy")
DUPLICATE_POLICIES = ("WARN", "BLOCK")  # core/duplicates.py


def _name(value, field: str, problems: list[Problem], limit: int = 200) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        problems.append(Problem(("input", field), "This field is required.", "REQUIRED"))
    elif len(value) > limit:
        problems.append(Problem(("input", field), f"At most {limit} characters.", "TOO_LONG"))
    return value


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - {"localtime"}


def zone_of(name: str | None) -> ZoneInfo:
    """The zone a tenant's days are counted in; a missing or unknown name is UTC."""
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


async def tenant_zone(conn, tenant_id: int) -> ZoneInfo:
    """The tenant's zone, read on `conn` (a connection or a session)."""
    return zone_of(await conn.scalar(select(Tenant.time_zone).where(Tenant.id == tenant_id)))


class zone_day(FunctionElement):
    """`zone_day(zone name, utc time)`: the calendar day at that time in that zone, in SQL
    (`zone_of`'s day; PostgreSQL's `timezone()`, SQLite's `hub_zone_day`, which
    `core.database` registers on each connection)."""

    type = Date()
    inherit_cache = True


@compiles(zone_day, "postgresql")
def _zone_day_pg(element, compiler, **kw):
    zone, moment = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(timezone({zone}, {moment}) AS date)"


@compiles(zone_day)
def _zone_day(element, compiler, **kw):
    return f"hub_zone_day({compiler.process(element.clauses, **kw)})"


def sqlite_zone_day(zone: str | None, moment: str | None) -> str | None:
    """`hub_zone_day` on SQLite: the stored UTC time (text) as a day in the zone."""
    if moment is None:
        return None
    at = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    return at.astimezone(zone_of(zone)).date().isoformat()


def today_of(tenant_id: int):
    """The tenant's calendar day (in its time zone) when the statement runs (`now_param`):
    a query kept and run again, like the compiled path's, reads the day of each run."""
    day = zone_day(Tenant.time_zone, now_param())
    return select(day).where(Tenant.id == tenant_id).scalar_subquery()


def _time_zone(value, problems: list[Problem]) -> str:
    """Only IANA names: every date the tenant sees is computed in this zone, so a typo must
    fail here rather than on some later read. Checked against the list because `ZoneInfo(name)`
    also opens `posix/…` paths, the machine's `localtime` and (failing oddly) directories."""
    name = value.strip() if isinstance(value, str) else ""
    if name not in _zone_names():
        problems.append(
            Problem(("input", "timeZone"), f"'{value}' is not a known time zone.", "INVALID")
        )
    return name


def _copy_fields(value, problems: list[Problem]) -> list[str]:
    given = list(value or [])
    for index, item in enumerate(given):
        if item not in SUB_CUSTOMER_COPYABLE:
            problems.append(
                Problem(
                    ("input", "subCustomerCopyFields", str(index)),
                    f"'{item}' cannot be copied to sub-customers "
                    f"(choose from {', '.join(SUB_CUSTOMER_COPYABLE)}).",
                    "INVALID",
                )
            )
    return [f for f in SUB_CUSTOMER_COPYABLE if f in given]


async def create_tenant(
    session: AsyncSession, name: str, owner_name: str, owner_email: str, time_zone: str = "UTC"
) -> tuple[Tenant, Worker]:
    """Not a principal's action: the CLI and sign-up create tenants, before anyone can ask."""
    problems: list[Problem] = []
    name = _name(name, "name", problems)
    owner_name = _name(owner_name, "ownerName", problems)
    owner_email = (owner_email or "").strip().lower()
    if not EMAIL_RE.match(owner_email):
        problems.append(
            Problem(("input", "ownerEmail"), f"'{owner_email}' is not an email address.", "INVALID")
        )
    time_zone = _time_zone(time_zone, problems)
    if problems:
        raise InvalidInput(problems)

    tenant = Tenant(name=name, time_zone=time_zone, sub_customer_copy_fields=[*DEFAULT_COPY_FIELDS])
    session.add(tenant)
    await session.flush()
    owner = Worker(tenant_id=tenant.id, name=owner_name, email=owner_email, role="owner")
    session.add(owner)
    session.add_all(
        Status(
            tenant_id=tenant.id,
            folder_id=None,
            name=status,
            color=color,
            category=category,
            position=position,
            is_default=is_default,
        )
        for position, (status, color, category, is_default) in enumerate(DEFAULT_STATUSES)
    )
    await session.flush()
    return tenant, owner


async def update_tenant_settings(
    session: AsyncSession, principal: Principal, changes: dict
) -> Tenant:
    """`changes` holds only the settings the caller sent (keys of `SETTINGS`)."""
    access.require(principal, "settings.manage")
    unknown = set(changes) - set(SETTINGS)
    if unknown:
        raise TypeError(f"Unknown tenant settings: {', '.join(sorted(unknown))}")
    tenant = await session.get(Tenant, principal.tenant_id)
    if tenant is None:
        raise NotFound("Tenant")
    problems: list[Problem] = []
    values = {}
    if "name" in changes:
        values["name"] = _name(changes["name"], "name", problems)
    if "time_zone" in changes:
        values["time_zone"] = _time_zone(changes["time_zone"], problems)
    if "sub_customer_copy_fields" in changes:
        values["sub_customer_copy_fields"] = _copy_fields(
            changes["sub_customer_copy_fields"], problems
        )
    if "duplicate_policy" in changes:
        values["duplicate_policy"] = changes["duplicate_policy"]
        if values["duplicate_policy"] not in DUPLICATE_POLICIES:
            problems.append(Problem(("input", "duplicatePolicy"), "WARN or BLOCK.", "INVALID"))
    if problems:
        raise InvalidInput(problems)
    for key, value in values.items():
        setattr(tenant, key, value)
    await session.flush()
    return tenant
