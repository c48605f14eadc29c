"""The schema: root types assembled from each domain's queries and mutations, and the
extensions every request runs through."""

import strawberry
from strawberry.extensions import ParserCache

from schema.avatars import AvatarMutations
from schema.catalog.mutations import CatalogMutations
from schema.catalog.queries import CatalogQueries
from schema.compiled.execute import CompiledExecution
from schema.customers.archive import ArchiveMutations
from schema.customers.bulk import BulkMutations, BulkQueries
from schema.customers.contacts import ContactMutations
from schema.customers.csv_export import CsvExportMutations, CsvExportQueries
from schema.customers.duplicates import DuplicateQueries
from schema.customers.imports import ImportMutations, ImportQueries
from schema.customers.merges import MergeMutations, MergeQueries
from schema.customers.mutations import CustomerMutations
from schema.customers.queries import CustomerQueries
from schema.errors import ErrorCodes
from schema.files import FileMutations
from schema.jobs import JobMutations, JobQueries
from schema.limits import QueryLimits, limits_of, refine_errors
from schema.live_execution import SharedEventExecutor
from schema.modules import ModuleMutations, ModuleQueries
from schema.nodes import NodeQueries
from schema.permissions import PermissionMutations, PermissionQueries
from schema.security import SecurityMutations, SecurityQueries
from schema.segments.mutations import SegmentMutations
from schema.segments.queries import SegmentQueries
from schema.subscriptions import Subscription
from schema.team.mutations import TeamMutations
from schema.team.queries import TeamQueries
from schema.text import StoredText
from schema.validation import ValidationByText


@strawberry.type
class Query(
    NodeQueries,
    TeamQueries,
    CustomerQueries,
    CatalogQueries,
    ModuleQueries,
    PermissionQueries,
    SecurityQueries,
    JobQueries,
    CsvExportQueries,
    BulkQueries,
    ImportQueries,
    DuplicateQueries,
    MergeQueries,
    SegmentQueries,
):
    pass


@strawberry.type
class Mutation(
    CustomerMutations,
    ContactMutations,
    CatalogMutations,
    TeamMutations,
    ModuleMutations,
    PermissionMutations,
    SecurityMutations,
    JobMutations,
    MergeMutations,
    FileMutations,
    AvatarMutations,
    CsvExportMutations,
    BulkMutations,
    SegmentMutations,
    ArchiveMutations,
    ImportMutations,
):
    pass


class HubSchema(strawberry.Schema):
    """Core's static types plus the fields the enabled modules graft onto them (DESIGN §3):
    one class per GraphQL name, whatever the module set."""

    def __init__(self, *args, grafts: dict[str, list] | None = None, **kwargs):
        self.grafts = grafts or {}
        super().__init__(*args, **kwargs)

    def get_fields(self, type_definition):
        return [*type_definition.fields, *self.grafts.get(type_definition.name, [])]

    def get_field_for_type(self, field_name: str, type_name: str):
        type_definition = self.get_type_by_name(type_name)
        if type_definition is None:
            return None
        name_of = self.config.name_converter.get_graphql_name
        return next((f for f in self.get_fields(type_definition) if name_of(f) == field_name), None)

    def process_errors(self, errors, execution_context=None) -> None:
        """`ErrorCodes` logs the unexpected ones with their request id; a client's mistake
        is not a server log line. Here only the limits' wording (`schema/limits.py`)."""
        context = execution_context.context if execution_context is not None else None
        refine_errors(errors, limits_of(context))


def build_schema(
    grafts: dict[str, list] | None = None, types: list | None = None, extensions: tuple = ()
) -> HubSchema:
    return HubSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=types or [],
        grafts=grafts,
        execution_context_class=SharedEventExecutor,
        # The limits come from each request's settings (`Context.settings`), so one schema
        # serves any settings; `QueryLimits` keeps its rule classes stable for
        # the validation cache (schema/limits.py, schema/validation.py).
        extensions=[
            ErrorCodes,
            QueryLimits,
            StoredText,
            lambda: ParserCache(maxsize=256),
            ValidationByText,
            *extensions,
            CompiledExecution,  # last: the limits and checks above have run
        ],
    )
