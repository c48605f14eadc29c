"""The front-end guide's operations (`frontend/src/operations.graphql`) hold: valid against
the committed SDL, answered without errors by the API for a customer with workers, folders,
tags and a sub-customer, and (where Node.js is; CI has it) turned into TypeScript by
graphql-codegen and accepted by `tsc --strict` in `frontend/src/check.ts`."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, build_schema, parse, validate

from tests.support import gid

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
DOCUMENT = (FRONTEND / "src" / "operations.graphql").read_text()
REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"


def operations() -> list[str]:
    found = parse(DOCUMENT).definitions
    return [d.name.value for d in found if isinstance(d, OperationDefinitionNode)]


def test_the_operations_fit_the_committed_schema():
    schema = build_schema((ROOT / "schema.graphql").read_text())
    assert validate(schema, parse(DOCUMENT)) == []
    assert {"CustomerList", "CustomerProfile", "CustomerSidebar", "ListBadges"} <= set(operations())


def run(api, name: str, **variables) -> dict:
    body = {"query": DOCUMENT, "operationName": name, "variables": variables}
    headers = {"Authorization": f"Bearer {api.token}"}
    answer = api.client.post("/graphql", json=body, headers=headers).json()
    assert "errors" not in answer, answer
    return answer["data"]


def test_the_operations_run(api):
    api.enable("tickets")
    worker = api.ok(
        "createWorker",
        {"name": "Wes", "email": "wes@example.com", "role": "AGENT"},
        "worker { id }",
    )["worker"]["id"]
    tag = api.ok("createTag", {"name": "VIP", "color": "#aa0000"}, "tag { id }")["tag"]["id"]
    folder = api.ok("createFolder", {"name": "Sales", "color": "#00aa00"}, "folder { id }")
    folder = folder["folder"]["id"]
    ada = api.ok(
        "createCustomer",
        {"name": "Ada", "folders": [{"folderId": folder}], "city": "Paris"},
        "customer { id }",
    )["customer"]["id"]
    api.ok("createCustomer", {"name": "Ada Jr", "parentId": ada}, "customer { id }")
    page = run(api, "CustomerList", first=10, filter={"search": "ada"})["customers"]
    assert [e["node"]["name"] for e in page["edges"]] == ["Ada Jr", "Ada"]
    assigned = run(api, "AssignWorkers", customerId=ada, workerIds=[worker])["assignWorkers"]
    assert assigned["userErrors"] == [] and assigned["customer"]["workers"][0]["name"] == "Wes"
    tagged = run(api, "AddTags", customerId=ada, tagIds=[tag])["addCustomerTags"]
    assert tagged["customer"]["tags"][0]["name"] == "VIP"
    profile = run(api, "CustomerProfile", id=ada)["customer"]
    assert profile["viewerCan"]["edit"] and profile["timeline"]["nodes"]
    assert "tickets" in [t["key"] for t in profile["profileTabs"]]
    sidebar = run(api, "CustomerSidebar", id=ada)["customer"]
    assert sidebar["subCustomerCount"] == 1 and sidebar["folders"][0]["folder"]["name"] == "Sales"
    stale = run(api, "UpdateCustomer", input={"id": ada, "city": "Lyon", "expectedVersion": 0})[
        "updateCustomer"
    ]
    assert [e["code"] for e in stale["userErrors"]] == ["VERSION_CONFLICT"]
    unknown = run(api, "CustomerProfile", id=gid("Customer", 2_147_480_000))
    assert unknown == {"customer": None}


def test_codegen_types_pass_tsc_strict(tmp_path):
    npm = shutil.which("npm")
    if npm is None:
        (pytest.fail if REQUIRED else pytest.skip)("Node.js/npm is not installed")
    quiet = ["--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run([npm, "ci", *quiet], cwd=FRONTEND, check=True, timeout=600)
    done = subprocess.run(
        [npm, "run", "-s", "check"], cwd=FRONTEND, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    generated = (FRONTEND / "src" / "generated.ts").read_text()
    assert "export type CustomerListQuery = " in generated
