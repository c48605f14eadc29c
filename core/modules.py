"""Which modules a tenant uses. Switching one off hides it and keeps its data; switching it
on again shows the data again."""

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access
from core.auth import Principal
from core.errors import InvalidInput
from core.events import Event, emit
from core.models import TenantModule
from core.plugins import Plugins


async def enabled_modules(conn, tenant_id: int) -> set[str]:
    rows = await conn.execute(
        select(TenantModule.module).where(TenantModule.tenant_id == tenant_id)
    )
    return {module for (module,) in rows}


async def set_enabled(
    session: AsyncSession, principal: Principal, plugins: Plugins, name: str, enabled: bool
) -> set[str]:
    """The tenant's enabled modules after switching `name` on or off. A module another
    enabled module depends on cannot be switched off, nor one switched on without what it
    needs."""
    access.require(principal, "modules.manage")
    module = plugins.modules.get(name)
    if module is None:
        raise InvalidInput.one(("input", "module"), f"There is no module '{name}'.", "NOT_FOUND")
    current = await enabled_modules(await session.connection(), principal.tenant_id)
    if enabled and name not in current:
        missing = [d for d in module.depends if d not in current]
        if missing:
            raise InvalidInput.one(
                ("input", "module"), f"Enable {', '.join(missing)} first.", "DEPENDENCY"
            )
        session.add(TenantModule(tenant_id=principal.tenant_id, module=name))
        await session.flush()
        await plugins.call_module(
            name, "hub_module_enabled", session=session, tenant_id=principal.tenant_id
        )
        await emit(session, Event("module.enabled", principal.tenant_id, None, {"module": name}))
        return current | {name}
    if not enabled and name in current:
        needed_by = [
            m for m in current if m in plugins.modules and name in plugins.modules[m].depends
        ]
        if needed_by:
            raise InvalidInput.one(
                ("input", "module"), f"{', '.join(needed_by)} needs it.", "DEPENDENCY"
            )
        await session.execute(
            delete(TenantModule).where(
                TenantModule.tenant_id == principal.tenant_id, TenantModule.module == name
            )
        )
        await plugins.call_module(
            name, "hub_module_disabled", session=session, tenant_id=principal.tenant_id
        )
        await emit(session, Event("module.disabled", principal.tenant_id, None, {"module": name}))
        return current - {name}
    return current


async def enable_all(session: AsyncSession, plugins: Plugins, tenant_id: int) -> None:
    """Every installed module on (the demo tenant shows everything)."""
    current = await enabled_modules(await session.connection(), tenant_id)
    session.add_all(
        TenantModule(tenant_id=tenant_id, module=name)
        for name in plugins.modules
        if name not in current
    )
    await session.flush()
