"""osc4py3's module-level functions act on the default system; the ones that cannot mean
anything any more raise NotImplementedError saying what to use instead."""

from __future__ import annotations

import time

import pytest

from _support_runtime import Recorder
from oscwire import (
    as_eventloop,
    oscchannel,
    oscdispatching,
    oscdistributing,
    oscmethod,
    oscpacketoptions,
    oscscheduling,
)
from oscwire.oscbuildparse import OSCBundle, OSCMessage, encode_packet, unixtime2timetag


@pytest.fixture
def started():
    as_eventloop.osc_startup()
    yield
    as_eventloop.osc_terminate()


def pump(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        as_eventloop.osc_process(0.005)
    return condition()


def test_register_and_unregister_a_re_method(started) -> None:
    rec = Recorder()
    method = oscmethod.MethodFilter(r"^/re/[0-9]+$", rec, patternkind="re")
    oscdispatching.register_method(method)
    as_eventloop.osc_send(OSCMessage("/re/42", None, [1]), "_local")
    as_eventloop.osc_send(OSCMessage("/re/x", None, [2]), "_local")
    assert pump(lambda: len(rec) == 1)
    assert rec.calls == [(1,)]
    oscdispatching.unregister_method(method)
    with pytest.raises(ValueError, match="not registered"):
        oscdispatching.unregister_method(method)
    assert oscdispatching.globdisp() is oscdispatching.global_dispatcher
    assert list(oscdispatching.all_dispatchers.values()) == [oscdispatching.globdisp()]


def test_channels_by_name_and_terminate_all(started) -> None:
    server = as_eventloop.osc_udp_server("127.0.0.1", 0, "srv")
    assert oscchannel.get_channel("srv") is server
    assert oscchannel.get_channel("nobody") is None
    assert oscchannel.all_channels["srv"] is server
    oscchannel.terminate_all_channels()
    assert oscchannel.get_channel("srv") is None and not dict(oscchannel.all_channels)


def test_post_rawpacket_and_delay_bundle(started) -> None:
    rec = Recorder()
    as_eventloop.osc_method(
        "/raw", rec, argscheme=oscmethod.OSCARG_READERNAME + oscmethod.OSCARG_DATAUNPACK
    )
    options = oscpacketoptions.PacketOptions(readername="elsewhere")
    raw = encode_packet(OSCMessage("/raw", None, [5]))
    oscchannel.post_rawpacket(oscchannel.ReceivedPacket(raw, options))
    bundle = OSCBundle(unixtime2timetag(time.time() + 0.05), [OSCMessage("/raw", None, [6])])
    oscdispatching.delay_bundle(time.time() + 0.05, None, bundle, oscpacketoptions.PacketOptions())
    assert pump(lambda: len(rec) == 2)
    assert rec.calls == [("elsewhere", 5), ("undefined", 6)]


def test_sending_functions(started) -> None:
    rec = Recorder()
    as_eventloop.osc_method("/s", rec)
    server = as_eventloop.osc_udp_server("127.0.0.1", 0, "srv")
    as_eventloop.osc_udp_client("127.0.0.1", server.bound_port, "cli")
    message = OSCMessage("/s", None, [1])
    oscdistributing.send_packet(message, "cli")
    oscdistributing.post_sendpacket(oscdistributing.SendingPacket(message, None, ["cli"]))
    oscdistributing.packet_send_function(message, None, {"cli"}, None)
    oscdistributing.transmit_rawpacket(encode_packet(message), None, {"cli"}, None)
    oscdistributing.sendingpackets_process_loop()
    assert pump(lambda: len(rec) == 4)
    with pytest.raises(oscdistributing.OSCUnknownChannelError, match="nobody"):
        oscdistributing.transmit_rawpacket(b"", None, {"nobody"}, None)


@pytest.mark.parametrize(
    ("module", "name", "advice"),
    [
        (oscchannel, "received_rawpackets", "decodepacket"),
        (oscdistributing, "sending_packets", "sends leave at once"),
        (oscdispatching, "pending_bundles", "Dispatcher.delayed"),
    ],
)
def test_globals_without_meaning_say_what_to_use(module, name: str, advice: str) -> None:
    with pytest.raises(NotImplementedError, match=advice):
        getattr(module, name)
    assert not hasattr(module, "no_such_name_at_all")


@pytest.mark.parametrize(
    ("function", "args", "advice"),
    [
        (oscchannel.next_rawpacket, (0,), "osc_method"),
        (oscdistributing.next_sendpacket, (0,), "osc_send"),
        (oscdistributing.create_rawpackets_thread, (), "policies"),
        (oscdispatching.create_delayed_thread, (), "policies"),
        (oscdispatching.next_bundle, (0,), "process_delayed"),
    ],
)
def test_functions_without_meaning_say_what_to_use(function, args, advice: str) -> None:
    with pytest.raises(NotImplementedError, match=advice):
        function(*args)


def test_global_socket_monitor_serves_a_channel(started) -> None:
    rec = Recorder()
    as_eventloop.osc_method("/g", rec)
    monitor = oscscheduling.get_global_socket_monitor()
    try:
        assert oscscheduling.get_global_socket_monitor() is monitor
        assert isinstance(monitor, oscscheduling.SelectSocketMonitor)
        server = oscchannel.get_channel("srv") or as_eventloop.osc_udp_server("127.0.0.1", 0, "srv")
        server.move_to_monitor(monitor)
        as_eventloop.osc_udp_client("127.0.0.1", server.bound_port, "cli")
        as_eventloop.osc_send(OSCMessage("/g", None, [1]), "cli")
        assert pump(lambda: len(rec) == 1)
        assert monitor.thread is not None and monitor.thread.is_alive()
    finally:
        oscscheduling.terminate_global_socket_monitor()
