"""File uploads over HTTP: the GraphQL multipart request spec
(https://github.com/jaydenseric/graphql-multipart-request-spec), which Apollo Client
(apollo-upload-client), urql and graphql-upload speak. A `multipart/form-data` POST carries
an `operations` part (the JSON request with `null` where files go), a `map` part
(`{"0": ["variables.input.file"]}`) and the files; each file reaches its resolver as a
`core.files.Received` in place of that `null` (`Upload` scalar).

- Browsers send `multipart/form-data` cross-site without a preflight, so a request must
  also carry one of `PREFLIGHT_HEADERS` (as Apollo Server's CSRF prevention asks); without
  one it is refused (400 `CSRF_PREFLIGHT_REQUIRED`) before its body is read. A request
  without a well-formed `Authorization` is refused (401) before its body is read too.
- The body is streamed: each file goes to its own temporary file (written in a worker
  thread, hashed as it arrives) and never sits in memory; the non-file parts are held up to
  `MAX_BODY_BYTES`. Limits: `UPLOAD_MAX_FILE_BYTES` per file (413 `FILE_TOO_LARGE`),
  `UPLOAD_MAX_FILES` (413 `TOO_MANY_FILES`), `UPLOAD_MAX_REQUEST_BYTES` for the request
  (413 `REQUEST_TOO_LARGE`), each stopping the read at once.
- The whole request is received before it takes its turn and a database connection, as a
  JSON body is (`schema/view.py`); its temporary files are removed when it ends, whatever
  happened."""

import asyncio
import hashlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.types import Receive, Scope

from core import api_keys
from core.auth import read_token
from core.config import Settings
from core.errors import Unauthenticated
from core.files import Received
from schema.http import BadJson, decode_json

PREFLIGHT_HEADERS = (
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "graphql-preflight",
    "x-requested-with",
)


class UploadRefused(Exception):
    def __init__(self, status: int, message: str, code: str):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def bad(message: str) -> UploadRefused:
    return UploadRefused(400, message, "BAD_REQUEST")


def check_request(scope: Scope, signing_key: str) -> None:
    """What is refused before a byte of the body is read."""
    headers = Request(scope).headers
    if not any(headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
        message = (
            "A multipart request must carry a non-empty `Apollo-Require-Preflight` (or "
            "`X-Apollo-Operation-Name`, `GraphQL-Preflight`, `X-Requested-With`) header."
        )
        raise UploadRefused(400, message, "CSRF_PREFLIGHT_REQUIRED")
    scheme, _, token = headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise UploadRefused(401, "Send `Authorization: Bearer <token>`.", "UNAUTHENTICATED")
    if not api_keys.looks_like_key(token):
        try:
            read_token(signing_key, token)
        except Unauthenticated as exc:
            raise UploadRefused(401, str(exc), "UNAUTHENTICATED") from exc


@dataclass
class Part:
    headers: dict[str, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    content_type: str | None = None
    data: bytearray = field(default_factory=bytearray)
    path: Path | None = None
    handle: object = None
    size: int = 0
    hasher: object = None


@dataclass
class Form:
    operations: object
    files: dict[str, Received]
    folder: Path

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class Receiver:
    """python-multipart's streaming parser, fed chunk by chunk; parts land in `fields` (small,
    in memory) and `files` (temporary files)."""

    def __init__(self, boundary: bytes, settings: Settings, folder: Path):
        self.settings = settings
        self.folder = folder
        self.fields: dict[str, bytes] = {}
        self.files: dict[str, Received] = {}
        self.part: Part | None = None
        self.header = [b"", b""]
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self.begin,
                "on_header_field": lambda d, s, e: self._add_header(0, d[s:e]),
                "on_header_value": lambda d, s, e: self._add_header(1, d[s:e]),
                "on_header_end": self.header_end,
                "on_headers_finished": self.headers_finished,
                "on_part_data": self.data,
                "on_part_end": self.end,
            },
        )

    def _add_header(self, index: int, chunk: bytes) -> None:
        self.header[index] += chunk

    def begin(self) -> None:
        self.part = Part()

    def header_end(self) -> None:
        self.part.headers[self.header[0].decode("latin-1").lower()] = self.header[1]
        self.header = [b"", b""]

    def headers_finished(self) -> None:
        part = self.part
        disposition, options = parse_options_header(part.headers.get("content-disposition", b""))
        if disposition != b"form-data" or b"name" not in options:
            raise bad("Each part needs `Content-Disposition: form-data; name=…`.")
        part.name = options[b"name"].decode("utf-8", "replace")
        if b"filename" in options:
            if len(self.files) >= self.settings.upload_max_files:
                limit = self.settings.upload_max_files
                message = f"More than {limit} files in one request (UPLOAD_MAX_FILES)."
                raise UploadRefused(413, message, "TOO_MANY_FILES")
            if part.name in self.files:
                raise bad(f"The file part `{part.name}` is sent twice.")
            part.filename = options[b"filename"].decode("utf-8", "replace")
            part.content_type = part.headers.get("content-type", b"").decode("latin-1") or None
            part.path = self.folder / str(len(self.files))
            part.handle = open(part.path, "wb")  # noqa: SIM115 (closed in `end`)
            part.hasher = hashlib.sha256()
            self.files[part.name] = None  # counted from its first byte on

    def data(self, chunk: bytes, start: int, end: int) -> None:
        part, piece = self.part, chunk[start:end]
        part.size += len(piece)
        if part.handle is None:
            if part.size > self.settings.max_body_bytes:
                message = (
                    f"The `{part.name}` part is over {self.settings.max_body_bytes:,} bytes "
                    "(MAX_BODY_BYTES)."
                )
                raise UploadRefused(413, message, "REQUEST_TOO_LARGE")
            part.data += piece
            return
        if part.size > self.settings.upload_max_file_bytes:
            message = (
                f"A file is over {self.settings.upload_max_file_bytes:,} bytes "
                "(UPLOAD_MAX_FILE_BYTES)."
            )
            raise UploadRefused(413, message, "FILE_TOO_LARGE")
        part.handle.write(piece)
        part.hasher.update(piece)

    def end(self) -> None:
        part, self.part = self.part, None
        if part.handle is None:
            self.fields[part.name] = bytes(part.data)
            return
        part.handle.close()
        self.files[part.name] = Received(
            part.filename, part.content_type, part.path, part.size, part.hasher.hexdigest()
        )

    def write(self, chunk: bytes) -> None:
        try:
            self.parser.write(chunk)
        except MultipartParseError as exc:
            raise bad(f"The multipart body is malformed: {exc}") from None

    def close(self) -> None:
        if self.part is not None and self.part.handle is not None:
            self.part.handle.close()


