"""Every error code is discoverable: the `errorCodes` query lists core's and the enabled
modules' codes with their meaning, and every code written in the code base (a `Problem`,
`InvalidInput.one`, a coded GraphQL error, an HTTP refusal, an error class's `code`) is in
that registry. A code built at run time (an f-string) fails the scan: write it out."""

import ast
import re
from pathlib import Path

from core.error_codes import CORE_CODES
from schema.registry import make_plugins

ROOT = Path(__file__).resolve().parent.parent
CODE = re.compile(r"[A-Z][A-Z0-9_]{2,}")
# callee name -> index of the positional argument that is a code
CALLS = {"Problem": 2, "one": 2, "Refused": 1, "_coded": 1, "error_response": 2, "Refusal": 2}
QUERY = "{ errorCodes { code description module } }"


def _leaves(node, constants: dict) -> list:
    """The strings an expression can be: constants, module constants, both sides of `or`
    and of a conditional; an f-string is reported as such."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name) and node.id in constants:
        return [constants[node.id]]
    if isinstance(node, ast.BoolOp):
        return [v for value in node.values for v in _leaves(value, constants)]
    if isinstance(node, ast.IfExp):
        return _leaves(node.body, constants) + _leaves(node.orelse, constants)
    if isinstance(node, ast.JoinedStr):
        return [ast.unparse(node)]
    return []


def raised_codes() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for folder in ("core", "schema", "plugins"):
        for path in (ROOT / folder).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            constants = {
                t.id: n.value.value
                for n in tree.body
                if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
                for t in n.targets
                if isinstance(t, ast.Name) and isinstance(n.value.value, str)
            }
            spots = []
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                    index = CALLS.get(name)
                    if index is not None and len(node.args) > index:
                        spots.append(node.args[index])
                    spots += [k.value for k in node.keywords if k.arg == "code"]
                elif isinstance(node, ast.Dict):
                    spots += [
                        v
                        for k, v in zip(node.keys, node.values, strict=True)
                        if isinstance(k, ast.Constant) and k.value == "code"
                    ]
                elif isinstance(node, ast.ClassDef):
                    spots += [
                        s.value
                        for s in node.body
                        if isinstance(s, ast.Assign)
                        and any(getattr(t, "id", None) == "code" for t in s.targets)
                    ]
            for spot in spots:
                for value in _leaves(spot, constants):
                    found.setdefault(value, set()).add(str(path.relative_to(ROOT)))
    return found


def registered() -> set[str]:
    codes = set(CORE_CODES)
    for module_codes in make_plugins().error_codes().values():
        codes |= set(module_codes)
    return codes


def test_every_code_in_the_code_base_is_registered():
    found = raised_codes()
    assert len(found) > 50  # the scan sees the code base
    built = {code: where for code, where in found.items() if not CODE.fullmatch(code)}
    assert not built, f"codes must be written out, not built: {built}"
    missing = {code: sorted(where) for code, where in found.items() if code not in registered()}
    assert not missing, (
        f"add these to core/error_codes.py or the module's hub_error_codes: {missing}"
    )


def test_every_registered_code_has_a_meaning():
    for code, text in CORE_CODES.items():
        assert CODE.fullmatch(code) and len(text) > 10, code
    for module, codes in make_plugins().error_codes().items():
        for code, text in codes.items():
            assert CODE.fullmatch(code) and len(text) > 10, (module, code)


def test_the_query_lists_core_codes_and_the_enabled_modules_only(api):
    codes = {c["code"]: c for c in api.query(QUERY)["errorCodes"]}
    assert codes["INVALID_TRANSITION"]["module"] is None
    assert "NOT_FOUND" in codes and "TICKET_CLOSED" not in codes
    api.enable("tickets")
    codes = {c["code"]: c for c in api.query(QUERY)["errorCodes"]}
    assert codes["TICKET_CLOSED"] == {
        "code": "TICKET_CLOSED",
        "description": "The ticket is closed, which is final.",
        "module": "tickets",
    }
    assert list(codes) == sorted(codes)


def test_a_code_several_modules_list_is_served_once_while_any_of_them_is_on(api):
    def listed(code: str) -> list[str | None]:
        return [c["module"] for c in api.query(QUERY)["errorCodes"] if c["code"] == code]

    assert listed("IDEMPOTENCY_KEY_REUSED") == []
    api.enable("orders")
    assert listed("IDEMPOTENCY_KEY_REUSED") == ["orders"]
    api.enable("payments")
    assert len(listed("IDEMPOTENCY_KEY_REUSED")) == len(listed("CURRENCY_MISMATCH")) == 1
