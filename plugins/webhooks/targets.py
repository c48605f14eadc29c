"""Where a webhook may go: public addresses only (no server-side request forgery). An
endpoint's URL would otherwise let any admin make the server POST to its own network: the
database, a cloud's metadata service (169.254.169.254), an internal admin page.

Refused: loopback, private, shared (100.64/10), link-local, multicast, reserved and
unspecified addresses, IPv4 and IPv6, IPv4 inside IPv6 (`::ffff:10.0.0.1`, NAT64, 6to4,
Teredo) included. Checked twice:
- when an endpoint is saved: the host as written, or what it resolves to now (a host that
  does not resolve is accepted: DNS may be down or the name not yet published);
- at every connection the delivery's POST opens (`Guard`, httpx's network backend): the
  name is resolved there, every address checked, and the socket opened to a checked address,
  so a name that later resolves to an internal address (DNS rebinding) is refused too.
Redirects are never followed, and proxies from the environment are not used (the check is
of the endpoint's address, not of a proxy's). `WEBHOOK_PRIVATE_TARGETS` allows all of it, for
development and the tests' receiver on 127.0.0.1."""

import asyncio
import ipaddress
import socket
from collections.abc import Iterable

import anyio
import httpcore2
import httpx2
from httpcore2._backends.anyio import AnyIOStream

RESOLVE_SECONDS = 2.0  # when an endpoint is saved; a delivery's own timeout bounds its own
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SHARED = ipaddress.ip_network("100.64.0.0/10")


class BlockedTarget(Exception):
    """The endpoint's host is, or resolves to, an address webhooks may not reach."""


def refusal(address: str) -> str | None:
    """What kind of internal address this is ("a loopback address"), or None if public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id
    except ValueError:
        return "not an address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return refusal(str(embedded))
    for kind, hit in (
        ("an unspecified", ip.is_unspecified),
        ("a loopback", ip.is_loopback),
        ("a link-local", ip.is_link_local),
        ("a multicast", ip.is_multicast),
        ("a reserved", ip.is_reserved),
        ("a private", ip.is_private or (ip.version == 4 and ip in SHARED)),
        ("a non-public", not ip.is_global),
    ):
        if hit:
            return f"{kind} address"
    return None


def host_of(url: str) -> str | None:
    try:
        return httpx2.URL(url).host or None
    except Exception:
        return None


async def resolve(host: str, port: int | None = None) -> list[str]:
    """Every address the host names (an address literal: itself, as the resolver reads it:
    `2130706433` and `127.1` are 127.0.0.1)."""
    loop = asyncio.get_running_loop()
    found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in found))


async def saved_problem(url: str, allow_private: bool) -> str | None:
    """Why an endpoint may not be saved with this URL (a message), or None. Resolving takes
    at most `RESOLVE_SECONDS`; a host that does not resolve passes (see the docstring)."""
    host = host_of(url)
    if allow_private or not host:
        return None
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            addresses = await resolve(host)
    except (OSError, TimeoutError, UnicodeError):
        return None
    for address in addresses:
        kind = refusal(address)
        if kind is not None:
            named = host if host == address else f"{host} resolves to {address},"
            return f"{named} {kind}: webhooks go to public addresses only."
    return None


class Guard(httpcore2.AsyncNetworkBackend):
    """httpx's network backend for deliveries: resolves the host itself, refuses it if any
    of its addresses is internal (`BlockedTarget`), else connects to them in turn."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await resolve(host, port)
        except TimeoutError as error:
            raise httpcore2.ConnectTimeout(str(error)) from error
        except OSError as error:
            raise httpcore2.ConnectError(f"{host}: {error}") from error
        for address in addresses:
            kind = refusal(address)
            if kind is not None:
                shown = host if host == address else f"{host} ({address})"
                raise BlockedTarget(f"Refused: {shown} is {kind}.")
        last: Exception | None = None
        for address in addresses:
            try:
                with anyio.fail_after(timeout):
                    stream = await anyio.connect_tcp(address, port, local_host=local_address)
            except TimeoutError as error:
                last = httpcore2.ConnectTimeout(f"{host}: connecting timed out")
                last.__cause__ = error
                continue
            except OSError as error:
                last = httpcore2.ConnectError(f"{host}: {error}")
                continue
            for option in socket_options or ():
                stream._raw_socket.setsockopt(*option)  # type: ignore[attr-defined]
            return AnyIOStream(stream)
        raise last or httpcore2.ConnectError(f"{host}: no address")

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):  # noqa: ASYNC109
        raise BlockedTarget("Refused: no unix sockets.")

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


def client(seconds: float, allow_private: bool) -> httpx2.AsyncClient:
    """The delivery's client: no redirects, no proxies from the environment, and (unless
    private targets are allowed) the `Guard` on every connection it opens."""
    transport = httpx2.AsyncHTTPTransport(trust_env=False)
    if not allow_private:
        # httpx builds its own pool without a way to pass a network backend: the same pool
        # (TLS settings from the transport's context) with the guard.
        pool = transport._pool
        transport._pool = httpcore2.AsyncConnectionPool(
            ssl_context=pool._ssl_context, network_backend=Guard()
        )
    return httpx2.AsyncClient(
        timeout=seconds, follow_redirects=False, trust_env=False, transport=transport
    )