async def receive_form(scope: Scope, receive: Receive, settings: Settings) -> Form | None:
    """The request's parts, files on disk; None if the client left. `UploadRefused` for
    anything wrong, with every temporary file removed."""
    limit = settings.upload_max_request_bytes
    refused = UploadRefused(
        413, f"The request is over {limit:,} bytes (UPLOAD_MAX_REQUEST_BYTES).", "REQUEST_TOO_LARGE"
    )
    headers = Request(scope).headers
    try:
        if int(headers.get("content-length") or 0) > limit:
            raise refused
    except ValueError:
        raise bad("`Content-Length` is not a number.") from None
    _, options = parse_options_header(headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if not boundary:
        raise bad("A multipart request needs a `boundary`.")
    folder = Path(tempfile.mkdtemp(prefix="hub-upload-"))
    receiver = Receiver(boundary, settings, folder)
    try:
        received, done = 0, False
        while not done:
            message = await receive()
            if message["type"] == "http.disconnect":
                receiver.close()
                shutil.rmtree(folder, ignore_errors=True)
                return None
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                raise refused
            if chunk:
                await asyncio.to_thread(receiver.write, chunk)
            done = not message.get("more_body", False)
        await asyncio.to_thread(receiver.parser.finalize)
        if receiver.part is not None:
            raise bad("The multipart body ended inside a part.")
        return Form(_operations(receiver, settings), receiver.files, folder)
    except BaseException:
        receiver.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _json(receiver: Receiver, name: str, settings: Settings) -> object:
    if name not in receiver.fields:
        raise bad(f"The multipart request has no `{name}` part (GraphQL multipart request spec).")
    try:
        return decode_json(receiver.fields[name], settings.max_json_depth)
    except BadJson as exc:
        raise bad(f"`{name}`: {exc.msg}") from None


def _operations(receiver: Receiver, settings: Settings) -> object:
    """`operations` with each file put where `map` says."""
    operations = _json(receiver, "operations", settings)
    mapping = _json(receiver, "map", settings)
    if not isinstance(operations, dict):
        raise bad('`operations` must be one JSON object: {"query": "…", "variables": {…}}.')
    if not isinstance(mapping, dict):
        raise bad('`map` must be an object: {"0": ["variables.file"]}.')
    for key in receiver.files:
        if key not in mapping:
            raise bad(f"The file part `{key}` is not in `map`.")
    for key, paths in mapping.items():
        if key not in receiver.files:
            raise bad(f"`map` names a file part `{key}` that was not sent.")
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
            raise bad(f"`map.{key}` must be a list of paths like `variables.file`.")
        for path in paths:
            _place(operations, path, receiver.files[key])
    return operations


def _place(operations: dict, path: str, received: Received) -> None:
    steps = path.split(".")
    if steps[0] != "variables" or len(steps) < 2:
        raise bad(f"`{path}`: a file goes into `variables`.")
    target: object = operations
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if isinstance(target, dict) and step in target:
            if last:
                if target[step] is not None:
                    raise bad(f"`{path}` must be null in `operations`.")
                target[step] = received
            target = target[step]
        elif isinstance(target, list) and step.isdigit() and int(step) < len(target):
            if last:
                if target[int(step)] is not None:
                    raise bad(f"`{path}` must be null in `operations`.")
                target[int(step)] = received
            target = target[int(step)]
        else:
            raise bad(f"`{path}` is not a place in `operations`.")
