"""Templates to Markdown to HTML, bounded.

A block's body is a Jinja2 template run in an `ImmutableSandboxedEnvironment` (no `_`
attributes, no changing a list or dict), and on top of it, because the sandbox bounds what
a template may reach but not what it may cost:

- every loop iteration and every call spends one of `MAX_STEPS` per rendering (a loop's
  iterable is wrapped at compile time; recursion and nested loops run out the same way);
- no value grows past `MAX_TEXT`: `~`, `+`, `*`, `**`, `replace` and `join` check the size
  of what they would build before building it, so doubling through `set` or nested loops
  stops at once; the output stops at `MAX_OUTPUT`;
- a short list of filters and methods (none takes a width or a count that allocates);
  `include`, `import` and `extends` are refused when the block is saved.

Values from the customer are inserted as text: HTML-escaped (autoescape) and with Markdown's
punctuation backslash-escaped, so a name can neither add a tag nor a link or an image.
Markdown becomes HTML with markdown-it-py's CommonMark preset, raw HTML off: whatever the
template writes, `<script>` comes out as text.

Undefined names render empty (`ChainableUndefined`, `fields.missing.x` too): a custom field
without a value, hidden for the customer, or deleted since. A top-level name the context
does not have is refused when the block is saved (`UNKNOWN_PLACEHOLDER`), catching typos."""

import re
from contextvars import ContextVar
from datetime import date
from functools import lru_cache

from jinja2 import ChainableUndefined, TemplateError, Undefined, meta, nodes
from jinja2.filters import FILTERS
from jinja2.runtime import LoopContext, Macro, markup_join
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer
from markdown_it import MarkdownIt
from markupsafe import Markup

MAX_STEPS = 10_000
MAX_TEXT = 50_000
MAX_OUTPUT = 50_000
MAX_BITS = 4_096
MAX_RANGE = 1_000


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The names a template may use; `fields` holds the custom fields shown for the customer.
NAMES = _words(
    "name email phone company city status folders fields kind salutation job_title industry website"
)
HELPERS = frozenset({"range", "dict", "loop", "caller"})
FILTER_NAMES = _words(
    "abs attr capitalize count d default dictsort e escape first float groupby int "
    "items join last length list lower map max min reject rejectattr reverse round "
    "select selectattr sort string striptags sum title trim truncate unique upper "
    "wordcount"
)
SAFE_METHODS = {
    str: _words(
        "lower upper title capitalize casefold swapcase strip lstrip rstrip startswith "
        "endswith split rsplit splitlines partition rpartition count find rfind index "
        "rindex isdigit isalpha isalnum isspace islower isupper isnumeric"
    ),
    dict: frozenset({"items", "keys", "values", "get"}),
    list: frozenset({"index", "count"}),
    tuple: frozenset({"index", "count"}),
    date: frozenset({"isoformat", "strftime", "weekday", "isoweekday"}),
    LoopContext: frozenset({"cycle", "changed"}),
}
MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]()!|~{}])")
LINE_START = re.compile(r"^([#>+=-]|\d+(?=[.)]))")
_steps: ContextVar[list[int]] = ContextVar("dynamic_content_steps")


class RenderError(Exception):
    """Why a template was refused or could not be rendered; the message is shown, the code
    is a user error's when the template is saved."""

    def __init__(self, message: str, code: str = "TEMPLATE_INVALID"):
        super().__init__(message)
        self.message, self.code = message, code


def _spend() -> None:
    left = _steps.get()
    left[0] -= 1
    if left[0] < 0:
        raise RenderError(f"The template takes more than {MAX_STEPS} steps (loops, calls).")


def _sized(n: int) -> None:
    if n > MAX_TEXT:
        raise RenderError(f"A value would be longer than {MAX_TEXT} characters.")


def _steps_of(iterable):
    for item in iterable:
        _spend()
        yield item


def _concat(parts):
    _sized(sum(len(str(p)) for p in parts))
    return markup_join(parts)


def _replace(eval_ctx, s, old, new, count=None):
    s, old, new = str(s), str(old), str(new)
    times = s.count(old) if count is None else min(int(count), s.count(old))
    _sized(
        len(s) + times * max(len(new) - len(old), 0) + (len(new) * (len(s) + 1) if not old else 0)
    )
    return FILTERS["replace"](eval_ctx, s, old, new, count)


def _join(eval_ctx, value, d="", attribute=None):
    items = list(value)
    _sized(sum(len(str(i)) for i in items) + len(str(d)) * len(items))
    return FILTERS["join"](eval_ctx, items, d, attribute)


_replace.jinja_pass_arg = FILTERS["replace"].jinja_pass_arg
_join.jinja_pass_arg = FILTERS["join"].jinja_pass_arg


def _range(*args):
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise RenderError(f"range() gives at most {MAX_RANGE} numbers.")
    return numbers


