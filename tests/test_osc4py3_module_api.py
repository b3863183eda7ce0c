"""osc4py3's module-level functions act on the default system; the ones that cannot mean
anything any more raise NotImplementedError saying what to use instead."""

from __future__ import annotations

import time

import pytest

from _support import pump
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


def test_register_and_unregister_a_re_method(started) -> None:
    rec = Recorder()
    method = oscmethod.MethodFilter(r"^/re/[0-9]+$", rec, patternkind="re")
    oscdispatching.register_method(method)
    as_eventloop.osc_send(OSCMessage("/re/42", None, [1]), "_local")
    as_eventloop.osc_send(OSCMessage("/re/x", None, [2]), "_local")
    pump(as_eventloop.osc_process, lambda: len(rec) == 1)
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
    pump(as_eventloop.osc_process, lambda: len(rec) == 2)
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
    pump(as_eventloop.osc_process, lambda: len(rec) == 4)
    with pytest.raises(oscdistributing.OSCUnknownChannelError, match="nobody"):
        oscdistributing.transmit_rawpacket(b"", None, {"nobody"}, None)


@pytest.mark.parametrize(
    ("module", "name", "advice"),
    [
        (oscdistributing, "sending_packets", "sends leave at once"),
        (oscdispatching, "pending_bundles", "Dispatcher.delayed"),
    ],
)
def test_globals_without_meaning_say_what_to_use(module, name: str, advice: str) -> None:
    value = getattr(module, name)  # naming it works (hasattr, from-import); using it raises
    with pytest.raises(NotImplementedError, match=advice):
        bool(value)
    assert not hasattr(module, "no_such_name_at_all")


@pytest.mark.parametrize(
    ("function", "args", "advice"),
    [
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
        pump(as_eventloop.osc_process, lambda: len(rec) == 1)
        assert monitor.thread is not None and monitor.thread.is_alive()
    finally:
        oscscheduling.terminate_global_socket_monitor()


def test_raw_packets_read_by_hand_as_osc4py3_tests_do() -> None:
    """A channel read by hand (no osc_process): its raw packets wait in the default
    system, next_rawpacket() takes them, received_rawpackets counts them."""
    from oscwire.oscudpmc import UdpMcChannel

    try:
        reader = UdpMcChannel(
            "hand", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, "auto_start": False}
        )
        reader.activate()
        assert oscchannel.next_rawpacket(0) is None
        sender = __import__("socket").socket(__import__("socket").AF_INET, 2)
        for value in range(3):
            sender.sendto(
                encode_packet(OSCMessage("/raw", None, [value])), ("127.0.0.1", reader.bound_port)
            )
        time.sleep(0.05)
        reader.process_monevents(0, "r")
        assert oscchannel.received_rawpackets.qsize() == 3
        got = [oscchannel.next_rawpacket(1) for _ in range(3)]
        assert [p.packopt.readername for p in got] == ["hand"] * 3
        assert oscchannel.next_rawpacket(0) is None and oscchannel.received_rawpackets.empty()
        sender.close()
    finally:
        as_eventloop.osc_terminate()


def test_globdisp_follows_osc4py3() -> None:
    as_eventloop.osc_terminate()
    with pytest.raises(RuntimeError, match="no global dispatcher"):
        oscdispatching.globdisp()
    mine = oscdispatching.Dispatcher("mine-global", {})
    oscdispatching.register_global_dispatcher(mine)
    try:
        with pytest.raises(RuntimeError, match="already registered"):
            oscdispatching.register_global_dispatcher(None)
        assert oscdispatching.globdisp() is mine
        # The default system dispatches with it once it runs.
        as_eventloop.osc_startup()
        rec = Recorder()
        mine.add_method(oscmethod.MethodFilter("/m", rec))
        as_eventloop.osc_send(OSCMessage("/m", None, [1]), "_local")
        pump(as_eventloop.osc_process, lambda: len(rec) == 1)
    finally:
        as_eventloop.osc_terminate()
        oscdispatching.unregister_global_dispatcher()
    with pytest.raises(RuntimeError, match="no global dispatcher"):
        oscdispatching.unregister_global_dispatcher()


def test_facade_module_globals_as_osc4py3() -> None:
    from oscwire import as_allthreads

    as_allthreads.osc_startup(execthreadscount=1)
    try:
        assert as_allthreads.dispatcher is oscdispatching.globdisp()
        assert as_allthreads.execute_queue is not None and as_allthreads.pool_monitors == []
    finally:
        as_allthreads.osc_terminate()
    assert as_allthreads.dispatcher is None
    assert not hasattr(as_allthreads, "no_such_global")


def test_type_tag_codes_as_osc4py3() -> None:
    from oscwire import oscbuildparse

    codes = (oscbuildparse.OSCTYPE_INT32, oscbuildparse.OSCTYPE_ARRAYEND)
    assert codes == (ord("i"), ord("]"))
    assert oscbuildparse.BEGIN_BUNDLE == b"#bundle\0"
