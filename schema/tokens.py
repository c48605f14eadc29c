"""`MAX_TOKENS` before the parser. graphql-core's parser stops at `max_tokens`, but only after
lexing and building the syntax tree of everything before it, in Python: 30 to 60 ms for a
document just over 5,000 tokens (long strings and names are the slowest). A regular
expression finds the same tokens in C, and stops there, in about a millisecond.

It counts as graphql-core's lexer does for `max_tokens` (punctuators, names, numbers, strings,
block strings, and comments), so a valid document gets the same count; it never counts an
invalid one higher than its valid prefix would (what it cannot read, it skips), so a document
it lets through is still held to the limit, exactly, by the parser."""

import re

from graphql import GraphQLSyntaxError, Source

TOKEN = re.compile(
    r'"""(?:[^"\\]++|\\"""|\\|"(?!""))*+"""'  # block string
    r'|"(?:[^"\\\n\r]++|\\.)*+"'  # string
    r"|#[^\n\r]*+"  # comment
    r"|\.\.\."
    r"|-?[0-9]++(?:\.[0-9]++)?+(?:[eE][+-]?[0-9]++)?+"
    r"|[_A-Za-z][_0-9A-Za-z]*+"
    r"|[!$&():=@\[\]{|}]"
)


def over_limit(query: str, max_tokens: int) -> GraphQLSyntaxError | None:
    """The parser's own error for a document with more than `max_tokens` tokens."""
    if len(query) <= max_tokens:  # every token takes a character at least
        return None
    for count, match in enumerate(TOKEN.finditer(query), 1):
        if count > max_tokens:
            message = f"Document contains more than {max_tokens} tokens. Parsing aborted."
            # The location needs only the text before it (graphql indexes the whole source).
            return GraphQLSyntaxError(Source(query[: match.end()]), match.start(), message)
    return None
