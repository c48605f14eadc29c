"""The part of an operation the compiler reads: fields by response key, fragments spread and
merged as GraphQL merges them. Anything it does not follow (a directive, a fragment on a type
it cannot tell) makes the walk give up, and the operation takes the usual path."""

from dataclasses import dataclass

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, is_abstract_type


class NotCompiled(Exception):
    """What the compiler does not cover; the operation runs the usual way."""


@dataclass
class Field:
    key: str
    name: str
    node: FieldNode
    nodes: list  # every FieldNode merged under this key (their sub-selections are merged)

    @property
    def has_arguments(self) -> bool:
        return any(n.arguments for n in self.nodes)


def applies(schema, condition, type_name: str) -> bool:
    """Whether a fragment on `condition` applies to an object of type `type_name`."""
    if condition is None or condition.name.value == type_name:
        return True
    abstract = schema.get_type(condition.name.value)
    return is_abstract_type(abstract) and schema.is_sub_type(abstract, schema.get_type(type_name))


def fields(nodes: list, fragments: dict, schema, type_name: str) -> list[Field]:
    """The fields selected under `nodes` on an object of type `type_name`, in response order,
    those of one key merged."""
    found: dict[str, Field] = {}

    def walk(selection_set) -> None:
        for selection in selection_set.selections if selection_set else ():
            if selection.directives:
                raise NotCompiled("directive")
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                if key in found:
                    if found[key].name != selection.name.value:
                        raise NotCompiled("one key, two fields")
                    found[key].nodes.append(selection)
                else:
                    found[key] = Field(key, selection.name.value, selection, [selection])
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is None:
                    raise NotCompiled("unknown fragment")
                condition, inner = fragment.type_condition, fragment.selection_set
            elif isinstance(selection, InlineFragmentNode):
                condition, inner = selection.type_condition, selection.selection_set
            else:
                raise NotCompiled("selection")
            if applies(schema, condition, type_name):
                walk(inner)

    for node in nodes:
        walk(node.selection_set)
    return list(found.values())
