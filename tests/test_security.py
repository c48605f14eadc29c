"""API keys for integrations, and the audit log."""

from tests.support import Api, pk_of

KEY = "apiKey { id name prefix permissions lastUsedAt revokedAt }"


def make_key(api: Api, permissions: list[str], name: str = "Zapier") -> dict:
    payload = api.ok("createApiKey", {"name": name, "permissions": permissions}, f"{KEY} secret")
    return payload


def as_key(api: Api, secret: str) -> Api:
    return Api(api.client, api.tenant_id, api.worker_id, token=secret)


def test_a_key_acts_with_its_permissions_until_revoked(api):
    api.ok("createCustomer", {"name": "Ada"})
    payload = make_key(api, ["customers.view_all"])
    secret = payload["secret"]
    assert secret.startswith("chk_") and payload["apiKey"]["prefix"] in secret
    key = as_key(api, secret)
    assert key.query("{ customers { totalCount } }")["customers"]["totalCount"] == 1
    errors = key.errors('mutation { createCustomer(input: {name: "X"}) { customer { id } } }')
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    listed = api.query("{ apiKeys { name lastUsedAt revokedAt } }")["apiKeys"]
    assert listed[0]["name"] == "Zapier" and listed[0]["lastUsedAt"] is not None
    api.ok("revokeApiKey", {"id": payload["apiKey"]["id"]}, "apiKey { revokedAt }")
    response = key.post("{ customers { totalCount } }")
    assert response.status_code == 401
    assert "revoked" in response.json()["errors"][0]["message"]


def test_keys_never_exceed_their_maker_and_secrets_are_checked(api):
    manager_id = api.ok(
        "createWorker",
        {"name": "Max", "email": "max@example.com", "role": "ADMIN"},
        "worker { id }",
    )["worker"]["id"]
    admin = Api(api.client, api.tenant_id, pk_of(manager_id))
    api.ok(
        "setWorkerPermission",
        {"workerId": manager_id, "permission": "customers.delete", "granted": False},
    )
    payload = admin.mutate(
        "createApiKey", {"name": "k", "permissions": ["customers.delete", "nope"]}, "secret"
    )
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["input", "permissions", "0"], "FORBIDDEN"),
        (["input", "permissions", "1"], "NOT_FOUND"),
    ]
    assert payload["secret"] is None
    secret = make_key(api, ["customers.edit"])["secret"]
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    assert as_key(api, forged).post("{ me { permissions } }").status_code == 401


def test_only_key_managers_see_keys(api, other_api):
    make_key(api, ["customers.edit"])
    agent_id = api.ok("createWorker", {"name": "Ann", "email": "ann@example.com"}, "worker { id }")[
        "worker"
    ]["id"]
    agent = Api(api.client, api.tenant_id, pk_of(agent_id))
    assert agent.errors("{ apiKeys { name } }")[0]["extensions"]["code"] == "FORBIDDEN"
    assert other_api.query("{ apiKeys { name } }") == {"apiKeys": []}
    key_id = api.query("{ apiKeys { id } }")["apiKeys"][0]["id"]
    payload = other_api.mutate("revokeApiKey", {"id": key_id}, "apiKey { id }")
    assert payload["userErrors"][0]["code"] == "NOT_FOUND"


def test_the_audit_log_records_who_changed_what(api):
    ada = api.ok("createCustomer", {"name": "Ada"}, "customer { id }")["customer"]["id"]
    api.ok("updateCustomer", {"id": ada, "city": "London"})
    api.mutate("updateCustomer", {"id": ada, "name": ""})
    log = api.query(
        """query($id: ID!) { auditLog(filter: {customerId: $id}) {
            totalCount nodes { action data actor { name } customer { name } } } }""",
        id=ada,
    )["auditLog"]
    assert log["totalCount"] == 2
    assert [n["action"] for n in log["nodes"]] == ["customer.updated", "customer.created"]
    assert log["nodes"][0]["data"] == {"changed": ["city"]}
    assert log["nodes"][0]["actor"] == {"name": "Olivia Owner"}
    assert log["nodes"][0]["customer"] == {"name": "Ada"}
    api.ok("setRolePermission", {"role": "AGENT", "permission": "tags.manage", "granted": True})
    changes = (
        '{ auditLog(first: 1, filter: {actions: ["permissions.changed"]}) { nodes { data } } }'
    )
    actions = api.query(changes)
    assert actions["auditLog"]["nodes"][0]["data"]["permission"] == "tags.manage"
