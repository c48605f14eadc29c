"""GraphiQL loads with no CDN in reach and runs a query: headless Chromium (Debian's
`chromium` and `chromium-driver`) against a real `server.py`, with every host but this one
unresolvable, as on an office network without internet. The page's files must be the
app's own (`schema/graphiql.py`, fetched by `make install`).

Skipped, saying why, where Chromium is not installed; under `REQUIRE_SERVICES=1` (CI, whose
`.ci/run` installs it) a missing browser or missing files fail instead."""

import asyncio
import json
import os
import shutil
import urllib.parse
from pathlib import Path

import pytest

from core.database import Database
from core.tenants import create_tenant
from schema import graphiql
from tests.servers import AppServer
from tests.support import SECRET, token_for

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "var" / "graphiql"
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"


def need(ready: bool, why: str) -> None:
    if not ready:
        (pytest.fail if REQUIRED else pytest.skip)(why)


@pytest.fixture
def server(client, database_url, tmp_path):
    need(graphiql.present(ASSETS), f"GraphiQL's files are not in {ASSETS}: run `make install`")
    environment = {"DATABASE_URL": database_url, "GRAPHIQL_ASSETS": str(ASSETS)}
    app = AppServer("graphiql", tmp_path, {"SECRET_KEY": SECRET, **environment})
    app.launch()
    try:
        app.wait_ready()
        yield app
    finally:
        app.stop()


def owner_token(database_url: str) -> str:
    async def make():
        db = Database(database_url)
        try:
            async with db.transaction() as session:
                tenant, owner = await create_tenant(
                    session, "Browser Co", "Bea Browser", "bea@example.com"
                )
                return tenant.id, owner.id
        finally:
            await db.dispose()

    return token_for(*asyncio.run(make()))


@pytest.fixture
def browser():
    need(
        bool(CHROMIUM and DRIVER),
        "Chromium is not installed (apt install chromium chromium-driver)",
    )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_graphiql_loads_offline_and_runs_a_query(server, browser, database_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    token = owner_token(database_url)
    query = "query Check { customers(first: 1) { totalCount } }"
    headers = json.dumps({"Authorization": f"Bearer {token}"})
    params = urllib.parse.urlencode({"q": query, "headers": headers}, quote_via=urllib.parse.quote)
    browser.get(f"{server.url}/graphql?{params}")
    wait = WebDriverWait(browser, 30)
    button = wait.until(
        ready.element_to_be_clickable((By.CSS_SELECTOR, ".graphiql-execute-button"))
    )
    button.click()
    wait.until(lambda d: "totalCount" in d.find_element(By.CSS_SELECTOR, ".result-window").text)
    assert '"totalCount": 0' in browser.find_element(By.CSS_SELECTOR, ".result-window").text
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    scripts = [u for u in loaded if u.endswith((".js", ".css"))]
    assert scripts and all(u.startswith(server.url + graphiql.PREFIX) for u in scripts), scripts