def as_text(value) -> str:
    """A customer's value as Markdown text that means only itself: lists joined, Markdown
    punctuation escaped, one line (HTML escaping is autoescape's)."""
    if isinstance(value, Markup):  # a macro's or `|e`'s output, already made safe
        return value
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    text = " ".join(str(value).split())
    return LINE_START.sub(r"\\\1", MARKDOWN_PUNCTUATION.sub(r"\\\1", text))


class _Bounded(NodeTransformer):
    """Loops spend a step per iteration; concatenation checks its size first."""

    def visit_For(self, node):
        self.generic_visit(node)
        node.iter = _filter(node.iter, "hub_steps")
        return node

    def visit_Concat(self, node):
        self.generic_visit(node)
        return _filter(nodes.List(node.nodes, lineno=node.lineno), "hub_concat")


def _filter(node, name):
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def call_binop(self, context, operator, left, right):
        if operator == "%" and isinstance(left, str):
            raise SecurityError("Formatting with % is not allowed; use filters.")
        sized = (str, list, tuple)
        if operator == "+" and isinstance(left, sized) and isinstance(right, sized):
            _sized(len(left) + len(right))
        if operator == "*":
            if isinstance(left, int) and isinstance(right, sized):
                left, right = right, left
            if isinstance(left, sized) and isinstance(right, int):
                _sized(len(left) * right)
            elif isinstance(left, int) and isinstance(right, int):
                self._bits(left.bit_length() + right.bit_length())
        if operator == "**" and isinstance(left, int) and isinstance(right, int):
            self._bits(max(left.bit_length(), 1) * abs(right))
        return super().call_binop(context, operator, left, right)

    @staticmethod
    def _bits(bits: int) -> None:
        if bits > MAX_BITS:
            raise RenderError("A number would be too large.")

    def call(__self, __context, __obj, *args, **kwargs):
        _spend()
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        allowed = (
            __obj is _range
            or __obj is dict
            or isinstance(__obj, Macro | LoopContext)
            or any(isinstance(owner, t) and name in m for t, m in SAFE_METHODS.items())
        )
        if isinstance(__obj, Undefined):
            raise SecurityError("Calling something undefined (or not allowed here).")
        if not allowed:
            raise SecurityError(f"Calling {name or type(__obj).__name__} is not allowed.")
        return super().call(__context, __obj, *args, **kwargs)


def _environment() -> _Environment:
    env = _Environment(autoescape=True, undefined=ChainableUndefined, finalize=as_text)
    env.filters = {name: FILTERS[name] for name in FILTER_NAMES}
    env.filters.update(replace=_replace, join=_join, hub_steps=_steps_of, hub_concat=_concat)
    env.globals = {"range": _range, "dict": dict}
    return env


ENV = _environment()
MD = MarkdownIt("commonmark", {"html": False})
REFUSED = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)


def _line(exc: TemplateError) -> str:
    line = getattr(exc, "lineno", None)
    return f"Line {line}: {exc.message}" if line else str(exc.message or exc)


@lru_cache(maxsize=256)
def compiled(source: str):
    """The template, checked (`RenderError` names the line) and made bounded."""
    try:
        return _compiled(source)
    except RecursionError:
        raise RenderError("The template is nested too deeply.", "TEMPLATE_SYNTAX") from None


def _compiled(source: str):
    try:
        tree = ENV.parse(source)
    except TemplateError as exc:
        raise RenderError(_line(exc), "TEMPLATE_SYNTAX") from None
    for node in tree.find_all(REFUSED):
        raise RenderError(
            f"Line {node.lineno}: a block stands alone (no include or import).", "TEMPLATE_UNSAFE"
        )
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        attribute = node.attr if isinstance(node, nodes.Getattr) else None
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            attribute = node.arg.value
        if isinstance(attribute, str) and attribute.startswith("_"):
            raise RenderError(
                f"Line {node.lineno}: '{attribute}' may not be used.", "TEMPLATE_UNSAFE"
            )
    try:
        unknown = sorted(meta.find_undeclared_variables(tree) - NAMES - HELPERS)
        if not unknown:
            return ENV.from_string(_Bounded().visit(tree))
    except TemplateError as exc:
        raise RenderError(_line(exc), "TEMPLATE_SYNTAX") from None
    known = ", ".join(sorted(NAMES))
    raise RenderError(
        f"Unknown placeholder '{unknown[0]}'; use one of {known}.", "UNKNOWN_PLACEHOLDER"
    )


def render(source: str, values: dict) -> tuple[str, str]:
    """(Markdown, HTML) of the template for these values, or `RenderError`."""
    template = compiled(source)
    token = _steps.set([MAX_STEPS])
    size, parts = 0, []
    try:
        for chunk in template.generate(**values):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise RenderError(f"The block would be longer than {MAX_OUTPUT} characters.")
            parts.append(chunk)
    except RenderError:
        raise
    except SecurityError as exc:
        raise RenderError(f"Refused: {exc}") from None
    except TemplateError as exc:
        raise RenderError(_line(exc)) from None
    except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError) as exc:
        raise RenderError(f"The template failed: {exc}") from None
    finally:
        _steps.reset(token)
    markdown = "".join(parts)
    return markdown, MD.render(markdown)
