"""Statements kept and run again (the compiled path's, the principal read): SQLAlchemy
memoizes a statement's cache key on it, but looks its compiled form up under a new tuple
holding that key on every run, and a tuple's hash is not kept."""

KEYS = 1024  # distinct statement cache keys shared (`hashed_key`)


class HashedKey:
    """A statement's cache key with its hash worked out once. SQLAlchemy memoizes the key on
    the statement but looks its compiled form up under a new tuple holding it on every run,
    and a tuple's hash is not kept: for a kept profile statement (189 parameters) that walked
    the whole nested key again, 76 µs a request. Equal keys share one object (`_keys`), so
    the compiled cache finds them by identity too, whichever statement compiled first."""

    __slots__ = ("hash", "key")

    def __init__(self, key: tuple):
        self.key, self.hash = key, hash(key)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other) -> bool:
        return self is other or (
            isinstance(other, HashedKey) and self.hash == other.hash and self.key == other.key
        )


_keys: dict[HashedKey, HashedKey] = {}  # one object per distinct key, KEYS at most


def hashed_key(statement):
    """`statement` whose memoized cache key (SQLAlchemy's `_generate_cache_key`) holds a
    `HashedKey`; the memo is SQLAlchemy's own, so a generative copy drops it as before."""
    found = statement._generate_cache_key()
    if found is None:
        return statement
    hashed = HashedKey(found.key)
    if hashed not in _keys and len(_keys) >= KEYS:
        _keys.clear()
    hashed = _keys.setdefault(hashed, hashed)
    memo = found._replace(key=hashed)
    statement._set_memoized_attribute("_generate_cache_key", lambda: memo)
    return statement
