"""The schema: root types assembled from each domain's queries and mutations, and the
extensions every request runs through."""

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
    max_aliases,
    query_depth_limiter,
)

from schema.catalog.mutations import CatalogMutations
from schema.catalog.queries import CatalogQueries
from schema.customers.mutations import CustomerMutations
from schema.customers.queries import CustomerQueries
from schema.errors import ErrorCodes
from schema.modules import ModuleMutations, ModuleQueries
from schema.nodes import NodeQueries
from schema.permissions import PermissionMutations, PermissionQueries
from schema.team.mutations import TeamMutations
from schema.team.queries import TeamQueries

MAX_DEPTH = 12
MAX_ALIASES = 50
MAX_TOKENS = 5_000

# Built once: `ValidationCache` keys on the rule classes, and the stock limiters make new
# classes per instance, which would turn every validation into a cache miss.
LIMIT_RULES = [
    query_depth_limiter.create_validator(MAX_DEPTH, None),
    max_aliases.create_validator(MAX_ALIASES),
]


@strawberry.type
class Query(
    NodeQueries, TeamQueries, CustomerQueries, CatalogQueries, ModuleQueries, PermissionQueries
):
    pass


@strawberry.type
class Mutation(
    CustomerMutations, CatalogMutations, TeamMutations, ModuleMutations, PermissionMutations
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
        is not a server log line."""


def build_schema(grafts: dict[str, list] | None = None, types: list | None = None) -> HubSchema:
    return HubSchema(
        query=Query,
        mutation=Mutation,
        types=types or [],
        grafts=grafts,
        extensions=[
            ErrorCodes,
            lambda: MaxTokensLimiter(MAX_TOKENS),
            lambda: AddValidationRules(LIMIT_RULES),
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
        ],
    )
