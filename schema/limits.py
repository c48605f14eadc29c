"""Bounds on hostile queries (DESIGN §6): depth, aliases, tokens and estimated cost of a
document, plus the introspection and "Did you mean …?" switches. Each bound is a setting
(`core/config.py`, an environment variable); each refusal is a GraphQL error whose message names
that variable and whose `extensions` carry `code` and `limit` (the variable's name):

| Variable               | Checked                        | `extensions.code`           |
|------------------------|--------------------------------|-----------------------------|
| `MAX_TOKENS`           | before and by the parser       | `GRAPHQL_VALIDATION_FAILED` |
| `MAX_REPEATED_FIELDS`  | first validation rule, alone   | `GRAPHQL_VALIDATION_FAILED` |
| `MAX_FRAGMENT_SPREADS` | first validation rule, alone   | `GRAPHQL_VALIDATION_FAILED` |
| `MAX_QUERY_DEPTH`      | validation rule                | `GRAPHQL_VALIDATION_FAILED` |
| `MAX_ALIASES`          | validation rule                | `GRAPHQL_VALIDATION_FAILED` |
| `INTROSPECTION`        | validation rule, when false    | `GRAPHQL_VALIDATION_FAILED` |
| `MAX_QUERY_COST`       | before execution               | `QUERY_TOO_COMPLEX`         |

The request body (`MAX_BODY_BYTES`, HTTP 413 `REQUEST_TOO_LARGE`) is bounded by the endpoint in
`schema/view.py`.

Settings reach the schema through the request's context (`Context.settings`), so a schema stays
independent of them: the registry's schemas are shared by requests, and two apps with different
settings in one process (the tests) do not meet. Without a context (a direct `schema.execute`)
the defaults apply.

The shape checks are validation rules, so they run once per distinct document: the rule classes
are made once per distinct set of limits (`validation_rules` is cached) and the validation
cache (`schema/validation.py`), which keys on them, keeps hitting. They count each fragment
once (memoized), where Strawberry's stock `QueryDepthLimiter` / `MaxAliasesLimiter` walk
every path through the fragments again: exponential time for a fragment that spreads another
twice, that spreads another twice, …; a few hundred tokens of that hang a worker.

Merged fields. graphql's `OverlappingFieldsCanBeMerged` rule compares every pair of fields that
merge under one response name, and every pair of fragments spread where they merge: 1,249
copies of `me { permissions }` (5,000 tokens) took 1.2 s, and so did fields repeated only twice
per selection set but nested nine deep (`parent { … } parent { … }`: 512 `parent`s merge at the
bottom), or a few fields each spreading the same hundred fragments. `_Shape` measures the
document as that rule merges it, in linear time, and refuses more than `MAX_REPEATED_FIELDS`
fields under one response name of a merged selection set, or more than `MAX_FRAGMENT_SPREADS`
spreads in one. Its rule comes first and, on a refusal, raises a `ValidationAbortedError`,
which stops graphql's validation there: the refusal is the only error, and the quadratic rule
never runs. Within the limits the rule's work stays bounded by a multiple of the document
(with the defaults, the worst found costs about 1.5 times the validation of 5,000 tokens of
distinct fields).

Cost. Every field costs 1. A field with a `first`/`last` argument (a connection) multiplies the
cost of its selection by its page size: the argument's value (the larger one if both are
given, clamped to 0…100), or 20 when both are absent or null. A list field without page
arguments multiplies by 10 (an estimate), except the lists of a connection type itself (`edges`,
`nodes`: those are the page, already counted). Fragments count wherever they are spread (named,
inline, nested), aliases count as the fields they are; introspection fields (`__schema`,
`__type`, `__typename`) cost 1 and are bounded by graphql's `MaxIntrospectionDepthRule`.

Why the cost is not a validation rule: validation runs before the variables are known and its
result is cached per document, so a rule could only take `first: $n` at its largest (100) and
would refuse a list page asking for 20 rows. Instead the cost's shape is derived once per
document and operation (a `_Plan`: a constant plus page-size * sub-plan terms, one shared
sub-plan per fragment), kept in a small LRU, and evaluated with each request's variables in
`on_execute`, which takes microseconds. `on_execute` runs only for documents that passed
validation, so fragment cycles (reported by graphql's `NoFragmentCycles`) and unknown fields
never reach it; the builder still refuses to follow a cycle rather than trusting that.
"""

