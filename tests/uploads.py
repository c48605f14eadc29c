"""GraphQL multipart requests (the spec Apollo's and urql's upload links speak), built the way
those clients build them, for the tests of uploads and of the permissions that guard them."""

import json

from tests.support import Api, settle

UPLOAD = """
mutation($input: UploadFileInput!) {
  uploadFile(input: $input) {
    file { id name size contentType sha256 purpose createdAt downloadUrl }
    userErrors { field message code }
  }
}
"""
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PREFLIGHT = {"Apollo-Require-Preflight": "true"}


def multipart(
    api: Api,
    query: str,
    variables: dict,
    files: dict[str, tuple[list[str], str, bytes, str]],
    headers: dict | None = None,
    token: str | None = None,
):
    """POST `operations`, `map` and the files: `{part: (paths, name, bytes, claimed type)}`;
    each path's variable is null in `operations`, as the spec has it."""
    operations = {"query": query, "variables": variables}
    mapping = {part: paths for part, (paths, _, _, _) in files.items()}
    sent = {part: (name, data, kind) for part, (_, name, data, kind) in files.items()}
    response = api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
        files=sent,
        headers={
            "Authorization": f"Bearer {token or api.token}",
            **(PREFLIGHT if headers is None else headers),
        },
    )
    settle(api.client)
    return response


def upload(
    api: Api,
    data: bytes = PNG,
    name: str = "photo.png",
    customer_id: str | None = None,
    claimed: str = "image/png",
    purpose: str = "DOCUMENT",
):
    """The response of `uploadFile` with one file."""
    input = {"file": None, "purpose": purpose}
    if customer_id is not None:
        input["customerId"] = customer_id
    files = {"0": (["variables.input.file"], name, data, claimed)}
    return multipart(api, UPLOAD, {"input": input}, files)


def uploaded(api: Api, **kwargs) -> dict:
    """The payload of an `uploadFile` that must succeed: its file."""
    response = upload(api, **kwargs)
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    payload = body["data"]["uploadFile"]
    assert payload["userErrors"] == [], payload
    return payload["file"]
