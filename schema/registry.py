"""One schema per distinct set of enabled modules, built once and cached (DESIGN §3): core
plus what those modules graft. The schema with every installed module is built at start-up,
so a plugin that breaks the contract fails there, named, and never at a request."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from strawberry.schema.name_converter import NameConverter

from core import csv_import_jobs
from core.config import Settings
from core.plugins import PluginError, Plugins, entry_point_names
from schema import hookspecs
from schema.app import HubSchema, Mutation, Query, build_schema
from schema.catalog.types import Folder, Status, Tag
from schema.customers.types import Customer
from schema.subscriptions import Subscription
from schema.tabs import TabSpec
from schema.team.types import Worker

GRAFT_HOOKS = {
    "hub_customer_fields": "Customer",
    "hub_query_fields": "Query",
    "hub_mutation_fields": "Mutation",
    "hub_subscription_fields": "Subscription",
}
GRAFTABLE = {
    "Customer": Customer,
    "Query": Query,
    "Mutation": Mutation,
    "Subscription": Subscription,
    "Folder": Folder,
    "Status": Status,
    "Tag": Tag,
    "Worker": Worker,
}
CORE_TABS = (TabSpec("profile", "Profile", "user", position=0),)


@dataclass
class Contribution:
    """What one plugin adds; `module` is None for an always-on plugin."""

    plugin: str
    module: str | None
    grafts: dict[str, list] = field(default_factory=dict)
    types: list = field(default_factory=list)
    tabs: list[TabSpec] = field(default_factory=list)
    nodes: dict = field(default_factory=dict)


def _named(graft):
    if not getattr(graft, "python_name", None):
        graft.python_name = graft.base_resolver.name
    return graft


class SchemaRegistry:
    def __init__(self, plugins: Plugins, extensions: tuple = ()):
        self.plugins = plugins
        self.extensions = tuple(extensions)  # e.g. tracing (`schema/tracing.py`)
        self.contributions = self._collect()
        self.field_owner: dict[tuple[str, str], str] = {}
        self._cache: dict[frozenset[str], HubSchema] = {}
        self.full = self.schema_for(frozenset(plugins.modules))

    def _collect(self) -> list[Contribution]:
        found: dict[str, Contribution] = {}
        pm = self.plugins.pm

        def contribution(impl) -> Contribution:
            plugin = impl.plugin
            name = self.plugins.name(plugin)
            if name not in found:
                found[name] = Contribution(name, self.plugins.module_of(plugin))
            return found[name]

        for hook_name, type_name in GRAFT_HOOKS.items():
            for impl in getattr(pm.hook, hook_name).get_hookimpls():
                fields = [_named(f) for f in impl.function() or []]
                contribution(impl).grafts.setdefault(type_name, []).extend(fields)
        for impl in pm.hook.hub_type_fields.get_hookimpls():
            for type_name, fields in (impl.function() or {}).items():
                if type_name not in GRAFTABLE or type_name in GRAFT_HOOKS.values():
                    raise PluginError(f"plugin {impl.plugin_name}: cannot graft onto {type_name}")
                grafts = contribution(impl).grafts.setdefault(type_name, [])
                grafts.extend(_named(f) for f in fields)
        for impl in pm.hook.hub_types.get_hookimpls():
            contribution(impl).types.extend(impl.function() or [])
        for impl in pm.hook.hub_node_resolvers.get_hookimpls():
            contribution(impl).nodes.update(impl.function() or {})
        keys = {t.key for t in CORE_TABS}
        for impl in pm.hook.hub_profile_tabs.get_hookimpls():
            for tab in impl.function() or []:
                if tab.key in keys:
                    raise PluginError(f"plugin {impl.plugin_name}: profile tab {tab.key!r} exists")
                keys.add(tab.key)
                contribution(impl).tabs.append(tab)
        return list(found.values())

    def active(self, enabled: Iterable[str]) -> list[Contribution]:
        enabled = set(enabled)
        return [c for c in self.contributions if c.module is None or c.module in enabled]

    def tabs(self, enabled: frozenset[str]) -> list[TabSpec]:
        tabs = [*CORE_TABS, *(t for c in self.active(enabled) for t in c.tabs)]
        return sorted(tabs, key=lambda t: (t.position, t.key))

    def node_resolver(self, enabled: frozenset[str], type_name: str):
        return next(
            (c.nodes[type_name] for c in self.active(enabled) if type_name in c.nodes), None
        )

    def schema_for(self, enabled: frozenset[str]) -> HubSchema:
        enabled = frozenset(enabled) & frozenset(self.plugins.modules)
        if enabled not in self._cache:
            self._cache[enabled] = self._build(self.active(enabled))
        return self._cache[enabled]

    def _build(self, contributions: list[Contribution]) -> HubSchema:
        grafts: dict[str, list] = {}
        types = []
        names = NameConverter()
        for contribution in contributions:
            for type_name, fields in contribution.grafts.items():
                own = GRAFTABLE[type_name].__strawberry_definition__.fields
                taken = {names.get_graphql_name(f) for f in own}
                taken |= {names.get_graphql_name(f) for f in grafts.get(type_name, [])}
                for graft in fields:
                    graphql_name = names.get_graphql_name(graft)
                    if graphql_name in taken:
                        raise PluginError(
                            f"plugin {contribution.plugin}: field {type_name}.{graphql_name} "
                            "exists already (core or another plugin)"
                        )
                    taken.add(graphql_name)
                    if contribution.module:
                        self.field_owner[(type_name, graphql_name)] = contribution.module
                grafts.setdefault(type_name, []).extend(fields)
            types.extend(contribution.types)
        try:
            return build_schema(grafts, types, self.extensions)
        except Exception as exc:
            names_ = ", ".join(c.plugin for c in contributions if c.module) or "core"
            raise PluginError(f"the schema with plugins {names_} does not build: {exc}") from exc

    def module_of(self, type_name: str, field_name: str) -> str | None:
        """The module owning a grafted field, for a clear error when it is switched off."""
        return self.field_owner.get((type_name, field_name))


def make_plugins(extra: Iterable[object] = (), entry_points: bool | None = None) -> Plugins:
    """The installed plugins (or those `PLUGINS` names) plus `extra` ones."""
    if entry_points is None:
        entry_points = entry_point_names(Settings())
    from schema.customers import bulk_hooks, csv_export_jobs  # core's own job kinds

    extra = [csv_export_jobs, bulk_hooks, csv_import_jobs, *extra]
    return Plugins(specs=[hookspecs], extra=extra, entry_points=entry_points)
