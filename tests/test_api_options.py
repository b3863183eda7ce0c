"""``oscwire.Server(options=...)`` / ``oscwire.Client(options=...)``: channel options by
osc4py3's keys reach the channel; unknown or endpoint-owned keys raise at construction."""

from __future__ import annotations

import socket
import threading

import pytest

import oscwire


def test_server_options_reach_the_tcp_listener() -> None:
    limits = {"tcp_maxconnections": 3, "read_headermaxdatasize": 4096, "tcp_idle_timeout": 7}
    with oscwire.Server("127.0.0.1", 0, transport="tcp", options=limits) as server:
        listener = server._channel
        assert listener.maxconnections == 3
        assert listener.settings.maxpacket == 4096
        assert listener.settings.idle_timeout == 7


def test_a_tcp_server_refuses_connections_past_its_option_bound() -> None:
    arrived = threading.Event()
    with oscwire.Server(
        "127.0.0.1", 0, transport="tcp", framing="size", options={"tcp_maxconnections": 1}
    ) as server:
        server.add_method("/a", lambda address: arrived.set())
        first = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        try:
            # A message handled: the first connection is active, not one to evict.
            first.sendall(b"\x00\x00\x00\x08/a\x00\x00,\x00\x00\x00")
            assert arrived.wait(5)
            second = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            second.settimeout(5)
            try:
                assert second.recv(1) == b""  # closed by the server at once
            finally:
                second.close()
        finally:
            first.close()


def test_client_options_reach_the_udp_channel() -> None:
    with oscwire.Client("127.0.0.1", 9, options={"udpwrite_replies": False}) as client:
        assert client._channel.options.udpwrite_replies is False


@pytest.mark.parametrize(
    ("transport", "key", "suggestion"),
    [
        ("tcp", "tcp_maxconnection", "tcp_maxconnections"),
        ("udp", "udpread_rcvbuff", "udpread_rcvbuf"),
    ],
)
def test_a_misspelt_option_raises_with_a_suggestion(transport, key, suggestion) -> None:
    with pytest.raises(ValueError, match=rf"unknown option '{key}'.*did you mean '{suggestion}'"):
        oscwire.Server("127.0.0.1", 0, transport=transport, options={key: 1})


def test_an_option_the_endpoint_sets_raises() -> None:
    with pytest.raises(ValueError, match="'tcp_port' is set by the endpoint"):
        oscwire.Client("127.0.0.1", 9, transport="tcp", options={"tcp_port": 1})
    with pytest.raises(ValueError, match="'osc_system' is set by the endpoint"):
        oscwire.Server("127.0.0.1", 0, options={"osc_system": None})


def test_options_must_be_a_mapping() -> None:
    with pytest.raises(TypeError, match="options must be a mapping"):
        oscwire.Server("127.0.0.1", 0, options=[("tcp_maxconnections", 1)])  # type: ignore[arg-type]
