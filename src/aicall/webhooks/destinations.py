"""Where the webhook sender may connect: public addresses only (no SSRF).

A customer chooses the webhook URL, and the sender runs inside the operator's network: an
unchecked URL would let a customer make it POST to the metadata service
(169.254.169.254), to a database port on 10.0.0.5 or to the operator's own admin on
127.0.0.1. So at send time the host is resolved once, every address it resolves to must
be public (not loopback, private, link-local, shared, multicast, reserved or unspecified,
IPv4 or IPv6, IPv4 embedded in IPv6 included), and the connection goes to that checked
address: a name that resolves to a public address when checked and to 127.0.0.1 a moment
later (DNS rebinding) cannot redirect the POST, because no second lookup happens. The URL
keeps its host name, so the Host header, TLS SNI and certificate check are the name's.

`AICALL_WEBHOOK_ALLOW_PRIVATE=1` lifts the address rule for development and tests.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings
from httpcore import AsyncNetworkBackend, AsyncNetworkStream
from httpcore._backends.auto import AutoBackend

# What the delivery log says: the same words whatever the address was, so that the log
# does not become a way to map the operator's network.
BLOCKED_REASON = "destination not allowed (a private, loopback or reserved address)"
CREDENTIALS_REASON = "the webhook URL must not contain a user name or password"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def allow_private() -> bool:
    return bool(settings.AICALL.get("WEBHOOK_ALLOW_PRIVATE"))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(text: str) -> bool:
    """True when a webhook may connect to `text` (an IPv4 or IPv6 address)."""
    try:
        address: IPAddress = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(str(embedded))
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def has_credentials(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return True
    return bool(parts.username or parts.password or "@" in parts.netloc)


def literal_address_refused(url: str) -> bool:
    """At save time: a URL naming a non-public IP address (or localhost) outright.

    Names are not resolved here (DNS can change); the sender checks every send.
    """
    if allow_private():
        return False
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return True
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return not is_public_address(host)


class BlockedDestination(httpcore.ConnectError):
    """The host resolved to an address the sender must not connect to."""


class GuardedBackend(AsyncNetworkBackend):
    """httpcore's network backend, resolving and checking the host before connecting."""

    def __init__(self) -> None:
        self._inner = AutoBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable | None = None,
    ) -> AsyncNetworkStream:
        address = await checked_address(host, port)
        return await self._inner.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(self, *args, **kwargs) -> AsyncNetworkStream:
        raise BlockedDestination(BLOCKED_REASON)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def checked_address(host: str, port: int) -> str:
    """The one address to connect to for `host`, or BlockedDestination."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM
        )
    except OSError as exc:
        raise httpcore.ConnectError("could not resolve the webhook host") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise httpcore.ConnectError("could not resolve the webhook host")
    # Every address must pass, not only the first: a name may list a public address
    # beside 127.0.0.1 and let the connection fall through to it.
    if not allow_private() and not all(is_public_address(a) for a in addresses):
        raise BlockedDestination(BLOCKED_REASON)
    return addresses[0]


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the connection pool on GuardedBackend."""

    def __init__(self, *, limits: httpx.Limits) -> None:  # noqa: super-init-not-called
        # The pool httpx's __init__ would build (its only state), on our backend: httpx
        # has no parameter for it. One SSL context for all: each costs ~20 ms to load.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(),
        )


def blocked(exc: BaseException) -> bool:
    """Whether an httpx error was the address rule refusing the destination."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, BlockedDestination):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
