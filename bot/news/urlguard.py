"""The URL guard: which links the bot may fetch, checked twice.

1. `check_url` (before any request, and again for every redirect hop) parses the link the way a
   browser does (WHATWG rules: `127.1`, `2130706433`, `0x7f000001`, `0177.0.0.1`, full-width
   digits, `%31%32%37.0.0.1`, trailing dots, backslashes ...), rebuilds it in one canonical form
   (dotted-quad IPv4, compressed IPv6, punycode, lower case) and refuses it when its scheme, port,
   credentials, length or literal address is not allowed. The canonical form is what is requested,
   so the check and the connection see the same host.
2. `make_socket_factory` builds the `socket_factory` of the session's `aiohttp.TCPConnector`. aiohttp
   calls it for every address it is about to connect to, after DNS (IP literals skip the resolver, but
   not the socket factory), so a name that resolves to a private address, DNS rebinding and every
   redirect hop are caught at the one place that cannot be bypassed: the address actually dialled.

Policy
------
* Schemes: http and https only. No user name or password in the link. At most
  `max_url_length` characters.
* Ports: 80, 443, 8080, 8443 and `allow_ports`.
* Addresses: public ones only. Refused: loopback, private (10/8, 172.16/12, 192.168/16, 100.64/10,
  fc00::/7), link-local, multicast, unspecified, reserved / not globally routable, IPv4-mapped IPv6,
  IPv6 forms that embed a refused IPv4 address (6to4, Teredo, NAT64), and the cloud metadata
  addresses (169.254.169.254, fd00:ec2::254, 100.100.100.200, metadata.google.internal).
* `allow_private_networks: true` opens private, loopback (incl. `localhost`) and link-local addresses,
  which is what self-hosters on an intranet expect. The metadata addresses, multicast, unspecified,
  reserved and IPv4-mapped addresses stay refused.
* `allow_hosts` entries open exactly what they name: `"host"` lifts the address check for that host
  (on the allowed ports), `"host:port"` lifts the address and the port check for that host and port
  only. A named host may resolve to any address (the operator vouches for it); an IP entry matches
  that address. This is how a metadata address could be reached, if ever needed.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from bot.errors import BlockedURLError
from bot.news.addresses import (
    METADATA_NAMES,
    InvalidHost,
    IPAddress,
    address_problem,
    canonical_host,
)
from bot.settings import FetchSettings

SCHEMES = {"http": 80, "https": 443}
STANDARD_PORTS = (80, 443, 8080, 8443)

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
# A link typed without a scheme: "example.com/x", "www.example.com", "localhost:8080/x".
_BARE_HOST_RE = re.compile(r"^[^\s/?#@:\\]+(?::\d*)?(?:[/?#\\]|$)")
# Printable ASCII except space: left as is in path, query and fragment; everything else is %-encoded.
_URL_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))

# --------------------------------------------------------------------------------------------- allow list


@dataclass(frozen=True)
class _AllowList:
    hosts: frozenset[str]  # "host": address check lifted
    host_ports: frozenset[tuple[str, int]]  # "host:port": address and port check lifted
    ports: tuple[int, ...]  # ports allowed for everyone

    def names(self, host: str, port: int) -> bool:
        """Does an allow_hosts entry lift the address check for this host and port?"""
        return host in self.hosts or (host, port) in self.host_ports

    def port_ok(self, host: str, port: int) -> bool:
        return port in self.ports or (host, port) in self.host_ports


def _parse_allow_entry(entry: str) -> tuple[str, int | None] | None:
    entry = entry.strip()
    if not entry:
        return None
    port: int | None = None
    host = entry
    if entry.startswith("["):
        end = entry.find("]")
        if end < 0:
            return None
        host, rest = entry[: end + 1], entry[end + 1 :]
        if rest:
            if not rest.startswith(":") or not rest[1:].isascii() or not rest[1:].isdigit():
                return None
            port = int(rest[1:])
    elif entry.count(":") > 1:
        host = f"[{entry}]"
    elif ":" in entry:
        host, _, p = entry.partition(":")
        if not p.isascii() or not p.isdigit():
            return None
        port = int(p)
    try:
        canon, _ip = canonical_host(host)
    except InvalidHost:
        return None
    return (_bare(canon), port)


@lru_cache(maxsize=64)
def _allow_list(allow_hosts: tuple[str, ...], allow_ports: tuple[int, ...]) -> _AllowList:
    hosts: set[str] = set()
    host_ports: set[tuple[str, int]] = set()
    for entry in allow_hosts:
        parsed = _parse_allow_entry(str(entry))
        if parsed is None:
            continue
        host, port = parsed
        if port is None:
            hosts.add(host)
        else:
            host_ports.add((host, port))
    ports = tuple(sorted(set(STANDARD_PORTS) | {int(p) for p in allow_ports}))
    return _AllowList(frozenset(hosts), frozenset(host_ports), ports)


def allow_list(settings: FetchSettings) -> _AllowList:
    """The parsed allow_hosts / allow_ports of these settings (invalid entries are ignored)."""
    return _allow_list(tuple(settings.allow_hosts), tuple(settings.allow_ports))


def _display(ip: IPAddress) -> str:
    """An address as people write it ("::ffff:127.0.0.1", not "::ffff:7f00:1")."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return f"::ffff:{ip.ipv4_mapped}"
    return ip.compressed


