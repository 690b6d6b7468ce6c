"""check_url / is_url / the connect-time check: every notation of a refused address, and what passes."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import BlockedURLError, FetchError
from bot.news.addresses import address_problem
from bot.news.urlguard import (
    Hop,
    check_url,
    connect_problem,
    guard_url,
    is_url,
    make_socket_factory,
)
from bot.settings import FetchSettings

DEFAULT = FetchSettings()
LOOPBACK = "127.0.0.1 is a loopback address: not allowed"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.1/",
        "http://127.0.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0x7f.0x0.0x0.0x1/",
        "http://0x7F.1/",
        "http://0177.0.0.1/",
        "http://0177.0000.0000.0001/",
        "http://017700000001/",
        "http://127.0.0.1./",
        "http://127.0.0.1../",
        "http://１２７.０.０.１/",  # full-width digits
        "http://١٢٧.٠.٠.١/",  # Arabic-Indic digits
        "http://127。0。0。1/",  # ideographic full stops
        "http://%31%32%37.0.0.1/",
        "http://127.0.0.1:80/",
        "HTTP://127.0.0.1/",
        "http:127.0.0.1",
        "http:/127.0.0.1/",
        "http:\\\\127.0.0.1\\",
        "  http://127.0.0.1/  ",
        "http://127.0.0.1\t/",
        "//127.0.0.1/",
        "127.0.0.1/path",
    ],
)
def test_ipv4_loopback_in_every_notation(url: str) -> None:
    with pytest.raises(BlockedURLError) as info:
        check_url(url, DEFAULT)
    assert str(info.value) == LOOPBACK


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://localhost/", "localhost is a loopback address: not allowed"),
        ("http://localhost./", "localhost is a loopback address: not allowed"),
        ("http://LOCALHOST/", "localhost is a loopback address: not allowed"),
        ("http://ｌｏｃａｌｈｏｓｔ/", "localhost is a loopback address: not allowed"),
        ("http://api.localhost/", "api.localhost is a loopback address: not allowed"),
        ("http://[::1]/", "::1 is a loopback address: not allowed"),
        ("http://[0:0:0:0:0:0:0:1]/", "::1 is a loopback address: not allowed"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is an IPv4-mapped IPv6 address: not allowed"),
        ("http://[::ffff:7f00:1]/", "::ffff:127.0.0.1 is an IPv4-mapped IPv6 address: not allowed"),
        ("http://[::ffff:8.8.8.8]/", "::ffff:8.8.8.8 is an IPv4-mapped IPv6 address: not allowed"),
        ("http://0.0.0.0/", "0.0.0.0 is the unspecified address: not allowed"),
        ("http://0/", "0.0.0.0 is the unspecified address: not allowed"),
        ("http://[::]/", ":: is the unspecified address: not allowed"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254 is a cloud metadata address: not allowed",
        ),
        ("http://0xa9fea9fe/", "169.254.169.254 is a cloud metadata address: not allowed"),
        ("http://[fd00:ec2::254]/", "fd00:ec2::254 is a cloud metadata address: not allowed"),
        (
            "http://metadata.google.internal/",
            "metadata.google.internal is a cloud metadata address: not allowed",
        ),
        ("http://169.254.1.1/", "169.254.1.1 is a link-local address: not allowed"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address: not allowed"),
        ("http://10.0.0.1/", "10.0.0.1 is a private address: not allowed"),
        ("http://172.16.5.4/", "172.16.5.4 is a private address: not allowed"),
        ("http://192.168.1.1:8080/", "192.168.1.1 is a private address: not allowed"),
        ("http://100.64.0.1/", "100.64.0.1 is a private address: not allowed"),
        ("http://[fd12:3456::1]/", "fd12:3456::1 is a private address: not allowed"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address: not allowed"),
        ("http://[ff02::1]/", "ff02::1 is a multicast address: not allowed"),
        ("http://240.0.0.1/", "240.0.0.1 is a reserved address: not allowed"),
        ("http://255.255.255.255/", "255.255.255.255 is a reserved address: not allowed"),
        ("http://192.0.2.1/", "192.0.2.1 is a reserved address: not allowed"),
        ("http://[2001:db8::1]/", "2001:db8::1 is a reserved address: not allowed"),
        (
            "http://[64:ff9b::7f00:1]/",
            "64:ff9b::7f00:1 is an IPv6 address that embeds a loopback address: not allowed",
        ),
        (
            "http://[2002:a00:1::]/",
            "2002:a00:1:: is an IPv6 address that embeds a private address: not allowed",
        ),
        ("ftp://example.com/", "ftp URLs are not allowed: only http and https"),
        ("file:///etc/passwd", "file URLs are not allowed: only http and https"),
        ("gopher://example.com/", "gopher URLs are not allowed: only http and https"),
        ("javascript:alert(1)", "javascript URLs are not allowed: only http and https"),
        ("data:text/html,<p>hi</p>", "data URLs are not allowed: only http and https"),
        ("http://example.com:22/", "port 22 is not allowed (allowed: 80, 443, 8080, 8443)"),
        ("https://example.com:6379/", "port 6379 is not allowed (allowed: 80, 443, 8080, 8443)"),
        ("http://user@example.com/", "links with a user name or password are not allowed"),
        ("http://user:pass@example.com/", "links with a user name or password are not allowed"),
        ("http://:@example.com/", "links with a user name or password are not allowed"),
        ("http://example.com:99999/", "99999 is not a valid port"),
        ("http://example.com:0/", "0 is not a valid port"),
        ("http://example.com:８０/", "８０ is not a valid port"),
        ("http://exa mple.com/", "exa mple.com is not a valid host name"),
        ("http://256.1.1.1/", "256.1.1.1 is not a valid host name"),
        ("http://1.2.3.4.5/", "1.2.3.4.5 is not a valid host name"),
        ("http://[fe80::1%25eth0]/", "[fe80::1%25eth0] is not a valid host name"),
        ("http://[::1/", "[::1 is not a valid host name"),
        ("http:///", "the link has no host name"),
        ("", "the link is empty"),
        ("hello world", "“hello world” is not a web link: it should start with http:// or https://"),
    ],
)
def test_refusals_say_what_and_why(url: str, message: str) -> None:
    with pytest.raises(BlockedURLError) as info:
        check_url(url, DEFAULT)
    assert str(info.value) == message


def test_url_length_cap() -> None:
    limit = FetchSettings(max_url_length=100)
    assert check_url("https://example.com/" + "a" * 70, limit)
    with pytest.raises(BlockedURLError, match="longer than 100 characters"):
        check_url("https://example.com/" + "a" * 90, limit)
    with pytest.raises(BlockedURLError, match="longer than 100 characters"):
        check_url("https://example.com/" + "é" * 30, limit)  # counted after percent-encoding


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?b=c#d", "https://example.com/a?b=c#d"),
        ("HTTPS://Example.COM/Path", "https://example.com/Path"),
        ("https://example.com./", "https://example.com/"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("http://example.com:80/x", "http://example.com/x"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com:8443", "https://example.com:8443/"),
        ("https://bücher.de/straße", "https://xn--bcher-kva.de/stra%C3%9Fe"),
        ("https://ＥＸＡＭＰＬＥ．ｃｏｍ/", "https://example.com/"),
        ("https://example.com/a b?q=a b", "https://example.com/a%20b?q=a%20b"),
        ("https://example.com/%7Efoo", "https://example.com/%7Efoo"),
        ("https://example.com\\a\\b", "https://example.com/a/b"),
        ("https://evil.com\\@127.0.0.1/", "https://evil.com/@127.0.0.1/"),
        ("http://8.8.8.8/", "http://8.8.8.8/"),
        ("http://134744072/", "http://8.8.8.8/"),
        ("http://[2606:4700:4700:0:0:0:0:1111]/", "http://[2606:4700:4700::1111]/"),
        ("example.com/news/1", "https://example.com/news/1"),
        ("www.example.com", "https://www.example.com/"),
        ("//example.com/x", "https://example.com/x"),
        ("example.com:8080/x", "https://example.com:8080/x"),
        ("http:example.com", "http://example.com/"),
        ("http:///example.com/x", "http://example.com/x"),
        ("https://exa_mple.com/", "https://exa_mple.com/"),
        ("  https://example.com/\n", "https://example.com/"),
    ],
)
def test_accepted_and_normalised(url: str, expected: str) -> None:
    assert check_url(url, DEFAULT) == expected


def test_allow_ports_adds_ports() -> None:
    settings = FetchSettings(allow_ports=(8000,))
    assert check_url("http://example.com:8000/", settings) == "http://example.com:8000/"
    with pytest.raises(
        BlockedURLError, match=r"port 22 is not allowed \(allowed: 80, 443, 8000, 8080, 8443\)"
    ):
        check_url("http://example.com:22/", settings)


def test_allow_hosts_host_and_port_opens_exactly_that() -> None:
    settings = FetchSettings(allow_hosts=("127.0.0.1:5000",))
    assert check_url("http://127.0.0.1:5000/x", settings) == "http://127.0.0.1:5000/x"
    assert check_url("http://127.1:5000/x", settings) == "http://127.0.0.1:5000/x"
    with pytest.raises(BlockedURLError, match="loopback"):
        check_url("http://127.0.0.1:5001/", settings)
    with pytest.raises(BlockedURLError, match="loopback"):
        check_url("http://127.0.0.1/", settings)
    with pytest.raises(BlockedURLError, match="loopback"):
        check_url("http://localhost:5000/", settings)
    with pytest.raises(BlockedURLError, match="loopback"):
        check_url("http://127.0.0.2:5000/", settings)


def test_allow_hosts_host_only_keeps_the_port_rule() -> None:
    settings = FetchSettings(allow_hosts=("intranet.corp", "10.1.2.3", "[fd00::5]:8000", "fd00::6"))
    assert check_url("http://intranet.corp/", settings) == "http://intranet.corp/"
    assert check_url("http://10.1.2.3:8080/", settings) == "http://10.1.2.3:8080/"
    assert check_url("http://[fd00::5]:8000/", settings) == "http://[fd00::5]:8000/"
    assert check_url("http://[fd00::6]/", settings) == "http://[fd00::6]/"
    with pytest.raises(BlockedURLError, match="port 22 is not allowed"):
        check_url("http://10.1.2.3:22/", settings)
    with pytest.raises(BlockedURLError, match="private"):
        check_url("http://10.1.2.4/", settings)


def test_allow_hosts_may_open_the_metadata_address() -> None:
    settings = FetchSettings(allow_hosts=("169.254.169.254",))
    assert check_url("http://169.254.169.254/latest", settings) == "http://169.254.169.254/latest"


def test_allow_private_networks() -> None:
    settings = FetchSettings(allow_private_networks=True)
    for url in (
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://127.0.0.1/",
        "http://localhost/",
        "http://[::1]/",
        "http://[fd00::1]/",
        "http://169.254.1.1/",
        "http://100.64.0.1/",
    ):
        assert check_url(url, settings)
    for url, why in (
        ("http://169.254.169.254/", "cloud metadata"),
        ("http://[fd00:ec2::254]/", "cloud metadata"),
        ("http://metadata.google.internal/", "cloud metadata"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://[::ffff:10.0.0.1]/", "IPv4-mapped"),
        ("http://10.0.0.1:22/", "port 22"),
    ):
        with pytest.raises(BlockedURLError, match=why):
            check_url(url, settings)


def test_invalid_allow_entries_are_ignored() -> None:
    settings = FetchSettings(allow_hosts=("", "bad host", "x:notaport", "[::1", "127.0.0.1:5000"))
    assert check_url("http://127.0.0.1:5000/", settings)


def test_guard_url_parts() -> None:
    target = guard_url("HTTP://[2606:4700::1111]:8080/x", DEFAULT)
    assert (target.scheme, target.host, target.port) == ("http", "2606:4700::1111", 8080)
    assert target.hostport == "[2606:4700::1111]:8080"
    assert target.ip == ipaddress.ip_address("2606:4700::1111")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("https://example.com/", True),
        ("http://x", True),
        ("HTTP://X", True),
        ("//example.com/x", True),
        ("ftp://example.com/", True),
        ("mailto:someone@example.com", True),
        ("localhost:8080", True),
        ("article.html", False),
        ("examples/articles/one.txt", False),
        ("/tmp/page.html", False),
        ("C:\\news\\page.html", False),
        ("c:/news/page.html", False),
        ("-", False),
        ("", False),
    ],
)
def test_is_url(source: str, expected: bool) -> None:
    assert is_url(source) is expected


# ---------------------------------------------------------------------------------------------- connect time


@pytest.mark.parametrize(
    ("ip", "reason"),
    [
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.0.0.1", "a private address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("fe80::1%eth0", "a link-local address"),
        ("::ffff:127.0.0.1", "an IPv4-mapped IPv6 address"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "an IPv6 address that embeds a loopback address"),
        ("0.1.2.3", "a reserved address"),
    ],
)
def test_address_problem(ip: str, reason: str | None) -> None:
    assert address_problem(ipaddress.ip_address(ip)) == reason


def test_connect_problem_checks_the_dialled_address() -> None:
    settings = FetchSettings(allow_hosts=("127.0.0.1:5000", "intranet.test"))
    assert connect_problem("93.184.216.34", 443, settings, None) is None
    assert connect_problem("127.0.0.1", 5000, settings, None) is None
    assert connect_problem("127.0.0.1", 5001, settings, None) == LOOPBACK
    assert connect_problem("127.0.0.1", 443, settings, Hop("rebind.test", 443)) == (
        "rebind.test leads to 127.0.0.1, a loopback address: not allowed"
    )
    assert connect_problem("10.0.0.7", 443, settings, Hop("intranet.test", 443)) is None
    assert connect_problem("10.0.0.7", 443, settings, Hop("other.test", 443)) is not None
    assert connect_problem("93.184.216.34", 22, settings, None) == (
        "port 22 is not allowed (allowed: 80, 443, 8080, 8443)"
    )
    assert (
        connect_problem("fe80::1%eth0", 80, settings, None) == "fe80::1 is a link-local address: not allowed"
    )
    assert connect_problem("not-an-ip", 80, settings, None) == "not-an-ip is not an IP address"


def test_socket_factory_refuses_before_any_socket_exists() -> None:
    factory = make_socket_factory(DEFAULT)
    with pytest.raises(OSError, match="loopback"):
        factory((socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", 80)))
    sock = factory((socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("93.184.216.34", 80)))
    try:
        assert sock.family == socket.AF_INET
    finally:
        sock.close()


# ----------------------------------------------------------------------------------------------- property

URLISH = st.builds(
    lambda scheme, host, port, path: f"{scheme}{host}{port}{path}",
    st.sampled_from(["http://", "https://", "HTTP://", "//", "", "ftp://", "http:", "http:\\\\"]),
    st.one_of(
        st.text(max_size=30),
        st.ip_addresses().map(str),
        st.ip_addresses(v=6).map(lambda a: f"[{a}]"),
        st.from_regex(r"[a-z0-9.\-_%@:\[\]]{0,30}", fullmatch=True),
        st.integers(min_value=0, max_value=2**40).map(str),
    ),
    st.one_of(
        st.just(""), st.integers(min_value=-5, max_value=70000).map(lambda p: f":{p}"), st.text(max_size=6)
    ),
    st.text(max_size=30),
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=200), URLISH))
def test_check_url_returns_a_string_or_a_fetch_error(text: str) -> None:
    try:
        result = check_url(text, DEFAULT)
    except FetchError:  # BlockedURLError is a FetchError
        return
    assert isinstance(result, str)
    assert result.startswith(("http://", "https://"))
    # The canonical form is stable and passes again.
    assert check_url(result, DEFAULT) == result


@settings(max_examples=200, deadline=None)
@given(st.ip_addresses())
def test_every_non_global_literal_is_refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    try:
        check_url(f"http://{host}/", DEFAULT)
    except BlockedURLError:
        return
    if isinstance(ip, ipaddress.IPv6Address):
        # NAT64 (DNS64 on IPv6-only hosts), 6to4 and Teredo carry an IPv4 address: that one decides.
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in ipaddress.ip_network("64:ff9b::/96"):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            ip = embedded
    assert ip.is_global
    assert not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved)
