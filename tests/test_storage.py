"""The storage interface (`core/storage.py`) on both backends: a local folder, and S3 against a
real S3-compatible server process (moto's `moto_server`, installed with the dev extras),
then the whole upload path through a real `server.py` process storing in that server."""

import asyncio
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx2
import pytest

from core.storage import LocalStorage, S3Storage, new_key
from tests.fixtures import new_tenant
from tests.servers import REQUIRED, AppServer, _stop, free_port
from tests.support import SECRET
from tests.uploads import PDF, PNG, PREFLIGHT, UPLOAD

MOTO = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
BUCKET = "hub-files"


async def round_trip(storage, source: Path) -> None:
    key = new_key(7)
    assert key.startswith("7/") and len(key) == 34
    assert not await storage.exists(key)
    await storage.put(key, source, "application/pdf")
    assert await storage.exists(key)
    assert await storage.get(key) == PDF
    assert b"".join([chunk async for chunk in storage.open(key)]) == PDF
    await storage.delete(key)
    await storage.delete(key)  # twice: not an error
    assert not await storage.exists(key)
    with pytest.raises(FileNotFoundError):
        await storage.get(key)
    for bad in ("../etc/passwd", "7/../../x", "7/ABC", "/7/" + "a" * 32, "0/" + "a" * 32):
        with pytest.raises(ValueError):
            await storage.put(bad, source, "text/plain")


def test_local_storage(tmp_path):
    source = tmp_path / "upload"
    source.write_bytes(PDF)
    storage = LocalStorage(tmp_path / "store")
    asyncio.run(round_trip(storage, source))
    assert asyncio.run(storage.signed_url(new_key(1), "a.pdf", "application/pdf", 60)) is None
    assert not [p for p in (tmp_path / "store").rglob("*") if p.is_file()]  # no partial files


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    """`moto_server` in a process of its own, on a free port, with one bucket."""
    if not Path(MOTO).exists():
        if REQUIRED:
            pytest.fail("moto_server is not installed (pip install 'moto[server]')")
        pytest.skip("moto_server not installed")
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    process = subprocess.Popen(
        [MOTO, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx2.get(url + "/moto-api/", timeout=1)
                break
            except httpx2.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("moto_server did not start")
                time.sleep(0.1)
        store = s3(url)
        store.client.create_bucket(Bucket=BUCKET)
        yield url
    finally:
        _stop(process)
        log.close()


def s3(url: str, prefix: str = "") -> S3Storage:
    return S3Storage(BUCKET, url, "us-east-1", "test", "test", prefix)


def test_s3_storage(s3_server, tmp_path):
    source = tmp_path / "upload"
    source.write_bytes(PDF)
    storage = s3(s3_server, prefix="hub/")
    asyncio.run(round_trip(storage, source))

    async def presigned():
        key = new_key(3)
        await storage.put(key, source, "application/pdf")
        listed = storage.client.list_objects_v2(Bucket=BUCKET, Prefix="hub/3/")
        assert [o["Key"] for o in listed["Contents"]] == [f"hub/{key}"]
        return await storage.signed_url(key, "Scan é.pdf", "application/pdf", 60)

    url = asyncio.run(presigned())
    response = httpx2.get(url)
    assert response.status_code == 200 and response.content == PDF
    # what the store is asked to answer with (moto ignores it; S3 and MinIO honour it)
    assert "response-content-disposition=attachment" in url


def test_both_stores_read_a_range(s3_server, tmp_path):
    """`open(key, start, end)`: the bytes of a `Range` (S3: asked of the store itself), and
    an inline presigned link for playing."""
    data = bytes(range(256)) * 4
    source = tmp_path / "audio"
    source.write_bytes(data)

    async def ranges(storage) -> list[bytes]:
        key = new_key(5)
        await storage.put(key, source, "audio/wav")
        found = []
        for start, end in ((0, 99), (100, None), (1000, 1023)):
            found.append(b"".join([c async for c in storage.open(key, start, end)]))
        url = await storage.signed_url(key, "call.wav", "audio/wav", 60, inline=True)
        await storage.delete(key)
        return found, url

    for storage in (LocalStorage(tmp_path / "local"), s3(s3_server, prefix="ranges/")):
        found, url = asyncio.run(ranges(storage))
        assert found == [data[:100], data[100:], data[1000:]]
        assert url is None or "response-content-disposition=inline" in url


def test_uploads_through_a_real_server_into_s3(s3_server, client, database_url, tmp_path):
    """`python server.py` with STORAGE=s3: multipart over a real socket, download, redirect."""
    api = new_tenant(client)
    ada = api.ok("createCustomer", {"name": "Ada"}, "customer { id }")["customer"]["id"]
    # tenant ids repeat across the databases this module's one S3 server sees
    prefix = f"e2e-{uuid.uuid4().hex[:12]}/"
    server = AppServer(
        "uploads",
        tmp_path,
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET,
            "STORAGE": "s3",
            "S3_BUCKET": BUCKET,
            "S3_ENDPOINT_URL": s3_server,
            "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": "test",
            "S3_SECRET_ACCESS_KEY": "test",
            "S3_PREFIX": prefix,
            "UPLOAD_MAX_FILE_BYTES": "2000",
            "OUTBOX_SWEEP_SECONDS": "0",
        },
    )
    server.launch()
    try:
        server.wait_ready()
        headers = {"Authorization": f"Bearer {api.token}", **PREFLIGHT}

        def post(name: str, data: bytes, customer_id: str | None = ada):
            import json

            operations = {
                "query": UPLOAD,
                "variables": {"input": {"file": None, "customerId": customer_id}},
            }
            return httpx2.post(
                server.url + "/graphql",
                data={
                    "operations": json.dumps(operations),
                    "map": '{"0": ["variables.input.file"]}',
                },
                files={"0": (name, data, "image/png")},
                headers=headers,
                timeout=10,
            )

        stored = post("../../scan.png", PDF).json()["data"]["uploadFile"]
        assert stored["userErrors"] == []
        assert stored["file"]["name"] == "scan.png.pdf"
        assert stored["file"]["contentType"] == "application/pdf"
        download = httpx2.get(stored["file"]["downloadUrl"], timeout=10)
        assert download.status_code == 200 and download.content == PDF
        assert download.headers["x-content-type-options"] == "nosniff"

        empty = post("empty.png", b"").json()["data"]["uploadFile"]
        assert [e["code"] for e in empty["userErrors"]] == ["EMPTY_FILE"]
        big = post("big.png", PNG + b"\0" * 2000)
        assert big.status_code == 413
        assert big.json()["errors"][0]["extensions"]["code"] == "FILE_TOO_LARGE"
        unknown = post("a.png", PNG, "Q3VzdG9tZXI6MjE0NzQ4MDAwMA").json()["data"]["uploadFile"]
        assert [e["code"] for e in unknown["userErrors"]] == ["NOT_FOUND"]

        objects = s3(s3_server).client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
        assert len(objects["Contents"]) == 1  # the refused uploads left nothing
    finally:
        server.stop()
