"""Installed modules and the tenant's choice of them. A change shows from the next request
on: that request gets the schema of the new module set."""

import strawberry

from core import modules as svc
from core.error_codes import CORE_CODES
from schema.context import Info
from schema.payloads import UserError, input_named, mutate


@strawberry.type(description="An installed module (profile tab) and whether this tenant uses it.")
class Module:
    name: str = strawberry.field(description="Also the field it adds to `Customer`.")
    title: str
    description: str
    depends_on: list[str]
    enabled: bool


@strawberry.type(description="Every installed module after the change, or why nothing changed.")
class ModulesPayload:
    modules: list[Module]
    user_errors: list[UserError]


@strawberry.input
class ModuleInput:
    module: str = strawberry.field(description="The module's `name`.")


EnableModuleInput = input_named(ModuleInput, "EnableModuleInput")
DisableModuleInput = input_named(ModuleInput, "DisableModuleInput")


def _modules(info: Info, enabled: set[str] | frozenset[str]) -> list[Module]:
    return [
        Module(
            name=m.name,
            title=m.title,
            description=m.description,
            depends_on=list(m.depends),
            enabled=m.name in enabled,
        )
        for m in sorted(info.context.plugins.modules.values(), key=lambda m: m.name)
    ]


async def _switch(info: Info, name: str, enabled: bool) -> ModulesPayload:
    plugins = info.context.plugins
    result, errors = await mutate(
        info, lambda s, p: svc.set_enabled(s, p, plugins, name, enabled), "module"
    )
    current = result if result is not None else info.context.principal.modules
    return ModulesPayload(modules=_modules(info, current), user_errors=errors)


@strawberry.type(description="A code errors and `userErrors` may carry, and what it means.")
class ErrorCode:
    code: str
    description: str
    module: str | None = strawberry.field(description="The module that raises it; null: core.")


@strawberry.type
class ModuleQueries:
    @strawberry.field(description="Installed modules, with whether this tenant enabled each.")
    def modules(self, info: Info) -> list[Module]:
        return _modules(info, info.context.principal.modules)

    @strawberry.field(
        description="Every code `extensions.code` and `UserError.code` may carry here: "
        "core's and those of the modules this tenant enabled, sorted by code."
    )
    def error_codes(self, info: Info) -> list[ErrorCode]:
        enabled = info.context.principal.modules
        found = {code: ErrorCode(code=code, description=text, module=None)
                 for code, text in CORE_CODES.items()}  # fmt: skip
        for module, codes in info.context.plugins.error_codes().items():
            if module is None or module in enabled:
                for code, text in codes.items():
                    found.setdefault(code, ErrorCode(code=code, description=text, module=module))
        return sorted(found.values(), key=lambda c: c.code)


@strawberry.type
class ModuleMutations:
    @strawberry.mutation(description="Switch a module on for this tenant (`modules.manage`).")
    async def enable_module(self, info: Info, input: EnableModuleInput) -> ModulesPayload:
        return await _switch(info, input.module, True)

    @strawberry.mutation(
        description="Switch a module off for this tenant; its data stays and comes back when "
        "it is enabled again (`modules.manage`)."
    )
    async def disable_module(self, info: Info, input: DisableModuleInput) -> ModulesPayload:
        return await _switch(info, input.module, False)
