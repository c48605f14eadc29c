"""Validation, cached per query text.

Strawberry's `ValidationCache` keys its LRU on the parsed document, and graphql-core's nodes
do not keep their hash: every request hashed every node of its document again (93 µs for the
bench's profile, 30 µs for its list page), on top of the parse the parser cache had spared.

Here the key is what the document was parsed from: the schema, the query text, the parse
options (the token limit) and the validation rules (one tuple per set of limits, see
`schema/limits.py`). A hit also requires the very document that was validated: the parser
cache hands the same object for the same text and options, and any other document (parsed
anew after the parser cache dropped it, or given without a text) is validated and takes the
entry over. So a document is never taken for another one's result."""

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from core.lru import Lru

SIZE = 256
_validated = Lru(SIZE)  # key -> (document, errors)


def validated(schema, query: str | None, options: dict, document, rules: tuple) -> list:
    """The validation errors of `document` (parsed from `query` with `options`)."""
    key = (schema, query, tuple(options.items()), rules) if query else None
    found = _validated.find(key) if key is not None else None
    if found is not None and found[0] is document:
        return found[1]
    errors = validate_document(schema, document, rules)
    if key is not None:
        _validated.put(key, (document, errors))
    return errors


class ValidationByText(SchemaExtension):
    """In place of Strawberry's `ValidationCache`: the same results, keyed by the text."""

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        ec.pre_execution_errors = validated(
            ec.schema._schema, ec.query, ec.parse_options, ec.graphql_document, ec.validation_rules
        )
        yield
