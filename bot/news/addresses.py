"""Addresses and host names as a browser reads them, and which addresses are not public.

Used by the URL guard (bot/news/urlguard.py): `canonical_host` parses every notation a browser
accepts (`127.1`, `2130706433`, `0x7f000001`, full-width digits, percent-escapes, trailing dots) into
one canonical form, and `address_problem` says why an address may not be fetched, if it may not.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import unquote_to_bytes

import idna

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata.goog"})

PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")

_LABEL_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})

# Opened by allow_private_networks.
_OPENED_BY_PRIVATE = frozenset({"a private address", "a loopback address", "a link-local address"})


class InvalidHost(Exception):
    """The host or port cannot be parsed."""


# --------------------------------------------------------------------------------------------- addresses


def address_problem(ip: IPAddress, *, allow_private: bool = False) -> str | None:
    """Why `ip` may not be contacted ("a loopback address", ...), or None when it is a public address."""
    reason = _address_reason(ip)
    if reason is not None and allow_private and reason in _OPENED_BY_PRIVATE:
        return None
    return reason


def _address_reason(ip: IPAddress) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return "an IPv4-mapped IPv6 address"
        embedded = ip.sixtofour
        if embedded is None and ip.teredo is not None:
            embedded = ip.teredo[1]
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = _address_reason(embedded)
            if inner is not None:
                return f"an IPv6 address that embeds {inner}"
            return None
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if any(ip in net for net in PRIVATE_NETWORKS):
        return "a private address"
    if ip.is_reserved or not ip.is_global or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local):
        return "a reserved address"
    return None


# ------------------------------------------------------------------------------------------------- hosts


def _ipv4_number(part: str) -> int | None:
    """One part of a WHATWG IPv4 address: decimal, 0x-hex or 0-octal; None if it is not a number."""
    if part == "":
        return None
    digits, radix, allowed = part, 10, "0123456789"
    if part[:2] in ("0x", "0X"):
        digits, radix, allowed = part[2:], 16, "0123456789abcdefABCDEF"
    elif len(part) > 1 and part[0] == "0":
        digits, radix, allowed = part[1:], 8, "01234567"
    if digits == "":
        return 0
    if any(c not in allowed for c in digits):
        return None
    return int(digits, radix)


def _ends_in_number(labels: list[str]) -> bool:
    last = labels[-1]
    return last != "" and ((last.isascii() and last.isdigit()) or _ipv4_number(last) is not None)


def _parse_ipv4(labels: list[str]) -> ipaddress.IPv4Address:
    if len(labels) > 4:
        raise InvalidHost
    numbers = [_ipv4_number(p) for p in labels]
    if any(n is None for n in numbers):
        raise InvalidHost
    nums = [n for n in numbers if n is not None]
    if any(n > 255 for n in nums[:-1]) or nums[-1] >= 256 ** (5 - len(nums)):
        raise InvalidHost
    value = nums[-1]
    for i, n in enumerate(nums[:-1]):
        value += n * 256 ** (3 - i)
    return ipaddress.IPv4Address(value)


def canonical_host(raw: str) -> tuple[str, IPAddress | None]:
    """Browser-style host parsing: returns (host for the URL, its IP address if it is a literal).

    IPv6 comes back in brackets ("[::1]"), IPv4 as a dotted quad, names in lower-case punycode
    without trailing dots. Raises InvalidHost for anything that is not a host.
    """
    if raw.startswith("["):
        if not raw.endswith("]"):
            raise InvalidHost
        inner = _percent_decode(raw[1:-1])
        if "%" in inner:  # a zone id: only meaningful for link-local addresses, never allowed
            raise InvalidHost
        try:
            ip6 = ipaddress.IPv6Address(inner)
        except ValueError as exc:
            raise InvalidHost from exc
        return f"[{ip6.compressed}]", ip6
    host = _percent_decode(raw)
    if host == "" or any(unicodedata.category(c) in ("Cc", "Zs", "Zl", "Zp") for c in host):
        raise InvalidHost
    host = host.translate(_DOTS)
    if host.isascii():
        host = host.lower()
    else:
        try:
            host = idna.uts46_remap(host, std3_rules=False, transitional=False)
        except (idna.IDNAError, ValueError) as exc:
            raise InvalidHost from exc
        host = host.translate(_DOTS).lower()
    host = host.rstrip(".")
    if host == "" or len(host) > 253:
        raise InvalidHost
    labels = host.split(".")
    # Digits of any script ("١٢٧", "１２７") are read as the digits they are: a host made of them is an
    # address in disguise, never a real name.
    labels = [_ascii_digits(lab) if lab.isdecimal() else lab for lab in labels]
    if _ends_in_number(labels):
        ip4 = _parse_ipv4(labels)
        return str(ip4), ip4
    out: list[str] = []
    for label in labels:
        if not label.isascii():
            try:
                label = idna.alabel(label).decode("ascii")
            except (idna.IDNAError, UnicodeError, ValueError) as exc:
                raise InvalidHost from exc
        if not _LABEL_RE.match(label):
            raise InvalidHost
        out.append(label)
    return ".".join(out), None


def _ascii_digits(label: str) -> str:
    return "".join(str(unicodedata.decimal(c)) for c in label)


def _percent_decode(text: str) -> str:
    if "%" not in text:
        return text
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidHost from exc