from __future__ import annotations

import functools
import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.utilities import get_operation_ast
from graphql.validation import MaxIntrospectionDepthRule
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension

from core.config import Settings
from core.pagination import DEFAULT_PAGE, MAX_PAGE
from schema.tokens import over_limit

VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
TOO_COMPLEX = "QUERY_TOO_COMPLEX"
LIST_ESTIMATE = 10
PLAN_CACHE_SIZE = 256


@dataclass(frozen=True)
class Limits:
    max_query_depth: int
    max_aliases: int
    max_tokens: int
    max_query_cost: int
    max_repeated_fields: int
    max_fragment_spreads: int
    introspection: bool
    field_suggestions: bool

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            max_query_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            max_query_cost=settings.max_query_cost,
            max_repeated_fields=settings.max_repeated_fields,
            max_fragment_spreads=settings.max_fragment_spreads,
            introspection=settings.introspection,
            field_suggestions=settings.field_suggestions,
        )


DEFAULT_LIMITS = Limits.of(Settings.model_construct())  # the field defaults, no environment


def limits_of(context: Any) -> Limits:
    settings = getattr(context, "settings", None)
    return DEFAULT_LIMITS if settings is None else Limits.of(settings)


def limit_error(message: str, setting: str, code: str, nodes=None) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": code, "limit": setting})


# --- validation rules ---------------------------------------------------------------------------


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