def _bare(host: str) -> str:
    """A canonical host without IPv6 brackets, as shown to users and compared with allow entries."""
    return host[1:-1] if host.startswith("[") else host


# ------------------------------------------------------------------------------------------------- URLs


@dataclass(frozen=True)
class Target:
    """A checked link: its parts in canonical form."""

    scheme: str
    host: str  # bare: "example.com", "93.184.216.34", "2001:db8::1"
    port: int
    url: str  # the canonical URL to request
    ip: IPAddress | None = None

    @property
    def hostport(self) -> str:
        """The host as in a URL authority ("[::1]:8080", "example.com")."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == SCHEMES[self.scheme] else f"{host}:{self.port}"


def _shown(text: str, limit: int = 80) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_url(source: str) -> bool:
    """Does `source` look like a link rather than a file name: has a scheme, or starts with "//"?

    A single letter before the colon is a Windows drive ("C:\\news.html"), not a scheme.
    """
    text = source.strip()
    if text.startswith("//"):
        return True
    match = _SCHEME_RE.match(text)
    return match is not None and len(match.group(1)) > 1


def _split(url: str) -> tuple[str, str, str]:
    """(scheme, authority, rest) of a link; scheme-less links get https."""
    match = _SCHEME_RE.match(url)
    scheme = match.group(1).lower() if match else ""
    rest = url[match.end() :] if match else url
    if (
        match
        and scheme not in SCHEMES
        and (("." in scheme and not rest.startswith("/")) or rest[:1].isdigit())
    ):
        # "example.com:8080/x", "localhost:8080": a host and port typed without a scheme.
        scheme, rest, match = "", url, None
    if not match:
        if url.startswith(("//", "\\\\")):
            scheme, rest = "https", url
        elif _looks_like_host(url):
            scheme, rest = "https", "//" + url
        else:
            raise BlockedURLError(
                f"“{_shown(url)}” is not a web link: it should start with http:// or https://"
            )
    if scheme not in SCHEMES:
        raise BlockedURLError(f"{_shown(scheme, 20)} URLs are not allowed: only http and https")
    # Browsers read "\" as "/" in http(s) links and accept any number of slashes after the scheme.
    rest = rest.lstrip("/\\")
    end = len(rest)
    for sep in "/\\?#":
        pos = rest.find(sep)
        if pos >= 0:
            end = min(end, pos)
    return scheme, rest[:end], rest[end:]


def _looks_like_host(text: str) -> bool:
    """Is this a link typed without its scheme, like "example.com/x" or "localhost:8080"?"""
    match = _BARE_HOST_RE.match(text)
    if match is None:
        return False
    head = re.split(r"[/?#\\]", text, maxsplit=1)[0]
    host, colon, _port = head.partition(":")
    return "." in host.strip(".") or bool(colon) or host.lower() == "localhost"


def _canonical_tail(tail: str) -> str:
    path, hashmark, fragment = tail.partition("#")
    path, qmark, query = path.partition("?")
    path = path.replace("\\", "/") or "/"
    out = quote(path, safe=_URL_SAFE)
    if qmark:
        out += "?" + quote(query, safe=_URL_SAFE)
    if hashmark:
        out += "#" + quote(fragment, safe=_URL_SAFE)
    return out


def guard_url(url: str, settings: FetchSettings) -> Target:
    """Parse, normalise and check a link; raises BlockedURLError saying what is wrong and why."""
    if not isinstance(url, str):
        raise BlockedURLError("the link is not text")
    limit = settings.max_url_length
    if len(url) > limit * 2:  # cheap early refusal before any parsing
        raise BlockedURLError(f"the link is longer than {limit} characters")
    # WHATWG: strip leading/trailing C0 controls and spaces, drop tabs and newlines anywhere.
    text = (
        url.strip("".join(chr(c) for c in range(0x21))).replace("\t", "").replace("\n", "").replace("\r", "")
    )
    if not text:
        raise BlockedURLError("the link is empty")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise BlockedURLError("the link contains control characters")
    scheme, authority, tail = _split(text)
    if "@" in authority:
        raise BlockedURLError("links with a user name or password are not allowed")
    if authority.startswith("["):
        end = authority.find("]")
        raw_host, raw_port = (authority[: end + 1], authority[end + 1 :]) if end >= 0 else (authority, "")
        if raw_port and not raw_port.startswith(":"):
            raise BlockedURLError(f"{_shown(authority)} is not a valid host name")
        raw_port = raw_port[1:]
    else:
        raw_host, _, raw_port = authority.partition(":")
    if not raw_host:
        raise BlockedURLError("the link has no host name")
    if raw_port == "":
        port = SCHEMES[scheme]
    elif raw_port.isascii() and raw_port.isdigit() and 0 < int(raw_port) < 65536:
        port = int(raw_port)
    else:
        raise BlockedURLError(f"{_shown(raw_port, 20)} is not a valid port")
    try:
        host_in_url, ip = canonical_host(raw_host)
    except InvalidHost:
        raise BlockedURLError(f"{_shown(raw_host)} is not a valid host name") from None
    host = _bare(host_in_url)
    authority_out = host_in_url if port == SCHEMES[scheme] else f"{host_in_url}:{port}"
    canonical = f"{scheme}://{authority_out}{_canonical_tail(tail)}"
    if len(canonical) > limit:
        raise BlockedURLError(f"the link is longer than {limit} characters")

    allowed = allow_list(settings)
    if not allowed.names(host, port):
        if ip is not None:
            reason = address_problem(ip, allow_private=settings.allow_private_networks)
        else:
            reason = _name_problem(host, allow_private=settings.allow_private_networks)
        if reason is not None:
            raise BlockedURLError(f"{host if ip is None else _display(ip)} is {reason}: not allowed")
    if not allowed.port_ok(host, port):
        raise BlockedURLError(f"port {port} is not allowed (allowed: {', '.join(map(str, allowed.ports))})")
    return Target(scheme=scheme, host=host, port=port, url=canonical, ip=ip)


def _name_problem(host: str, *, allow_private: bool) -> str | None:
    if host in METADATA_NAMES:
        return "a cloud metadata address"
    if host == "localhost" or host.endswith(".localhost"):
        return None if allow_private else "a loopback address"
    return None


def check_url(url: str, settings: FetchSettings) -> str:
    """Validate and normalise a link; returns the canonical URL or raises BlockedURLError."""
    return guard_url(url, settings).url


# ----------------------------------------------------------------------------------- connect-time guard


@dataclass
class Hop:
    """The request being connected in this task: its host (for allow_hosts) and the refusals seen."""

    host: str
    port: int
    refusals: list[str] = field(default_factory=list)


_HOP: ContextVar[Hop | None] = ContextVar("newsbrief_fetch_hop", default=None)


@contextmanager
def connecting(target: Target) -> Iterator[Hop]:
    """Tell the socket factory which link the connections opened inside this block are for."""
    hop = Hop(target.host, target.port)
    token = _HOP.set(hop)
    try:
        yield hop
    finally:
        _HOP.reset(token)


class BlockedAddress(PermissionError):
    """Raised by the socket factory: aiohttp treats it like an address it could not connect to."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EACCES, message)


