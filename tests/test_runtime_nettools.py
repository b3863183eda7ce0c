"""Address resolution from channel options and the DNS identification cache."""

from __future__ import annotations

import socket

import pytest

from oscwire.oscdistributing import flat_names, ordered_names
from oscwire.oscnettools import DnsCache, network_getaddrinfo, parse_port, split_host


def test_star_host_is_the_wildcard_of_the_family() -> None:
    info = network_getaddrinfo({"p_host": "*", "p_port": 0}, "p", addrtype=socket.SOCK_DGRAM)
    assert info[0].sockaddr == ("0.0.0.0", 0)
    info6 = network_getaddrinfo(
        {"p_host": "*", "p_port": 5, "p_forceipv6": True}, "p", addrtype=socket.SOCK_DGRAM
    )
    assert info6[0].family == socket.AF_INET6 and info6[0].sockaddr[:2] == ("::", 5)


def test_empty_host_is_the_wildcard_as_for_bind() -> None:
    info = network_getaddrinfo({"p_host": "", "p_port": 7}, "p", addrtype=socket.SOCK_DGRAM)
    assert info[0].sockaddr == ("0.0.0.0", 7)
    info6 = network_getaddrinfo(
        {"p_host": " ", "p_port": 7, "p_forceipv6": True}, "p", addrtype=socket.SOCK_DGRAM
    )
    assert info6[0].sockaddr[:2] == ("::", 7)


def test_bracketed_ipv6_and_port_forms() -> None:
    info = network_getaddrinfo(
        {"p_host": " [::1] ", "p_port": "4000"}, "p", addrtype=socket.SOCK_DGRAM
    )
    assert info[0].sockaddr[:2] == ("::1", 4000)
    assert split_host("[fe80::1]") == "fe80::1"
    assert parse_port("None") == 0 and parse_port(None) == 0 and parse_port(" 12 ") == 12
    with pytest.raises(ValueError):
        parse_port(70000)


def test_force_options() -> None:
    v4 = network_getaddrinfo({"p_host": "localhost", "p_port": 1, "p_forceipv4": True}, "p")
    assert {i.family for i in v4} == {socket.AF_INET}
    with pytest.raises(ValueError):
        network_getaddrinfo(
            {"p_host": "x", "p_port": 1, "p_forceipv4": True, "p_forceipv6": True}, "p"
        )
    with pytest.raises(ValueError):
        network_getaddrinfo({"p_port": 1}, "p")


def test_dns_cache_fill_dontcache_and_bound() -> None:
    cache = DnsCache(maxsize=2)
    network_getaddrinfo(
        {"p_host": "localhost", "p_port": 1, "p_forceipv4": True}, "p", dnscache=cache
    )
    assert cache.resolve_dns_identification("127.0.0.1") == "localhost"
    other = DnsCache()
    network_getaddrinfo(
        {"p_host": "localhost", "p_port": 1, "p_dontcache": True}, "p", dnscache=other
    )
    assert len(other) == 0
    cache.cache_dns_identification("10.0.0.1", "desk")
    cache.cache_dns_identification("10.0.0.1", "other")  # no override by default
    assert cache.resolve_dns_identification("10.0.0.1") == "desk"
    cache.cache_dns_identification("10.0.0.2", "two")
    assert len(cache) == 2 and "127.0.0.1" not in cache  # oldest evicted
    assert cache.resolve_dns_identification("192.0.2.55") is None


def test_flat_names() -> None:
    # osc4py3's function returns a set; the distributor keeps the order given.
    assert flat_names("a") == {"a"}
    assert flat_names(["a", ("b", {"c"}), ["a"]]) == {"a", "b", "c"}
    assert ordered_names(["a", ("b", {"c"}), ["a"]]) == ["a", "b", "c"]
    nested: list = ["x"]
    for _ in range(40):
        nested = [nested]
    with pytest.raises(ValueError):
        flat_names(nested)
