"""GraphiQL that loads without a CDN: its files come from the npm registry's packages at
install time (`make install` runs `python -m schema.graphiql`), pinned by version and
checked against the registry's sha512 integrity before anything is unpacked, then served
by the app under `/graphiql/assets/`. The page is Strawberry's, with its unpkg.com URLs
pointed there; its own sha384 `integrity` attributes stay, so the browser checks the files
a second time. Without the files (install skipped) the page keeps the CDN, and the start
says so."""

import base64
import hashlib
import io
import logging
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

log = logging.getLogger("customer_hub.graphiql")

REGISTRY = "https://registry.npmjs.org"
CDN = "https://unpkg.com/"
PREFIX = "/graphiql/assets/"

# (package, version, sha512 integrity from the registry, files of the package the page loads)
PACKAGES = (
    (
        "react",
        "18.2.0",
        "sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==",
        ("umd/react.production.min.js",),
    ),
    (
        "react-dom",
        "18.2.0",
        "sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==",
        ("umd/react-dom.production.min.js",),
    ),
    (
        "js-cookie",
        "3.0.5",
        "sha512-cEiJEAEoIbWfCZYKWhVwFuvPX1gETRYPw6LlaTKoxD3s2AkXzkCjnp6h0V77ozyqj0jakteJ4YqDJT830+lVGw==",
        ("dist/js.cookie.min.js",),
    ),
    (
        "graphiql",
        "3.8.3",
        "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
        ("graphiql.min.css", "graphiql.min.js"),
    ),
    (
        "@graphiql/plugin-explorer",
        "1.0.2",
        "sha512-9j+kg2UjtLZD5EBmGjeWHkoVVxtbShYg2DzbUVebibnZYZM/iMBEF4vaccXJIAm5KaomIPLx0aoNs4LbODyc3Q==",
        ("dist/style.css", "dist/index.umd.js"),
    ),
)


def _paths(directory: Path, name: str, version: str, files) -> list[Path]:
    return [directory / f"{name}@{version}" / f for f in files]


def present(directory: Path) -> bool:
    return all(
        p.is_file()
        for name, version, _, files in PACKAGES
        for p in _paths(directory, name, version, files)
    )


def _tarball_url(name: str, version: str) -> str:
    registry = os.environ.get("NPM_CONFIG_REGISTRY", REGISTRY).rstrip("/")
    return f"{registry}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"


def fetch(directory: Path) -> None:
    """Download, check and unpack what is missing; a mismatching download is refused."""
    for name, version, integrity, files in PACKAGES:
        targets = _paths(directory, name, version, files)
        if all(p.is_file() for p in targets):
            continue
        with urllib.request.urlopen(_tarball_url(name, version), timeout=60) as response:
            data = response.read()
        algorithm, _, expected = integrity.partition("-")
        actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
        if actual != expected:
            raise RuntimeError(f"{name}@{version}: integrity mismatch, refusing the download")
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for file, target in zip(files, targets, strict=True):
                member = archive.extractfile(f"package/{file}")
                if member is None:
                    raise RuntimeError(f"{name}@{version}: no {file} in the package")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(member.read())


def local_page(html: str) -> str:
    return html.replace(CDN, PREFIX)


def main(argv: list[str]) -> int:
    directory = Path(argv[1] if len(argv) > 1 else "var/graphiql")
    fetch(directory)
    print(f"GraphiQL assets in {directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
