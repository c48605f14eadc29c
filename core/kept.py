"""Statements kept and run again (the compiled path's, the principal read): SQLAlchemy
memoizes a statement's cache key on it, but looks its compiled form up under a new tuple
holding that key on every run, and a tuple's hash is not kept."""

from core.lru import Lru

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


_keys = Lru(KEYS)  # one object per distinct key


def hashed_key(statement):
    """`statement` whose memoized cache key (SQLAlchemy's `_generate_cache_key`) holds a
    `HashedKey`; the memo is SQLAlchemy's own, so a generative copy drops it as before."""
    found = statement._generate_cache_key()
    if found is None:
        return statement
    hashed = HashedKey(found.key)
    hashed = _keys.get(hashed, lambda: hashed)
    memo = found._replace(key=hashed)
    statement._set_memoized_attribute("_generate_cache_key", lambda: memo)
    return statement


# --- running a statement as its text -------------------------------------------------------

TEXTS = 256  # distinct keys whose compiled text and positions are kept (`run`)
_texts = Lru(TEXTS)  # (dialect, HashedKey) -> `_text`, or () when it gave None
_NOT_DRIVEN = (None, ())


async def run(conn, statement, values: dict):
    """`conn.execute(statement, values)`, for a statement made by `hashed_key`, run as its
    compiled text with positional parameters (`exec_driver_sql`): the same text, so the same
    prepared statement, and the same values as SQLAlchemy would send. SQLAlchemy's own run
    re-relates every parameter of the compiled form to the statement's on each execution
    (`construct_params`, then each one's processor): 0.25-0.35 ms of the bench's profile,
    189 parameters. The text is compiled once per distinct key; the positions' parameters
    are the statement's own (its cache key lists them in the same order as the compiled
    form's), so two principals' statements of one key each send their own values.

    A value per run is, as in `construct_params`: the request's by the parameter's key or
    name, a callable parameter's value now (`core.models.now_param`), or the parameter's
    own, processed once. Anything unusual (post-compile or literal-execute parameters, a
    schema translation, a non-positional dialect) takes `conn.execute`."""
    dialect = conn.dialect
    slots = statement.__dict__.get("_kept_slots")
    if slots is None or slots[0] is not dialect:  # memoized as SQLAlchemy memoizes: a
        slots = (dialect, *_slots(statement, dialect))  # generative copy drops it
        statement._set_memoized_attribute("_kept_slots", slots)
    _, sql, positions = slots
    if sql is None:
        return await conn.execute(statement, values)
    args = []
    for key, name, own, processor, fixed in positions:
        if key in values:
            value = values[key]
        elif name in values:
            value = values[name]
        elif own is None:
            args.append(fixed)
            continue
        else:
            value = own.effective_value
        args.append(value if processor is None else processor(value))
    return await conn.exec_driver_sql(sql, tuple(args))


def _slots(statement, dialect) -> tuple:
    found = statement._generate_cache_key()
    if found is None or not isinstance(found.key, HashedKey):
        return _NOT_DRIVEN
    key = (dialect, found.key)  # as SQLAlchemy's compiled cache: per dialect (engine)
    text = _texts.get(key, lambda: _text(statement, dialect, found.bindparams) or ())
    if not text:  # (): `_text` found it cannot be run as text
        return _NOT_DRIVEN
    sql, template = text
    own = found.bindparams
    positions = []
    for key, name, index, processor in template:
        bind = own[index]
        if bind.callable or bind.value is None:  # a value per run, or one always given
            positions.append((key, name, bind, processor, None))
        else:
            value = bind.value
            fixed = value if processor is None else processor(value)
            positions.append((key, name, None, processor, fixed))
    return sql, tuple(positions)


def _text(statement, dialect, binds) -> tuple | None:
    """(the compiled text, per position (the compiled parameter's key and name, the index of
    the statement's parameter in its cache key's list, the processor)), or None."""
    compiled = statement.compile(dialect=dialect)
    if (
        not compiled.positional
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or compiled.schema_translate_map
        or compiled.escaped_bind_names
    ):
        return None
    index: dict[str, int] = {}
    for n, bind in enumerate(binds):
        index.setdefault(bind.key, n)
    processors = compiled._bind_processors
    template = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        if bind.key not in index:
            return None
        template.append((bind.key, name, index[bind.key], processors.get(name)))
    return compiled.string, tuple(template)
