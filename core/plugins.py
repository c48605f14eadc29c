"""The plugin manager of one app instance: finds the installed plugins (built-in and third
party alike, through the `customer_hub` entry-point group), checks them at start-up, and
calls hooks for all of them or for the modules one tenant enabled."""

import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType

import pluggy

from core import hookspecs
from core.config import Settings

ENTRY_POINT_GROUP = "customer_hub"


class PluginError(Exception):
    """A plugin breaks the contract; raised at start-up, naming the plugin."""


@dataclass(frozen=True)
class Module:
    name: str
    title: str
    description: str = ""
    depends: tuple[str, ...] = ()


class Plugins:
    def __init__(
        self,
        specs: Iterable[ModuleType] = (),
        extra: Iterable[object] = (),
        entry_points: bool | Iterable[str] = True,
        check_hooks: bool = True,
    ):
        """`specs`: further hookspec modules (the GraphQL layer's). Without them hook names
        cannot be checked: only tools that run no GraphQL (the CLI) pass `check_hooks=False`.
        `entry_points`: True for every installed plugin, or the names of those to load."""
        pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
        pm.add_hookspecs(hookspecs)
        for spec in specs:
            pm.add_hookspecs(spec)
        if entry_points is True:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        elif entry_points:
            for name in entry_points:
                if not pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name):
                    raise PluginError(f"plugin {name}: no such entry point in {ENTRY_POINT_GROUP}")
        from core import file_jobs  # core's own job kinds (its imports come back here)

        pm.register(file_jobs, name="core.file_jobs")
        for plugin in extra:
            pm.register(plugin, name=getattr(plugin, "__name__", None))
        self.pm = pm
        self.modules: dict[str, Module] = {}
        self._plugin_of: dict[str, object] = {}
        self._check(check_hooks)

    def _check(self, check_hooks: bool) -> None:
        try:
            if check_hooks:
                self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {self.name(exc.plugin)}: {exc}") from exc
        for impl in self.pm.hook.hub_module.get_hookimpls():
            module = impl.function()
            where = f"plugin {impl.plugin_name}"
            if not isinstance(module, Module) or not module.name.isidentifier():
                raise PluginError(f"{where}: hub_module must return a Module with a valid name")
            if module.name != module.name.lower():
                raise PluginError(f"{where}: module name {module.name!r} must be lower case")
            if module.name in self.modules:
                raise PluginError(f"{where}: module {module.name!r} is installed twice")
            self.modules[module.name] = module
            self._plugin_of[module.name] = impl.plugin
        for module in self.modules.values():
            missing = [d for d in module.depends if d not in self.modules]
            if missing:
                raise PluginError(f"module {module.name}: needs {', '.join(missing)}")
        for name, tables in self.per_module("hub_tables").items():
            for table in tables or []:
                if "tenant_id" not in table.c:
                    raise PluginError(f"module {name}: table {table.name} has no tenant_id")

    def name(self, plugin: object) -> str:
        return self.pm.get_name(plugin) or repr(plugin)

    def module_of(self, plugin: object) -> str | None:
        return next((n for n, p in self._plugin_of.items() if p is plugin), None)

    def per_module(self, hook_name: str, **kwargs) -> dict[str, object]:
        """`{module name: result}` of a hook, called on each module that implements it."""
        results = {}
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            module = self.module_of(impl.plugin)
            if module is not None:
                results[module] = impl.function(**kwargs)
        return results

    def caller(self, hook_name: str, enabled: Iterable[str] | None = None):
        """The hook for every plugin, or (with `enabled`) only for always-on plugins and the
        given modules."""
        hook = getattr(self.pm.hook, hook_name)
        if enabled is None:
            return hook
        enabled = set(enabled)
        off = [p for name, p in self._plugin_of.items() if name not in enabled]
        return self.pm.subset_hook_caller(hook_name, remove_plugins=off) if off else hook

    def implements(self, hook_name: str, enabled: Iterable[str] | None = None) -> bool:
        """Whether any plugin (of those `caller` would call) implements the hook."""
        return bool(self.caller(hook_name, enabled).get_hookimpls())

    async def call(self, hook_name: str, enabled: Iterable[str] | None = None, **kwargs) -> list:
        """Call a hook and await what its implementations return."""
        results = []
        for result in self.caller(hook_name, enabled)(**kwargs):
            results.append(await result if inspect.isawaitable(result) else result)
        return results

    async def call_module(self, module: str, hook_name: str, **kwargs) -> None:
        """One module's own implementation of a hook, if it has one."""
        plugin = self._plugin_of[module]
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            if impl.plugin is plugin:
                result = impl.function(**kwargs)
                if inspect.isawaitable(result):
                    await result

    def migration_locations(self) -> list[str]:
        return [str(path) for path in self.pm.hook.hub_migrations() if path]

    def permission_grants(self) -> dict[str, tuple[str, ...]]:
        grants: dict[str, tuple[str, ...]] = {}
        for result in self.pm.hook.hub_permissions():
            grants.update(result or {})
        return grants

    def error_codes(self) -> dict[str | None, dict[str, str]]:
        """`{module or None (always-on plugins): {code: meaning}}`."""
        found: dict[str | None, dict[str, str]] = {}
        for impl in self.pm.hook.hub_error_codes.get_hookimpls():
            found.setdefault(self.module_of(impl.plugin), {}).update(impl.function() or {})
        return found

    def event_types(self) -> set[str]:
        return {name for result in self.pm.hook.hub_event_types() for name in result or []}


def entry_point_names(settings: Settings) -> bool | list[str]:
    """The `PLUGINS` setting: all installed plugins, or the listed ones."""
    if not settings.plugins:
        return True
    return [name.strip() for name in settings.plugins.split(",") if name.strip()]
