"""`tests/test_probe.py`'s probe with the ids of a customer the worker may not see (and its
module objects): they answer as unknown ids, never FORBIDDEN. A file of its own so the two
long probes run on two test workers at once (`--dist loadfile`)."""

from tests.support import Api, gid, pk_of
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


def test_an_invisible_customers_ids_behave_as_unknown(probing, client):  # noqa: F811
    """An agent, and a manager granted `audit.view`, both assigned one customer: another one
    (in no folder) and its module objects must look unknown to them, never FORBIDDEN."""
    api, _other, schema = probing
    slots = understood(schema)
    hidden = populate(api, schema, "Hidden")
    shown = populate(api, schema, "Shown")
    actors = {}
    for role in ("AGENT", "MANAGER"):
        email = f"{role.lower()}.{api.tenant_id}@example.com"
        made = api.ok("createWorker", {"name": role, "email": email, "role": role}, "worker { id }")
        worker_id = made["worker"]["id"]
        api.ok("assignWorkers", {"customerId": shown["Customer"], "workerIds": [worker_id]})
        actors[role] = Api(api.client, api.tenant_id, pk_of(worker_id))
    grant = {"workerId": gid("Worker", actors["MANAGER"].worker_id), "permission": "audit.view"}
    api.ok("setWorkerPermission", {**grant, "granted": True})
    for actor in actors.values():
        seen = actor.query("{ customers { nodes { id } } }")["customers"]["nodes"]
        assert seen == [{"id": shown["Customer"]}]
    owned = sorted(t for t in hidden if t in CUSTOMER_OWNED)
    probes = []
    for slot in slots:
        for type_name in owned if slot.id_type is None else [slot.id_type]:
            if type_name in owned:
                fill = lambda t: shown.get(t, shown["Customer"])  # noqa: E731
                probes.append((make_probe(schema, slot, type_name, fill), hidden[type_name]))
    before = snapshot(api, schema)
    failures: list[str] = []
    summaries = []
    for role, actor in actors.items():
        known = {name: why for (who, name), why in KNOWN_LEAKS.items() if who == role}
        outcome = run_probes(actor, probes, failures, frozenset({"FORBIDDEN"}), known)
        summaries.append(
            _summary(f"invisible ids, {role}", probes, outcome, client.app.state.registry)
        )
    after = snapshot(api, schema)
    summary = "\n".join(summaries) + f"\ncustomer-owned types probed: {owned}"
    _verdicts(summary, failures, {"the tenant": _changes(before, after)})
