"""PostGraphile 5 side by side (issue 14's yardstick): it compiles each GraphQL operation
into one SQL statement, as the compiled path does. Its schema is the project's tables as
they are (amber preset, connected as the bench's login, so no row-level security), asked
for the same list page as `scenarios.LIST`: the same customers, in the same order, with
status, tags, folders and their statuses, workers, parent and sub-customer count (its
`totalCount` on `customersByParentId`, with the tenant's condition so an index answers).

It needs npm: `npm install` in `bench/scale/postgraphile/` brings PostGraphile and node 22
(PostGraphile 5 refuses older ones) from the registry, once. Without npm, or when the
install fails, the bench says why and reports against F only."""

import asyncio
import base64
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx2
from sqlalchemy import make_url

from bench.load import Process

DIR = Path(__file__).with_name("postgraphile")
NODE = DIR / "node_modules" / ".bin" / "node"
CLI = DIR / "node_modules" / "postgraphile" / "dist" / "cli-run.js"

LIST = """
query ListPage($tenant: Int!) {
  allCustomers(first: 50, condition: {tenantId: $tenant},
               orderBy: [UPDATED_AT_DESC, PRIMARY_KEY_DESC]) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id name kind avatarUrl phones emails company blocked followUpAt updatedAt
      statusByStatusId { id name color category }
      customerTagsByCustomerId { nodes { tagByTagId { id name color } } }
      customerFoldersByCustomerId { nodes {
        folderByFolderId { id name color } statusByStatusId { id name color } } }
      customerWorkersByCustomerId { nodes { workerByWorkerId { id name avatarUrl atWork } } }
      customerByParentId { id name }
      customersByParentId(condition: {tenantId: $tenant}) { totalCount }
    } }
  }
}"""


def install() -> str | None:
    """None when PostGraphile can run, else why not."""
    if NODE.exists() and CLI.exists():
        return None
    if shutil.which("npm") is None:
        return "npm is not installed"
    try:
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund"],
            cwd=DIR, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return "npm install took over 15 minutes"
    if done.returncode != 0 or not (NODE.exists() and CLI.exists()):
        return f"npm install failed: {(done.stderr or done.stdout).strip()[-300:]}"
    return None


class PostGraphileServer(Process):
    def __init__(self, url: str, directory: Path, port: int):
        self.port, self.log = port, directory / "postgraphile.log"
        database = make_url(url).set(drivername="postgresql")
        connection = database.render_as_string(hide_password=False)
        command = [str(NODE), str(CLI), "-P", "postgraphile/presets/amber", "-c", connection,
                   "-s", "public", "-p", str(port), "-n", "127.0.0.1"]  # fmt: skip
        self._launch(command, DIR, {**os.environ, "GRAPHILE_ENV": "production"})

    async def wait_ready(self, within: float = 120.0) -> None:
        """It has no /health: ready when it answers `{ __typename }`."""
        deadline = time.monotonic() + within
        async with httpx2.AsyncClient(timeout=5) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"PostGraphile exited at start:\n{self.tail()}")
                try:
                    answer = await http.post(
                        f"{self.base}/graphql", json={"query": "{ __typename }"}
                    )
                    if answer.status_code == 200:
                        return
                except httpx2.HTTPError:
                    pass
                await asyncio.sleep(0.25)
        raise RuntimeError(f"PostGraphile: no answer within {within:.0f} s")


def customer_ids(answer: dict) -> list[int]:
    """The customers of its page: its ids are base64 of `["Customer", 42]`."""
    found = []
    for edge in answer["data"]["allCustomers"]["edges"]:
        raw = edge["node"]["id"]
        found.append(json.loads(base64.b64decode(raw + "=" * (-len(raw) % 4)))[1])
    return found
