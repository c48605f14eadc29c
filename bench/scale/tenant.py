"""The tenant's small tables (team, folders and their statuses, tags, custom field
definitions, folder access, modules, insurance providers), written through the app's own
code and models as the demo does, so their defaults are the app's; the bulk generators then
fill the big tables around these ids."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bench.scale import shape
from core import events
from core.database import Database
from core.models import (
    CustomFieldDefinition,
    Folder,
    FolderAccess,
    Status,
    Tag,
    Tenant,
    Worker,
)
from core.modules import enable_all
from core.plugins import Plugins
from core.tenants import create_tenant
from plugins.insurance.models import InsuranceProvider


@dataclass
class Ids:
    """What the generators and the scenarios need to know of the tenant."""

    tenant_id: int
    owner_id: int
    admin_id: int
    agent_id: int  # the restricted agent: its assignments and the agents' folders
    statuses: dict[str, int]  # the tenant's own list, by name
    folders: list[int]  # in `shape.FOLDERS` order
    folder_statuses: list[list[int]]  # per folder, the default first
    tags: list[int]  # in `shape.TAG_NAMES` order
    workers: list[int]  # assignable (all but the owner), by position
    providers: list[int]

    def folder(self, name: str) -> int:
        return self.folders[list(shape.FOLDERS).index(name)]

    def tag(self, name: str) -> int:
        return self.tags[shape.TAG_NAMES.index(name)]


async def create(db: Database, plugins: Plugins, start: datetime) -> Ids:
    async with db.transaction() as session:
        owner_name = "Olivia Owner"
        tenant, owner = await create_tenant(
            session, shape.TENANT, owner_name, f"olivia.owner@{shape.DOMAIN}", shape.TIME_ZONE
        )
        tenant.created_at = owner.created_at = owner.updated_at = start
        tid = tenant.id
        roles = [role for role, count in shape.TEAM for _ in range(count)]
        names = shape.worker_names(len(roles))
        workers = [
            Worker(
                tenant_id=tid,
                name=name,
                email=f"{shape.slug(name.split()[0])}.{shape.slug(name.split()[1])}{i}@"
                f"{shape.DOMAIN}",
                role=role,
                at_work=i % 5 != 4,
                position=i + 1,
                created_at=start,
                updated_at=start,
            )
            for i, (name, role) in enumerate(zip(names, roles, strict=True))
        ]
        folders = [
            Folder(tenant_id=tid, name=name, color=color, position=i, created_at=start)
            for i, (name, (color, _weight, _statuses)) in enumerate(shape.FOLDERS.items())
        ]
        tags = [
            Tag(tenant_id=tid, name=name, color="#64748b", position=i)
            for i, name in enumerate(shape.TAG_NAMES)
        ]
        session.add_all([*workers, *folders, *tags])
        await session.flush()
        session.add_all(
            Status(
                tenant_id=tid,
                folder_id=folder.id,
                name=status,
                color="#94a3b8",
                category=category,
                position=position,
                is_default=position == 0,
            )
            for folder, (_, _, statuses) in zip(folders, shape.FOLDERS.values(), strict=True)
            for position, (status, category) in enumerate(statuses)
        )
        session.add_all(
            CustomFieldDefinition(
                tenant_id=tid,
                key=spec["key"],
                label=spec["label"],
                type=spec["type"],
                options=spec.get("options", []),
                required=False,
                group_name=spec["group"],
                position=position,
                folder_ids=[],
                condition_values=[],
            )
            for position, spec in enumerate(shape.CUSTOM_FIELDS)
        )
        by_name = {f.name: f.id for f in folders}
        session.add_all(
            FolderAccess(tenant_id=tid, folder_id=by_name[name], role=role, can_edit=True)
            for role, names in (("manager", shape.MANAGER_FOLDERS), ("agent", shape.AGENT_FOLDERS))
            for name in names
        )
        session.add_all(
            InsuranceProvider(tenant_id=tid, name=name, created_at=start, updated_at=start)
            for name in shape.INSURANCE_PROVIDERS
        )
        await enable_all(session, plugins, tid)
        # each module's defaults (deal stages, purchase categories, the loyalty program), as
        # switching it on in the app makes them; `enable_all` only records the switch
        events.bind(session, plugins, frozenset(plugins.modules))
        for name in plugins.modules:
            await plugins.call_module(name, "hub_module_enabled", session=session, tenant_id=tid)
    return await load(db)


async def load(db: Database) -> Ids:
    """The ids of the (one) scale tenant of this database."""
    async with db.read() as conn:
        tid = await conn.scalar(select(Tenant.id).where(Tenant.name == shape.TENANT))
        if tid is None:
            raise RuntimeError(f"no tenant {shape.TENANT!r} in this database")
        workers = (
            await conn.execute(
                select(Worker.id, Worker.role)
                .where(Worker.tenant_id == tid)
                .order_by(Worker.position, Worker.id)
            )
        ).all()
        statuses = (
            await conn.execute(
                select(Status.id, Status.name, Status.folder_id)
                .where(Status.tenant_id == tid)
                .order_by(Status.folder_id, Status.position, Status.id)
            )
        ).all()
        folders = (
            await conn.scalars(
                select(Folder.id).where(Folder.tenant_id == tid).order_by(Folder.position)
            )
        ).all()
        tags = (
            await conn.scalars(select(Tag.id).where(Tag.tenant_id == tid).order_by(Tag.position))
        ).all()
        providers = (
            await conn.scalars(
                select(InsuranceProvider.id)
                .where(InsuranceProvider.tenant_id == tid)
                .order_by(InsuranceProvider.id)
            )
        ).all()
    owner = next(w for w, role in workers if role == "owner")
    assignable = [w for w, role in workers if role != "owner"]
    return Ids(
        tenant_id=tid,
        owner_id=owner,
        admin_id=next(w for w, role in workers if role == "admin"),
        agent_id=next(w for w, role in workers if role == "agent"),
        statuses={name: sid for sid, name, folder in statuses if folder is None},
        folders=list(folders),
        folder_statuses=[[sid for sid, _, f in statuses if f == folder] for folder in folders],
        tags=list(tags),
        workers=assignable,
        providers=list(providers),
    )
