"""Customer and worker photos end to end through real multipart requests, on both databases:
the thumbnails (opened with Pillow: sizes, orientation, no metadata), types refused whatever
they claim, decompression bombs, replacing and removing (old objects gone), a failure midway
leaving nothing, who may fetch a photo, erasure, and the list's statement count."""

import io
import struct
import zlib

from PIL import Image

from core import avatars
from core.auth import Principal
from tests.support import Api, count_statements, gid, pk_of
from tests.test_archive import wait_for_removal_job
from tests.test_uploads import customer, objects, rows, worker
from tests.uploads import PDF, multipart

SET_CUSTOMER = """mutation($input: SetCustomerAvatarInput!) { setCustomerAvatar(input: $input) {
  customer { id avatarUrl large: avatarUrl(size: LARGE) } userErrors { field code } } }"""
LIST = "query($n: Int!) { customers(first: $n) { edges { node { id SELECTION } } } }"
SET_WORKER = """mutation($input: SetWorkerAvatarInput!) { setWorkerAvatar(input: $input) {
  worker { id avatarUrl } userErrors { field code } } }"""


def image(fmt: str = "PNG", size=(300, 200), exif=None) -> bytes:
    picture = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    picture.save(out, fmt, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def send(api: Api, query: str, input: dict, data: bytes, name="me.png", claimed="image/png"):
    files = {"0": (["variables.input.file"], name, data, claimed)}
    response = multipart(api, query, {"input": {**input, "file": None}}, files)
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    return next(iter(body["data"].values()))


def set_customer(api: Api, customer_id: str, data: bytes, **kwargs) -> dict:
    return send(api, SET_CUSTOMER, {"customerId": customer_id}, data, **kwargs)


def fetched(api: Api, url: str) -> Image.Image:
    response = api.client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "max-age=86400" in response.headers["cache-control"]
    return Image.open(io.BytesIO(response.content))


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` (and holds a few bytes of nothing)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_png_and_a_jpeg_become_two_square_webp_thumbnails(api):
    ada = customer(api, avatarUrl="https://example.com/old.png")
    payload = set_customer(api, ada, image("PNG"))
    assert payload["userErrors"] == []
    small, large = payload["customer"]["avatarUrl"], payload["customer"]["large"]
    assert fetched(api, small).size == (64, 64)
    assert fetched(api, large).size == (256, 256)
    [stored_a, stored_b] = objects(api)
    assert {r["purpose"] for r in rows(api)} == {"avatar"}
    # the same link on a later read (cacheable), and not among the customer's files
    again = api.query(
        "query($id: ID!) { customer(id: $id) { avatarUrl uploadedFiles { totalCount } } }", id=ada
    )["customer"]
    assert again == {"avatarUrl": small, "uploadedFiles": {"totalCount": 0}}

    # a JPEG turned by its EXIF orientation: upright, and its metadata gone
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    exif[0x010F] = "SpyCam"
    picture = Image.new("RGB", (200, 100), (255, 0, 0))
    picture.paste((0, 0, 255), (100, 0, 200, 100))  # left red, right blue
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif, quality=95)
    payload = set_customer(api, ada, out.getvalue(), name="me.jpg", claimed="image/jpeg")
    thumb = fetched(api, payload["customer"]["avatarUrl"]).convert("RGB")
    top, bottom = thumb.getpixel((5, 3)), thumb.getpixel((5, 60))
    assert top[0] > 200 and top[2] < 60, top  # red above: turned upright
    assert bottom[2] > 200 and bottom[0] < 60, bottom
    assert not fetched(api, payload["customer"]["avatarUrl"]).getexif()
    # replacing removed the PNG's objects and rows
    assert len(objects(api)) == 2 and stored_a not in objects(api) and stored_b not in objects(api)
    assert len(rows(api)) == 2
    assert api.client.get(small).status_code == 404


def test_a_spoofed_or_unreadable_image_is_refused_and_leaves_nothing(api):
    ada = customer(api)
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'
    for data in (PDF, svg, b"GIF89a" + b"\x00" * 40):
        payload = set_customer(api, ada, data)
        assert payload["customer"] is None
        assert [e["code"] for e in payload["userErrors"]] in (
            ["TYPE_NOT_ALLOWED"],
            ["IMAGE_UNREADABLE"],
        )
    assert rows(api) == [] and objects(api) == []


def test_a_decompression_bomb_is_refused_before_it_is_decoded(api):
    ada = customer(api)
    for width, height in ((50_000, 50_000), (7_000, 7_000)):  # over 2x, and between 1x and 2x
        payload = set_customer(api, ada, png_header(width, height))
        assert payload["userErrors"] == [{"field": ["input", "file"], "code": "IMAGE_TOO_LARGE"}], (
            width,
            payload,
        )
    assert rows(api) == [] and objects(api) == []


def test_a_failure_midway_leaves_nothing_and_keeps_the_old_photo(api):
    ada = customer(api)
    first = set_customer(api, ada, image())["customer"]["avatarUrl"]
    storage = api.client.app.state.storage
    original = storage.put
    calls = []

    async def broken(key, source, content_type):
        calls.append(key)
        if len(calls) == 2:
            raise OSError("disk full")
        await original(key, source, content_type)

    storage.put = broken
    try:
        files = {"0": (["variables.input.file"], "b.png", image(size=(90, 90)), "image/png")}
        body = multipart(api, SET_CUSTOMER, {"input": {"customerId": ada, "file": None}}, files)
    finally:
        storage.put = original
    assert body.json()["errors"][0]["extensions"]["code"] == "INTERNAL"
    assert len(objects(api)) == 2 and len(rows(api)) == 2
    assert api.query("query($id: ID!) { customer(id: $id) { avatarUrl } }", id=ada) == {
        "customer": {"avatarUrl": first}
    }
    assert fetched(api, first).size == (64, 64)


def test_removing_a_photo_falls_back_to_the_stored_url(api):
    ada = customer(api, avatarUrl="https://example.com/a.png")
    url = set_customer(api, ada, image())["customer"]["avatarUrl"]
    assert url.startswith("http") and "/avatars/" in url
    payload = api.ok("removeCustomerAvatar", {"customerId": ada}, "customer { avatarUrl }")
    assert payload["customer"]["avatarUrl"] == "https://example.com/a.png"
    assert rows(api) == [] and objects(api) == []
    assert api.client.get(url).status_code == 404


def test_only_who_sees_the_customer_fetches_its_photo(api, other_api):
    agent = worker(api, "AGENT", "Ann")
    ada = customer(api)
    url = set_customer(api, ada, image())["customer"]["avatarUrl"]
    agent_set = send(agent, SET_CUSTOMER, {"customerId": ada}, image())
    assert [e["code"] for e in agent_set["userErrors"]] == ["NOT_FOUND"]
    settings = api.client.app.state.settings
    key = url.split("/")[-2]

    def link(principal: Principal) -> str:
        return avatars.link(avatars.link_base(settings.signing_key, principal, ""), key, None)

    agents = link(Principal(api.tenant_id, agent.worker_id, "agent"))
    assert api.client.get(agents).status_code == 404
    theirs = link(Principal(other_api.tenant_id, other_api.worker_id, "owner"))
    assert api.client.get(theirs).status_code == 404
    forged = url.replace("/avatars/", "/avatars/x")
    assert api.client.get(forged).status_code == 404
    api.ok("assignWorkers", {"customerId": ada, "workerIds": [gid("Worker", agent.worker_id)]})
    assert api.client.get(agents).status_code == 200
    # erasing the customer takes the photo with core's removal job
    api.ok("deleteCustomer", {"id": ada}, "deletedId")
    assert api.client.get(url).status_code == 404
    assert wait_for_removal_job(api)["result"] == {"removed": 2}
    assert rows(api) == [] and objects(api) == []


def test_a_worker_sets_their_own_photo_and_an_admin_anyones(api):
    agent = worker(api, "AGENT", "Ann")
    admin = worker(api, "ADMIN", "Max")
    own = send(agent, SET_WORKER, {}, image())
    assert own["userErrors"] == []
    assert fetched(admin, own["worker"]["avatarUrl"]).size == (64, 64)  # the team sees it
    body = multipart(
        agent,
        SET_WORKER,
        {"input": {"workerId": gid("Worker", admin.worker_id), "file": None}},
        {"0": (["variables.input.file"], "a.png", image(), "image/png")},
    ).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    by_admin = send(admin, SET_WORKER, {"workerId": gid("Worker", agent.worker_id)}, image())
    assert by_admin["userErrors"] == [] and len(objects(api)) == 2
    assert "avatarUrl" in api.query("{ me { worker { avatarUrl } } }")["me"]["worker"]
    removed = api.ok(
        "removeWorkerAvatar", {"workerId": gid("Worker", agent.worker_id)}, "worker { avatarUrl }"
    )
    assert removed["worker"]["avatarUrl"] is None and objects(api) == []


def test_the_list_shows_photos_at_the_same_statement_count(api, engine):
    names = [{"name": f"C{i:02}"} for i in range(12)]
    ids = [p["customer"]["id"] for p in api.many("createCustomer", names, "customer { id }")]
    for target in ids[:4]:
        set_customer(api, target, image(size=(40, 40)))
    assigned = gid("Worker", api.worker_id)
    for target in ids:
        api.ok("assignWorkers", {"customerId": target, "workerIds": [assigned]})
    send(api, SET_WORKER, {}, image(size=(40, 40)))
    for selection in ("avatarUrl workers { avatarUrl }", "avatarUrl(size: LARGE)"):
        query = LIST.replace("SELECTION", selection)
        counts = []
        for n in (3, 12):
            api.query(query, n=n)
            with count_statements(engine) as counter:
                data = api.query(query, n=n)
            counts.append(counter.count)
            shown = [e["node"] for e in data["customers"]["edges"]]
            assert len(shown) == n
        assert counts[0] == counts[1], (selection, counts)
        with_photo = [c for c in shown if pk_of(c["id"]) in {pk_of(i) for i in ids[:4]}]
        assert len(with_photo) == 4 and all("/avatars/" in c["avatarUrl"] for c in with_photo)
    fetched(api, with_photo[0]["avatarUrl"])


def test_concurrent_replacements_against_a_real_server_leave_one_photo(
    client, database_url, tmp_path
):
    """Six photos for one customer at once, through `python server.py`: the customer is
    locked while its photo switches, so exactly one photo's objects and rows remain and
    every retired one left the storage."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx2

    from tests.fixtures import new_tenant
    from tests.servers import AppServer
    from tests.support import SECRET

    api = new_tenant(client)
    ada = customer(api)
    storage_dir = tmp_path / "uploads"
    server = AppServer(
        "avatars",
        tmp_path,
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET,
            "STORAGE_DIR": str(storage_dir),
            "OUTBOX_SWEEP_SECONDS": "0",
        },
    )
    server.launch()
    try:
        server.wait_ready()

        def post(i: int) -> dict:
            import json

            operations = {
                "query": SET_CUSTOMER,
                "variables": {"input": {"customerId": ada, "file": None}},
            }
            response = httpx2.post(
                server.url + "/graphql",
                data={
                    "operations": json.dumps(operations),
                    "map": '{"0": ["variables.input.file"]}',
                },
                files={"0": (f"{i}.png", image(size=(50 + i, 50)), "image/png")},
                headers={"Authorization": f"Bearer {api.token}", "Apollo-Require-Preflight": "1"},
                timeout=60,
            )
            return response.json()

        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(post, range(6)))
        assert all(a["data"]["setCustomerAvatar"]["userErrors"] == [] for a in answers), answers
        left = sorted(p for p in storage_dir.rglob("*") if p.is_file())
        assert len(left) == 2, left
        assert len([r for r in rows(api) if r["state"] == "committed"]) == 2
        assert len(rows(api)) == 2
        final = httpx2.post(
            server.url + "/graphql",
            json={
                "query": "query($id: ID!) { customer(id: $id) { avatarUrl } }",
                "variables": {"id": ada},
            },
            headers={"Authorization": f"Bearer {api.token}"},
            timeout=10,
        ).json()["data"]["customer"]["avatarUrl"]
        assert httpx2.get(final, timeout=10).status_code == 200
    finally:
        server.stop()


def test_a_merge_keeps_each_customers_own_photo(api):
    ada, dup = customer(api, "Ada"), customer(api, "Ada (dup)")
    mine = set_customer(api, ada, image())["customer"]["avatarUrl"]
    set_customer(api, dup, image(size=(80, 80)))
    api.ok("mergeCustomers", {"sourceId": dup, "targetId": ada}, "customer { id }")
    query = "query($id: ID!) { customer(id: $id) { avatarUrl } }"
    assert api.query(query, id=ada) == {"customer": {"avatarUrl": mine}}
    assert {r["customer_id"] for r in rows(api)} == {pk_of(ada), pk_of(dup)}