def connect_problem(ip_text: str, port: int, settings: FetchSettings, hop: Hop | None) -> str | None:
    """Why the connector may not dial ip_text:port for this hop, or None if it may."""
    try:
        ip = ipaddress.ip_address(ip_text.split("%", 1)[0])
    except ValueError:
        return f"{ip_text} is not an IP address"
    allowed = allow_list(settings)
    shown = ip.compressed
    lifted = allowed.names(shown, port) or (
        hop is not None and hop.port == port and allowed.names(hop.host, port)
    )
    if not lifted:
        reason = address_problem(ip, allow_private=settings.allow_private_networks)
        if reason is not None:
            if hop is not None and hop.host != shown:
                return f"{hop.host} leads to {_display(ip)}, {reason}: not allowed"
            return f"{_display(ip)} is {reason}: not allowed"
    hosts = [shown] if hop is None else [shown, hop.host]
    if not any(allowed.port_ok(h, port) for h in hosts):
        return _port_message(port, allowed)
    return None


def _port_message(port: int, allowed: _AllowList) -> str:
    return f"port {port} is not allowed (allowed: {', '.join(map(str, allowed.ports))})"


def make_socket_factory(settings: FetchSettings) -> Callable[[tuple[Any, ...]], socket.socket]:
    """The TCPConnector socket_factory: checks every address right before it is dialled."""

    def socket_factory(addr_info: tuple[Any, ...]) -> socket.socket:
        family, type_, proto, _canon, sockaddr = addr_info
        hop = _HOP.get()
        problem = connect_problem(str(sockaddr[0]), int(sockaddr[1]), settings, hop)
        if problem is not None:
            if hop is not None:
                hop.refusals.append(problem)
            raise BlockedAddress(problem)
        return socket.socket(family=family, type=type_, proto=proto)

    return socket_factory
