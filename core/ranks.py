"""Fractional ranks: strings that order cards (or any hand-ordered rows) so that a move
writes one row. `between(a, b)` is a string strictly between two neighbours, so a column is
never renumbered on a move; ranks only grow longer when cards are dropped again and again
into the same gap, and `spread(n)` gives fresh evenly spaced ones for the rare rewrite
(`needs_spreading`).

Ranks use the digits and lower-case letters and compare as plain strings in byte order:
SQLite's default; on PostgreSQL compare and sort them `COLLATE "C"`, since a locale's
collation need not agree (`plugins/flow/queries.py`)."""

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
BASE = len(DIGITS)
MAX_LENGTH = 48  # longer than this: spread the column again


def _digit(text: str, i: int, default: int) -> int:
    return DIGITS.index(text[i]) if i < len(text) else default


def between(before: str | None, after: str | None) -> str:
    """A rank after `before` and before `after` (None: no bound on that side). Raises
    ValueError unless `before < after`, or for a character outside `DIGITS`."""
    low = before or ""
    high = after
    if any(c not in DIGITS for c in low + (high or "")):
        raise ValueError("a rank holds only digits and lower-case letters")
    if high is not None and (low >= high or high.strip("0") == ""):
        raise ValueError(f"no rank between {before!r} and {after!r}")
    out = []
    i = 0
    while True:
        a = _digit(low, i, 0)
        b = BASE if high is None else _digit(high, i, 0)
        if a == b:
            out.append(DIGITS[a])
        else:
            middle = (a + b) // 2
            if middle > a:
                out.append(DIGITS[middle])
                return "".join(out)
            out.append(DIGITS[a])  # b == a + 1: anything after low's rest fits below high
            high = None
        i += 1


def spread(count: int, width: int = 6) -> list[str]:
    """`count` ascending ranks spaced evenly, all below "z"."""
    step = max(1, (BASE ** (width - 1) * 35) // (count + 1))
    ranks = []
    for n in range(1, count + 1):
        value, digits = n * step, []
        for _ in range(width):
            value, rest = divmod(value, BASE)
            digits.append(DIGITS[rest])
        ranks.append("".join(reversed(digits)))
    return ranks


def needs_spreading(rank: str) -> bool:
    return len(rank) > MAX_LENGTH