class _FragmentWalk:
    """A measure of selection sets in which each fragment is measured once; a spread that
    closes a cycle measures 0 (`NoFragmentCycles` reports it)."""

    def __init__(self, document: DocumentNode):
        self.fragments = _fragments(document)
        self.memo: dict[str, int] = {}
        self.open: set[str] = set()

    def fragment(self, name: str) -> int:
        if name in self.memo:
            return self.memo[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.open:
            return 0
        self.open.add(name)
        try:
            value = self.selection_set(fragment.selection_set)
        finally:
            self.open.discard(name)
        self.memo[name] = value
        return value

    def selection_set(self, selection_set: SelectionSetNode) -> int:
        raise NotImplementedError


class _Depth(_FragmentWalk):
    """Levels of fields; introspection fields count 0 (`MaxIntrospectionDepthRule` bounds
    them)."""

    def selection_set(self, selection_set: SelectionSetNode) -> int:
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__"):
                    continue
                below = (
                    self.selection_set(selection.selection_set) if selection.selection_set else 0
                )
                deepest = max(deepest, 1 + below)
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.selection_set(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self.fragment(selection.name.value))
        return deepest


class _Aliases(_FragmentWalk):
    """Aliased fields, counted at every place a fragment is spread."""

    def selection_set(self, selection_set: SelectionSetNode) -> int:
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += selection.alias is not None
                if selection.selection_set:
                    count += self.selection_set(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                count += self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self.fragment(selection.name.value)
        return count


# --- merged selection sets ----------------------------------------------------------------------


class _Refused(ValidationAbortedError):
    """A limit that stops graphql's validation before its rules run: `validate` catches
    `ValidationAbortedError` and returns it as the only error."""


_Where = tuple[str | None, tuple[str, ...]]  # (fragment defining it, response names from there)


def _field_path(where: _Where) -> str:
    fragment, names = where
    path = ".".join(names)
    return f"'{path}'" + (f" of fragment '{fragment}'" if fragment else "")


def _selection_path(where: _Where) -> str:
    fragment, names = where
    inside = f" at '{'.'.join(names)}'" if names else ""
    return inside + (f" of fragment '{fragment}'" if fragment else "")


class _Shape:
    """The selection sets of a document as graphql's `OverlappingFieldsCanBeMerged` rule merges
    them, which compares every pair of fields under one response name: the fields of a selection
    set, of its inline fragments and of the fragments it spreads (each once, through fragments);
    and, since same-named fields merge, the fields of their sub-selections in turn (a literal
    selection set with two `parent { … }` nested nine deep has 512 `parent`s merged at the
    bottom). Refuses more than `max_repeated` fields merged under one response name, or more
    than `max_fragments` fragments spread into one merged selection set.

    Linear: each literal selection set is read once into a *container* (its fields by response
    name, inline fragments flattened, and the fragments it spreads); a merged selection set is a
    set of containers, checked once (memoized), and only the names found in more than one of its
    containers are looked up, iterating all but the largest container; the names of one
    container alone were checked with it. Each fragment's reach is computed once. No recursion:
    fragment cycles (reported by `NoFragmentCycles`) and deep nesting cannot overflow."""

    def __init__(self, document: DocumentNode, max_repeated: int, max_fragments: int):
        self.max_repeated = max_repeated
        self.max_fragments = max_fragments
        self.fields: list[dict[str, list[FieldNode]]] = []
        self.spreads: list[tuple[str, ...]] = []
        self.nodes: list[SelectionSetNode] = []
        self.index: dict[int, int] = {}  # id(selection set) -> container
        self.fragments: dict[str, int] = {}  # fragment name -> container
        self.reaches: dict[str, frozenset[int] | None] = {}
        # Merged selection sets to check, by the ids of their literal selection sets: each
        # definition's, and below each response name of each container.
        self.merges: list[tuple[tuple[int, ...], _Where]] = []
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                self.read(definition.selection_set, (None, ()))
            elif isinstance(definition, FragmentDefinitionNode):
                name = definition.name.value
                self.fragments[name] = self.read(definition.selection_set, (name, ()))

    def read(self, root: SelectionSetNode, where: _Where) -> int:
        """Reads `root` and the selection sets below it into containers; returns root's."""
        first = len(self.fields)
        pending = [(root, where)]
        while pending:
            selection_set, where = pending.pop()
            container = len(self.fields)
            self.index[id(selection_set)] = container
            self.nodes.append(selection_set)
            fields: dict[str, list[FieldNode]] = {}
            below: dict[str, list[SelectionSetNode]] = {}  # by response name
            spreads: dict[str, None] = {}
            stack = [selection_set]
            while stack:
                for selection in stack.pop().selections:
                    if isinstance(selection, FieldNode):
                        name = (selection.alias or selection.name).value
                        fields.setdefault(name, []).append(selection)
                        if selection.selection_set is not None:
                            below.setdefault(name, []).append(selection.selection_set)
                    elif isinstance(selection, InlineFragmentNode):
                        stack.append(selection.selection_set)
                    elif isinstance(selection, FragmentSpreadNode):
                        spreads[selection.name.value] = None
            self.fields.append(fields)
            self.spreads.append(tuple(spreads))
            fragment, names = where
            for name, group in fields.items():
                if len(group) > self.max_repeated:
                    self.refuse_count(group, (fragment, (*names, name)))
            for name, selection_sets in below.items():
                inner = (fragment, (*names, name))
                pending.extend((selection, inner) for selection in selection_sets)
                self.merges.append((tuple(map(id, selection_sets)), inner))
            if container == first and spreads:
                self.merges.append(((id(selection_set),), where))
        return first

    def refuse_count(self, group: list[FieldNode], where: _Where) -> None:
        message = (
            f"Field {_field_path(where)} is selected {len(group):,} times in one selection set, "
            f"more than the limit of {self.max_repeated:,} (MAX_REPEATED_FIELDS)."
        )
        node = group[self.max_repeated]
        raise _Refused(message, node, extensions=_extensions("MAX_REPEATED_FIELDS"))

    def reach(self, name: str) -> frozenset[int] | None:
        """The containers of fragment `name` and of those it spreads, in turn; None if more
        than `max_fragments`."""
        if name in self.reaches:
            return self.reaches[name]
        seen = {name}
        stack = [name]
        while stack and len(seen) <= self.max_fragments:
            for spread in self.spreads[self.fragments[stack.pop()]]:
                if spread not in seen and spread in self.fragments:
                    seen.add(spread)
                    stack.append(spread)
        result = (
            frozenset(self.fragments[n] for n in seen) if len(seen) <= self.max_fragments else None
        )
        self.reaches[name] = result
        return result

    def merged(self, seeds: tuple[int, ...], where: _Where) -> frozenset[int]:
        """The containers of one merged selection set: `seeds` and the fragments they spread, in
        turn. Refuses more than `max_fragments` spreads in them (a fragment's own once)."""
        if sum(len(self.spreads[container]) for container in seeds) > self.max_fragments:
            self.refuse_spreads(seeds, where)
        fragments: set[int] = set()
        for container in seeds:
            for name in self.spreads[container]:
                if name not in self.fragments:
                    continue  # `KnownFragmentNames` reports it
                reach = self.reach(name)
                if reach is None:
                    self.refuse_spreads(seeds, where)
                fragments |= reach
                if len(fragments) > self.max_fragments:  # each spread at least once
                    self.refuse_spreads(seeds, where)
        containers = frozenset(seeds) | fragments
        if sum(len(self.spreads[container]) for container in containers) > self.max_fragments:
            self.refuse_spreads(seeds, where)
        return containers

    def refuse_spreads(self, seeds: tuple[int, ...], where: _Where) -> None:
        containers = set(seeds)
        stack = [name for container in seeds for name in self.spreads[container]]
        while stack:
            name = stack.pop()
            if name in self.fragments and self.fragments[name] not in containers:
                containers.add(self.fragments[name])
                stack.extend(self.spreads[self.fragments[name]])
        count = sum(len(self.spreads[container]) for container in containers)
        message = (
            f"The selection set{_selection_path(where)} spreads fragments {count:,} times, more "
            f"than the limit of {self.max_fragments:,} (MAX_FRAGMENT_SPREADS)."
        )
        node = self.nodes[seeds[0]]
        raise _Refused(message, node, extensions=_extensions("MAX_FRAGMENT_SPREADS"))

    def check(self) -> None:
        done: set[frozenset[int]] = set()
        pending = [(tuple(self.index[s] for s in seeds), where) for seeds, where in self.merges]
        while pending:
            seeds, where = pending.pop()
            if len(seeds) == 1 and not self.spreads[seeds[0]]:
                continue  # one container: checked when read
            containers = self.merged(seeds, where)
            if containers in done:
                continue
            done.add(containers)
            *others, largest = sorted(containers, key=lambda c: len(self.fields[c]))
            found: dict[str, list[int]] = {}
            for container in others:
                for name in self.fields[container]:
                    found.setdefault(name, []).append(container)
            fields_of_largest = self.fields[largest]
            fragment, names = where
            for name, where_found in found.items():
                if len(where_found) == 1 and name not in fields_of_largest:
                    continue  # one container's: checked when read
                group = [field for c in where_found for field in self.fields[c][name]]
                group += fields_of_largest.get(name, ())
                inner = (fragment, (*names, name))
                if len(group) > self.max_repeated:
                    self.refuse_count(group, inner)
                below = tuple(
                    self.index[id(field.selection_set)]
                    for field in group
                    if field.selection_set is not None
                )
                if below:
                    pending.append((below, inner))


def _extensions(setting: str) -> dict[str, str]:
    return {"code": VALIDATION_FAILED, "limit": setting}


@functools.cache
def shape_rule(max_repeated: int, max_fragments: int) -> type[ValidationRule]:
    class QueryShapeRule(ValidationRule):
        """First of all rules: a refusal stops the validation before graphql's own rules (whose
        `OverlappingFieldsCanBeMerged` is quadratic) run."""

        def enter_document(self, node: DocumentNode, *_args) -> None:
            _Shape(node, max_repeated, max_fragments).check()

    return QueryShapeRule


# The measures run when the operation is entered, after graphql-core's own guard against
# fragments nested beyond its recursion limit has checked that operation.


@functools.cache
def depth_rule(max_depth: int) -> type[ValidationRule]:
    class QueryDepthRule(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args) -> None:
            self.walk = _Depth(node)

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:
            depth = self.walk.selection_set(node.selection_set)
            if depth > max_depth:
                message = (
                    f"Query depth {depth:,} exceeds the limit of {max_depth:,} (MAX_QUERY_DEPTH)."
                )
                self.report_error(limit_error(message, "MAX_QUERY_DEPTH", VALIDATION_FAILED, node))

    return QueryDepthRule


@functools.cache
def aliases_rule(max_aliases: int) -> type[ValidationRule]:
    class QueryAliasesRule(ValidationRule):
        """Counts the aliases of all operations of the document: validation walks them all."""

        def enter_document(self, node: DocumentNode, *_args) -> None:
            self.walk = _Aliases(node)
            self.count = 0
            self.reported = False

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:
            self.count += self.walk.selection_set(node.selection_set)
            if self.count > max_aliases and not self.reported:
                self.reported = True
                message = (
                    f"Query has {self.count:,} aliases, more than the limit of {max_aliases:,} "
                    "(MAX_ALIASES)."
                )
                self.report_error(limit_error(message, "MAX_ALIASES", VALIDATION_FAILED, node))

    return QueryAliasesRule


class NoIntrospectionRule(ValidationRule):
    """`__schema` and `__type` are the ways in; `__typename` stays."""

    def enter_field(self, node: FieldNode, *_args) -> None:
        if node.name.value in ("__schema", "__type"):
            message = (
                f"Introspection is turned off on this server (INTROSPECTION): cannot query "
                f"field '{node.name.value}'."
            )
            self.report_error(limit_error(message, "INTROSPECTION", VALIDATION_FAILED, node))


@functools.cache
def validation_rules(
    limits: Limits, standard: tuple[type[ValidationRule], ...] = ()
) -> tuple[type[ValidationRule], ...]:
    """The same classes for the same limits: the validation cache keys on them. The shape rule
    comes first, before graphql's `standard` rules, and stops the validation when it refuses."""
    rules = [
        shape_rule(limits.max_repeated_fields, limits.max_fragment_spreads),
        *standard,
        depth_rule(limits.max_query_depth),
        aliases_rule(limits.max_aliases),
        MaxIntrospectionDepthRule,
    ]
    if not limits.introspection:
        rules.append(NoIntrospectionRule)
    return tuple(rules)


# --- cost ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Page:
    """The page size of a connection field: literal and variable `first`/`last` values, the
    variables with the operation's defaults."""

    literals: tuple[int, ...]
    variables: tuple[tuple[str, Any], ...]

    def size(self, variables: Mapping[str, Any]) -> int:
        values = list(self.literals)
        for name, default in self.variables:
            value = variables.get(name, default)
            if isinstance(value, int) and not isinstance(value, bool):
                values.append(value)
        if not values:
            return DEFAULT_PAGE
        return min(max(0, max(values)), MAX_PAGE)


@dataclass(eq=False)
class _Plan:
    """Cost = fixed + Σ multiplier * sub-plan; a fragment's plan is shared where it is spread."""

    fixed: int = 0
    terms: list[tuple[int | _Page, _Plan]] = field(default_factory=list)

    def add(self, multiplier: int | _Page, plan: _Plan) -> None:
        if isinstance(multiplier, int) and not plan.terms:
            self.fixed += multiplier * plan.fixed
        else:
            self.terms.append((multiplier, plan))

    def cost(self, variables: Mapping[str, Any], memo: dict[int, int] | None = None) -> int:
        if not self.terms:
            return self.fixed
        memo = {} if memo is None else memo
        if id(self) in memo:
            return memo[id(self)]
        total = self.fixed
        for multiplier, plan in self.terms:
            size = multiplier if isinstance(multiplier, int) else multiplier.size(variables)
            total += size * plan.cost(variables, memo)
        memo[id(self)] = total
        return total


def _is_connection(type_) -> bool:
    fields = getattr(type_, "fields", None) or {}
    return "edges" in fields and "pageInfo" in fields


class _PlanBuilder:
    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
    ):
        self.schema = schema
        self.fragments = _fragments(document)
        self.defaults = {
            d.variable.name.value: _int_literal(d.default_value)
            for d in operation.variable_definitions or ()
        }
        self.memo: dict[str, _Plan] = {}
        self.open: set[str] = set()

    def build(self, selection_set: SelectionSetNode, parent_type, plan: _Plan) -> _Plan:
        fields = getattr(parent_type, "fields", None) or {}
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                plan.fixed += 1
                definition = fields.get(selection.name.value)
                if definition is None or selection.selection_set is None:
                    continue  # a leaf, or introspection (`__schema`, `__type`)
                child = self.build(
                    selection.selection_set, get_named_type(definition.type), _Plan()
                )
                plan.add(self.multiplier(selection, definition, parent_type), child)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                type_ = self.schema.get_type(condition.name.value) if condition else parent_type
                self.build(selection.selection_set, type_, plan)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragment(selection.name.value)
                if fragment is not None:
                    plan.add(1, fragment)
        return plan

    def fragment(self, name: str) -> _Plan | None:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.open:
            return None
        self.open.add(name)
        try:
            type_ = self.schema.get_type(definition.type_condition.name.value)
            plan = self.build(definition.selection_set, type_, _Plan())
        finally:
            self.open.discard(name)
        self.memo[name] = plan
        return plan

    def multiplier(self, node: FieldNode, definition, parent_type) -> int | _Page:
        if "first" in definition.args or "last" in definition.args:
            literals, variables = [], []
            for argument in node.arguments or ():
                if argument.name.value not in ("first", "last"):
                    continue
                value = argument.value
                if isinstance(value, VariableNode):
                    name = value.name.value
                    variables.append((name, self.defaults.get(name)))
                elif (literal := _int_literal(value)) is not None:
                    literals.append(literal)
            return _Page(tuple(literals), tuple(variables))
        if is_list_type(get_nullable_type(definition.type)) and not _is_connection(parent_type):
            return LIST_ESTIMATE
        return 1


def _int_literal(value) -> int | None:
    return int(value.value) if isinstance(value, IntValueNode) else None


_plans: OrderedDict[tuple, _Plan] = OrderedDict()


def cost_plan(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    query: str | None = None,
) -> _Plan:
    """The cost plan of an operation, kept per (schema, query text, operation) in an LRU."""
    key = (schema, query, operation_name) if query is not None else None
    if key is not None and key in _plans:
        _plans.move_to_end(key)
        return _plans[key]
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return _Plan()
    root = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }[operation.operation.value]
    plan = _PlanBuilder(schema, document, operation).build(operation.selection_set, root, _Plan())
    if key is not None:
        _plans[key] = plan
        if len(_plans) > PLAN_CACHE_SIZE:
            _plans.popitem(last=False)
    return plan


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
    query: str | None = None,
) -> int:
    return cost_plan(schema, document, operation_name, query).cost(variables or {})


