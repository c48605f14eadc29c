"""Pieces of PostgreSQL text for the generator: deterministic draws from a row's key (so a
customer's links can re-draw what its own row drew), weighted picks and literals."""

from bench.scale.shape import cumulative

MASK = 1073741823  # 2**30 - 1


def h(salt: int, key: str = "g") -> str:
    """A draw in [0, 2**30) from `key` (a bigint expression): `hashint8extended`, cheap and
    well mixed, a different stream per salt."""
    return f"(hashint8extended({key}, {salt}) & {MASK})"


def d(salt: int, key: str = "g") -> str:
    """Per mille: [0, 1000)."""
    return f"({h(salt, key)} % 1000)"


def u(salt: int, key: str = "g") -> str:
    """Uniform in [0, 1)."""
    return f"({h(salt, key)} / {MASK + 1}.0)"


def lit(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def array(values, kind: str = "text") -> str:
    return f"(ARRAY[{', '.join(lit(v) for v in values)}]::{kind}[])"


def pick(weights, draw: str, value=lit) -> str:
    """The value of `weights` ((value, weight) pairs) that the per-mille `draw` falls on."""
    bounds = cumulative(weights)
    cases = " ".join(f"WHEN {draw} < {bound} THEN {value(v)}" for v, bound in bounds[:-1])
    return f"(CASE {cases} ELSE {value(bounds[-1][0])} END)"


def stamp(base: str, micros: str) -> str:
    """`base` (a timestamptz expression) plus an integer number of microseconds, exactly."""
    return f"({base} + ({micros}) * interval '1 microsecond')"
