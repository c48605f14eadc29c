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
from schema.nodes import NodeQueries
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
class Query(NodeQueries, TeamQueries, CustomerQueries, CatalogQueries):
    pass


@strawberry.type
class Mutation(CustomerMutations, CatalogMutations, TeamMutations):
    pass


class HubSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """`ErrorCodes` logs the unexpected ones with their request id; a client's mistake
        is not a server log line."""


def build_schema() -> strawberry.Schema:
    return HubSchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            ErrorCodes,
            lambda: MaxTokensLimiter(MAX_TOKENS),
            lambda: AddValidationRules(LIMIT_RULES),
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
        ],
    )
