"""Where uploaded files are kept, behind one small interface: a local folder by default
(`var/uploads`), an S3-compatible object store in production (boto3, the maintained AWS
client, which MinIO, Ceph, R2 and the like speak too).

Keys are made by `new_key` (the tenant and a random part), never from a client's file name:
a key is not guessable and cannot point outside the store. Both backends refuse any other
shape of key. The blocking calls (file copies, boto3) run in a worker thread, off the event
loop. `delete` of a missing key is not an error, so removing twice is safe."""

import asyncio
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from core.config import Settings

CHUNK = 64 * 1024
KEY = re.compile(r"[1-9][0-9]{0,9}/[0-9a-f]{32}")


def content_disposition(name: str, inline: bool = False) -> str:
    """`attachment` (or `inline`, for playing or showing in the page) with an ASCII
    fallback and the UTF-8 name (RFC 6266 / 5987)."""
    ascii_name = name.encode("ascii", "ignore").decode() or "file"
    ascii_name = ascii_name.replace("\\", "_").replace('"', "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def new_key(tenant_id: int) -> str:
    return f"{int(tenant_id)}/{secrets.token_hex(16)}"


def checked(key: str) -> str:
    if not KEY.fullmatch(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class Storage(Protocol):
    async def put(self, key: str, source: Path, content_type: str) -> None:
        """Store the file at `source` under `key`, whole or not at all."""

    async def get(self, key: str) -> bytes: ...

    def open(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The object's bytes in chunks, from `start` to `end` inclusive (a `Range`);
        `FileNotFoundError` if there is none."""

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    async def signed_url(
        self, key: str, name: str, content_type: str, seconds: int, inline: bool = False
    ) -> str | None:
        """A URL of the store itself serving the object for `seconds` (ranges too), or None
        when only the app can serve it (a local folder)."""


class LocalStorage:
    """Files under `root`, one folder per tenant. A put writes a hidden temporary file next
    to its target and renames it: a reader never sees half a file, a failed put leaves none."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / checked(key)

    async def put(self, key: str, source: Path, content_type: str) -> None:
        target = self.path(key)
        await asyncio.to_thread(self._put, Path(source), target)

    @staticmethod
    def _put(source: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        try:
            shutil.copyfile(source, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self.path(key).read_bytes)

    async def open(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        handle = await asyncio.to_thread(self.path(key).open, "rb")
        try:
            if start:
                await asyncio.to_thread(handle.seek, start)
            left = None if end is None else end - start + 1
            while left is None or left > 0:
                chunk = await asyncio.to_thread(
                    handle.read, CHUNK if left is None else min(CHUNK, left)
                )
                if not chunk:
                    break
                if left is not None:
                    left -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path(key).is_file)

    async def signed_url(
        self, key: str, name: str, content_type: str, seconds: int, inline: bool = False
    ) -> None:
        return None


class S3Storage:
    """An S3-compatible bucket through boto3 (its clients are thread-safe: one per store)."""

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
    ):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(signature_version="s3v4", retries={"mode": "standard"}),
        )

    def _key(self, key: str) -> str:
        return self.prefix + checked(key)

    async def put(self, key: str, source: Path, content_type: str) -> None:
        # One request below boto3's multipart threshold; above it an aborted multipart
        # upload leaves no object either.
        await asyncio.to_thread(
            self.client.upload_file,
            str(source),
            self.bucket,
            self._key(key),
            ExtraArgs={"ContentType": content_type},
        )

    async def _body(self, key: str, start: int = 0, end: int | None = None):
        from botocore.exceptions import ClientError

        extra = {}
        if start or end is not None:  # the store sends only the range asked
            extra["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            found = await asyncio.to_thread(
                self.client.get_object, Bucket=self.bucket, Key=self._key(key), **extra
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from exc
            raise
        return found["Body"]

    async def get(self, key: str) -> bytes:
        body = await self._body(key)
        try:
            return await asyncio.to_thread(body.read)
        finally:
            body.close()

    async def open(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        body = await self._body(key, start, end)
        try:
            while chunk := await asyncio.to_thread(body.read, CHUNK):
                yield chunk
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=self._key(key))

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    async def signed_url(
        self, key: str, name: str, content_type: str, seconds: int, inline: bool = False
    ) -> str:
        return await asyncio.to_thread(
            self.client.generate_presigned_url,
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self._key(key),
                "ResponseContentDisposition": content_disposition(name, inline),
                "ResponseContentType": content_type,
            },
            ExpiresIn=seconds,
        )


def make_storage(settings: Settings) -> Storage:
    if settings.storage == "s3":
        if not settings.s3_bucket:
            raise ValueError("STORAGE=s3 needs S3_BUCKET")
        return S3Storage(
            settings.s3_bucket,
            settings.s3_endpoint_url,
            settings.s3_region,
            settings.s3_access_key_id,
            settings.s3_secret_access_key,
            settings.s3_prefix,
        )
    return LocalStorage(settings.storage_dir)
