"""Text the databases can store. PostgreSQL's `text` and `jsonb` hold no NUL character, and
neither database takes an unpaired surrogate (a string that is no valid Unicode cannot be
encoded as UTF-8); either reached the driver and came back `INTERNAL`. So every string a
request brings, in the document (a literal `"\\u0000"` is a NUL) or in its variables (at any
depth, object keys included: JSON-scalar values such as custom field values), is checked
before anything runs, and refused as `BAD_USER_INPUT`, on HTTP and websockets alike.

Literals are checked by a validation rule (once per document: the validation is cached);
variables, which change per request, just before execution, in C by orjson (which
refuses surrogates, and writes a NUL as `\\u0000`) unless it finds something: only then
are they walked to name the place."""

import re
from collections.abc import Iterator

import orjson
from graphql import GraphQLError, StringValueNode, ValidationRule
from strawberry.extensions import SchemaExtension

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _what(character: str) -> str:
    if character == "\x00":
        return "a NUL character (U+0000)"
    return f"an unpaired surrogate (U+{ord(character):04X})"


def _escaped(text: str) -> str:
    return UNSTORABLE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


class StoredTextRule(ValidationRule):
    def enter_string_value(self, node: StringValueNode, *_args) -> None:
        if found := UNSTORABLE.search(node.value):
            message = f"A string value contains {_what(found[0])}, which cannot be stored."
            self.report_error(GraphQLError(message, node, extensions={"code": "BAD_USER_INPUT"}))


def unstorable(variables: dict | None) -> tuple[str, str] | None:
    """(where, what) of the first unstorable character in the variables, or None."""
    if not variables:
        return None
    try:
        if b"\\u0000" not in orjson.dumps(variables):
            return None
    except TypeError:
        pass  # an unpaired surrogate (or a value that is no JSON): look closer
    stack = [(f"${_escaped(name)}", value) for name, value in variables.items()]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if found := UNSTORABLE.search(value):
                return where, _what(found[0])
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and (found := UNSTORABLE.search(key)):
                    return f"{where} (a key)", _what(found[0])
                stack.append((f"{where}.{_escaped(str(key))}", item))
        elif isinstance(value, (list, tuple)):
            stack.extend((f"{where}[{index}]", item) for index, item in enumerate(value))
    return None


class StoredText(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        if StoredTextRule not in context.validation_rules:
            context.validation_rules = (*context.validation_rules, StoredTextRule)
        yield

    def on_execute(self) -> Iterator[None]:
        if problem := unstorable(self.execution_context.variables):
            where, what = problem
            message = f"Variable '{where}' contains {what}, which cannot be stored."
            raise GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})
        yield
