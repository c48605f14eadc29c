"""Executing a live update once for all its subscribers. GraphQL runs a subscription's
selection set on every event for every subscriber; for one update sent to thousands of
sockets that is the bulk of the work (PERFORMANCE.md: ~62 µs per subscriber, against
~3.5 µs to hand over a ready result). An update built by `LiveHub` is `shared`: the first
subscriber's result is kept with the update and reused by every other one whose operation
is the same document node (the parser cache gives equal texts the same node) with the same
values for the variables used below the subscription field (the field's own arguments only
chose what to watch). Results with errors are never reused."""

from graphql import FieldNode, OperationDefinitionNode, Visitor, visit
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_MAX_OPERATIONS = 1024
_variables_of: dict[int, tuple[OperationDefinitionNode, tuple[str, ...]]] = {}


class _Variables(Visitor):
    def __init__(self):
        super().__init__()
        self.names: set[str] = set()

    def enter_variable(self, node, *_):
        self.names.add(node.name.value)


def variables_below_root(operation: OperationDefinitionNode, fragments) -> tuple[str, ...]:
    """Names of the variables the result of one event may depend on: all of them but those
    used only in the root fields' arguments (fragments are counted whole)."""
    found = _variables_of.get(id(operation))
    if found is not None and found[0] is operation:
        return found[1]
    seen = _Variables()
    for selection in operation.selection_set.selections:
        if isinstance(selection, FieldNode):
            for directive in selection.directives or ():
                visit(directive, seen)
            if selection.selection_set is not None:
                visit(selection.selection_set, seen)
        else:
            visit(selection, seen)
    for fragment in fragments.values():
        visit(fragment, seen)
    names = tuple(sorted(seen.names))
    if len(_variables_of) >= _MAX_OPERATIONS:
        _variables_of.clear()
    _variables_of[id(operation)] = (operation, names)
    return names


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, *args, **kwargs):
        executed = getattr(self.root_value, "_executed", None)
        if executed is None:
            return super().execute_operation(*args, **kwargs)
        operation = self.operation
        names = variables_below_root(operation, self.fragment_definitions)
        values = self.variable_values.coerced
        key = (id(operation), *(repr(values.get(name)) for name in names))
        found = executed.get(key)
        if found is not None and found[0] is operation:
            return found[1]
        result = super().execute_operation(*args, **kwargs)
        if not self.is_awaitable(result) and not result.errors:
            executed[key] = (operation, result)
        return result