# --- the extension ------------------------------------------------------------------------------


class QueryLimits(SchemaExtension):
    """Sets the token limit and the validation rules of the request's settings, and refuses an
    operation whose estimated cost, with the request's variables, is over the limit."""

    limits: Limits = DEFAULT_LIMITS

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        self.limits = limits_of(context.context)
        context.parse_options["max_tokens"] = self.limits.max_tokens
        context.validation_rules = validation_rules(self.limits, context.validation_rules)
        yield

    def on_parse(self) -> Iterator[None]:
        """Before the parser (and its cache): a document over the limit is refused without
        being parsed up to it (`schema/tokens.py`)."""
        query = self.execution_context.query
        if query and (error := over_limit(query, self.limits.max_tokens)):
            raise error
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        limit = self.limits.max_query_cost
        try:
            cost = query_cost(
                context.schema._schema,
                context.graphql_document,
                context.variables,
                context.operation_name,
                context.query,
            )
        except RecursionError:
            cost = None
        if cost is None or cost > limit:
            estimate = "too deep to estimate" if cost is None else f"{cost:,}"
            message = f"Query cost {estimate} exceeds the limit of {limit:,} (MAX_QUERY_COST)."
            raise limit_error(message, "MAX_QUERY_COST", TOO_COMPLEX)
        yield


# --- error messages -----------------------------------------------------------------------------

TOKENS = re.compile(r"Document contains more than (\d+) tokens")
SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def refine_errors(errors: list[GraphQLError], limits: Limits) -> None:
    """In place (called from `Schema.process_errors`, which every path runs, subscriptions
    included): the parser's token error names its setting, and suggestions go when off."""
    for error in errors:
        if isinstance(error, GraphQLSyntaxError) and (match := TOKENS.search(error.message)):
            limit = int(match.group(1))
            error.message = f"Query exceeds the limit of {limit:,} tokens (MAX_TOKENS)."
            error.extensions = {"code": VALIDATION_FAILED, "limit": "MAX_TOKENS"}
        if not limits.field_suggestions and "Did you mean" in error.message:
            error.message = SUGGESTION.sub("", error.message)
