"""`tests/test_probe.py`'s probe with another tenant's ids: every id slot of the API given an
id of the other tenant's object answers as for an unknown id, and changes nothing. A file of
its own so the two long probes run on two test workers at once (`--dist loadfile`)."""

from tests.test_probe import (  # noqa: F401 (the fixture)
    CUSTOMER_OWNED,
    KNOWN_LEAKS,
    _changes,
    _summary,
    _verdicts,
    make_probe,
    populate,
    probing,
    run_probes,
    snapshot,
    understood,
)


def test_another_tenants_ids_behave_as_unknown(probing, client):  # noqa: F811
    api, other, schema = probing
    slots = understood(schema)
    mine = populate(api, schema, "Mine")
    theirs = populate(other, schema, "Theirs")
    probes = []
    for slot in slots:
        for type_name in sorted(theirs) if slot.id_type is None else [slot.id_type]:
            used = type_name if type_name in theirs else "Customer"  # not creatable here
            probe = make_probe(schema, slot, used, lambda t: mine.get(t, mine["Customer"]))
            probes.append((probe, theirs[used]))
    before = snapshot(other, schema), snapshot(api, schema)
    failures: list[str] = []
    outcome = run_probes(api, probes, failures)
    after = snapshot(other, schema), snapshot(api, schema)
    fallbacks = sorted({s.id_type for s in slots if s.id_type and s.id_type not in theirs})
    summary = _summary("another tenant's ids", probes, outcome, client.app.state.registry)
    summary += f"; sent a Customer id for (not creatable): {fallbacks or 'nothing'}"
    changed = {
        "the other tenant": _changes(before[0], after[0]),
        "the probing tenant": _changes(before[1], after[1]),
    }
    _verdicts(summary, failures, changed)
