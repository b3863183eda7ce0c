"""TransportChannel: action handlers, encode/decode hooks, write queue, stream framing."""

from __future__ import annotations

import socket
import struct

import pytest

from _support import pump
from _support_runtime import Recorder
from oscwire import framing, oscmethod
from oscwire._errors import OSCInvalidDataError
from oscwire.oscbuildparse import OSCMessage, encode_packet
from oscwire.oscchannel import TransportChannel
from oscwire.oscudpmc import UdpMcChannel


class PairChannel(TransportChannel):
    """A test channel over one end of a socket pair; write_packet can be told to block."""

    chankindprefix = "pair"

    def __init__(self, name, mode, options, sock):
        self.sock = sock
        self.block_next = 0
        self.fail_next = 0
        self.written: list[bytes] = []
        super().__init__(name, mode, options)

    def fileno(self):
        return self.sock.fileno()

    def can_reply(self):
        return True

    def write_packet(self, raw, packopt, destination):
        if self.fail_next:
            self.fail_next -= 1
            raise OSError(90, "Message too long")
        if self.block_next:
            self.block_next -= 1
            return False
        self.written.append(bytes(raw))
        return True

    def process_read_raw(self):
        data = self.sock.recv(65536)
        self.received_data("peer", data)


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def test_lifecycle_actions_in_order(system, pair) -> None:
    verbs = []
    handlers = {
        verb: (lambda name, verb, params: verbs.append(verb))
        for verb in (
            "activating",
            "activated",
            "scheduling",
            "scheduled",
            "unscheduling",
            "unscheduled",
            "deactivating",
            "deactivated",
        )
    }
    chan = PairChannel("p", "r", {"osc_system": system, "actions_handlers": handlers}, pair[0])
    assert verbs == ["activating", "activated", "scheduling", "scheduled"]
    chan.terminate()
    assert verbs[4:] == ["unscheduling", "unscheduled", "deactivating", "deactivated"]


def test_failing_lifecycle_handler_is_only_logged(system, pair) -> None:
    def boom(*args):
        raise RuntimeError("bad handler")

    chan = PairChannel(
        "p", "r", {"osc_system": system, "actions_handlers": {"activated": boom}}, pair[0]
    )
    assert chan.is_activated and chan.is_scheduled


def test_string_action_handler_sends_a_local_message(system, pair) -> None:
    rec = Recorder()
    system.method("/evt/pair/p/scheduled", rec, argscheme=oscmethod.OSCARG_DATA)
    PairChannel(
        "p", "r", {"osc_system": system, "actions_handlers": {"scheduled": "/evt"}}, pair[0]
    )
    pump(system, lambda: len(rec) == 1)
    assert rec.calls == [(("p", "scheduled", ()),)]


def test_auto_start_false(system, pair) -> None:
    chan = PairChannel("p", "r", {"osc_system": system, "auto_start": False}, pair[0])
    assert not chan.is_activated
    chan.activate()
    chan.begin_scheduling()
    assert chan.is_scheduled


def test_encodepacket_conventions(system, pair) -> None:
    results = {"value": None}
    seen = []

    def encode(name, verb, params):
        seen.append(params[0])
        return results["value"]

    chan = PairChannel(
        "p", "w", {"osc_system": system, "actions_handlers": {"encodepacket": encode}}, pair[0]
    )
    message = OSCMessage("/e", None, [1])
    system.send_packet(message, "p")  # None: standard encoding
    assert chan.written == [bytes(encode_packet(message))]
    results["value"] = (None, None)  # the handler did the job
    system.send_packet(message, "p")
    assert len(chan.written) == 1
    results["value"] = (b"custom", None)  # the handler's raw packet is sent as is
    system.send_packet(message, "p")
    assert chan.written[-1] == b"custom"
    assert seen == [message] * 3


def test_encodepacket_handler_gets_packet_options_and_bad_results_raise(system, pair) -> None:
    """osc4py3 always passes PacketOptions; a malformed handler result is counted and
    raised to the sender, as an encoding error (nothing is written)."""
    from oscwire.oscpacketoptions import PacketOptions

    seen = []
    reply = {"value": None}

    def encode(name, verb, params):
        seen.append(params[1])
        return reply["value"]

    chan = PairChannel(
        "p", "w", {"osc_system": system, "actions_handlers": {"encodepacket": encode}}, pair[0]
    )
    message = OSCMessage("/e", None, [1])
    assert system.send_packet(message, "p") == 1
    assert isinstance(seen[0], PacketOptions) and seen[0].chantarget == "p"
    for bad in (True, (b"raw",), object()):
        reply["value"] = bad
        with pytest.raises(OSCInvalidDataError, match="encodepacket handler of channel 'p'"):
            system.send_packet(message, "p")
    assert system.stats["encode_errors"] == 3
    assert len(chan.written) == 1


def test_malformed_decodepacket_result_drops_only_that_packet(system, pair) -> None:
    rec = Recorder()
    system.method("/d", rec)
    raws = []

    def decode(name, verb, params):
        raws.append(params[0])
        return True if params[0] == b"bad" else None  # not a (packet, packopt) pair

    chan = PairChannel(
        "p",
        "r",
        {"osc_system": system, "read_datagram": True, "actions_handlers": {"decodepacket": decode}},
        pair[0],
    )
    good = bytes(encode_packet(OSCMessage("/d", None, [1])))
    chan.received_packets([(good, "peer", None), (b"bad", "peer", None), (good, "peer", None)])
    pump(system, lambda: len(rec) == 2)
    assert chan.stats.bad_packets == 1


def test_decodepacket_conventions(system, pair) -> None:
    rec = Recorder()
    system.method("/d", rec)
    mode = {"value": None}

    def decode(name, verb, params):
        _raw, _packopt = params
        return mode["value"]

    chan = PairChannel(
        "p",
        "r",
        {"osc_system": system, "read_datagram": True, "actions_handlers": {"decodepacket": decode}},
        pair[0],
    )
    raw = bytes(encode_packet(OSCMessage("/d", None, [1])))
    chan.received_packet("peer", raw)
    pump(system, lambda: len(rec) == 1)
    mode["value"] = (None, None)
    chan.received_packet("peer", raw)
    system.process(0)
    assert len(rec) == 1
    mode["value"] = (OSCMessage("/d", None, [99]), None)
    chan.received_packet("peer", raw)
    pump(system, lambda: len(rec) == 2)
    assert rec.calls[-1] == (99,)


def test_would_block_resumes_on_writable_in_order(system, pair) -> None:
    chan = PairChannel("p", "w", {"osc_system": system}, pair[0])
    chan.block_next = 1
    for i in range(5):
        chan.transmit_data(b"%d" % i)
    assert chan.written == [] and len(chan.write_pending) == 5
    assert chan.monitored_writing
    pump(system, lambda: len(chan.written) == 5)
    assert chan.written == [b"0", b"1", b"2", b"3", b"4"]
    assert not chan.monitored_writing


def test_send_error_drops_one_packet_and_continues(system, pair) -> None:
    chan = PairChannel("p", "w", {"osc_system": system}, pair[0])
    chan.fail_next = 1
    for i in range(3):
        chan.transmit_data(b"%d" % i)
    assert chan.written == [b"1", b"2"]
    assert chan.stats.send_errors == 1 and chan.stats.sent == 2


def test_write_queue_bound(system, pair) -> None:
    chan = PairChannel("p", "w", {"osc_system": system, "write_maxpending": 3}, pair[0])
    chan.block_next = 10**9  # never writable: packets accumulate
    results = [chan.transmit_data(b"x") for _ in range(5)]
    assert results == [True, True, True, False, False]
    assert chan.stats.send_dropped == 2


def test_nodelay_goes_first(system, pair) -> None:
    from oscwire.oscpacketoptions import PacketOptions

    chan = PairChannel("p", "w", {"osc_system": system}, pair[0])
    chan.block_next = 1
    chan.transmit_data(b"a")
    chan.transmit_data(b"b")
    chan.transmit_data(b"urgent", PacketOptions(nodelay=True))
    pump(system, lambda: len(chan.written) == 3)
    assert chan.written == [b"urgent", b"a", b"b"]


def test_write_framing_slip_and_header(system, pair) -> None:
    slip = PairChannel("s", "w", {"osc_system": system, "write_withslip": True}, pair[0])
    slip.transmit_data(b"\xc0ab")
    assert slip.written == [b"\xc0\xdb\xdcab\xc0"]
    noflag = PairChannel(
        "n",
        "w",
        {"osc_system": system, "write_withslip": True, "write_slip_flagatstart": False},
        pair[0],
    )
    noflag.transmit_data(b"ab")
    assert noflag.written == [b"ab\xc0"]
    head = PairChannel("h", "w", {"osc_system": system, "write_withheader": True}, pair[0])
    head.transmit_data(b"abcd")
    assert head.written == [struct.pack("!I", 4) + b"abcd"]


@pytest.mark.parametrize("kind", ["slip", "header"])
def test_stream_reading_split_anywhere(system, pair, kind) -> None:
    rec = Recorder()
    system.method("/s", rec)
    opts = {
        "osc_system": system,
        "read_withslip": kind == "slip",
        "read_withheader": kind == "header",
    }
    chan = PairChannel("p", "r", opts, pair[0])
    frame = framing.slip_encode if kind == "slip" else framing.size_prefix
    stream = b"".join(frame(bytes(encode_packet(OSCMessage("/s", ",i", [i])))) for i in range(20))
    for k in range(0, len(stream), 3):
        chan.received_data("peer", stream[k : k + 3])
    pump(system, lambda: len(rec) == 20)
    assert [c[0] for c in rec.calls] == list(range(20))


def test_stream_oversize_header_is_counted_and_resynchronises(system, pair) -> None:
    rec = Recorder()
    system.method("/s", rec)
    chan = PairChannel(
        "p",
        "r",
        {"osc_system": system, "read_withheader": True, "read_headermaxdatasize": 1000},
        pair[0],
    )
    good = framing.size_prefix(bytes(encode_packet(OSCMessage("/s", None, [1]))))
    # Raised to the transport, as osc4py3 does (a ValueError), after the good packet.
    with pytest.raises(ValueError, match="packet size 100000000 exceeds the limit of 1000"):
        chan.received_data("peer", good + struct.pack("!I", 10**8) + b"junk")
    assert chan.stats.framing_errors == 1
    pump(system, lambda: len(rec) == 1)


def test_stream_skipping_oversize_packet_spans_chunks(system, pair) -> None:
    """The body of an oversize packet, arriving in later chunks, is skipped, not decoded."""
    rec = Recorder()
    system.method("/s", rec)
    chan = PairChannel(
        "p",
        "r",
        {"osc_system": system, "read_withheader": True, "read_headermaxdatasize": 64},
        pair[0],
    )
    hidden = framing.size_prefix(bytes(encode_packet(OSCMessage("/s", None, [666]))))
    body = hidden + b"\x00" * (100 - len(hidden))  # looks like a packet, but is payload
    good = framing.size_prefix(bytes(encode_packet(OSCMessage("/s", None, [1]))))
    with pytest.raises(ValueError, match="exceeds the limit of 64 bytes"):
        chan.received_data("peer", struct.pack("!I", 100))
    chan.received_data("peer", body[:50])
    chan.received_data("peer", body[50:] + good)
    assert chan.stats.framing_errors == 1
    pump(system, lambda: len(rec) == 1)
    assert rec.calls == [(1,)]


def test_read_maxsources_bounds_partial_buffers(system, pair) -> None:
    chan = PairChannel(
        "p", "r", {"osc_system": system, "read_withheader": True, "read_maxsources": 3}, pair[0]
    )
    for source in range(5):
        chan.received_data(("h", source), b"\x00\x00")  # half a header: stays buffered
    assert chan.stats.sources_refused == 2
    chan.forget_source(("h", 0))
    chan.received_data(("h", 9), b"\x00")
    assert chan.stats.sources_refused == 2


def test_channel_oob_option_reaches_the_codec(system) -> None:
    rec = Recorder()
    system.method("/o", rec)
    latin = {"str_decode": ("latin-1", "strict"), "str_encode": ("latin-1", "strict")}
    srv = UdpMcChannel(
        "o1",
        "r",
        {"osc_system": system, "udpread_host": "127.0.0.1", "udpread_port": 0, "oob": latin},
    )
    UdpMcChannel(
        "o2",
        "w",
        {
            "osc_system": system,
            "udpwrite_host": "127.0.0.1",
            "udpwrite_port": srv.bound_port,
            "oob": latin,
        },
    )
    cli = UdpMcChannel(
        "o3",
        "w",
        {"osc_system": system, "udpwrite_host": "127.0.0.1", "udpwrite_port": srv.bound_port},
    )
    system.send_packet(OSCMessage("/o", ",s", ["\u00e9"]), "o2")
    pump(system, lambda: len(rec) == 1)
    # "/o" (4) + ",s" (4) + one latin-1 byte padded to 4: the writer encoded with its oob.
    assert system.channel_stats("o2")["bytes_sent"] == 12
    system.send_packet(OSCMessage("/o", ",s", ["\u00e9"]), "o3")  # UTF-8: two bytes
    pump(system, lambda: len(rec) == 2)
    # The reader decodes with latin-1: the UTF-8 bytes read as two characters.
    assert rec.calls == [("\u00e9",), ("\u00c3\u00a9",)]
    assert cli.stats.bytes_sent == 12 and srv.stats.decoded == 2


def test_options_are_parsed_once_into_a_frozen_object(system) -> None:
    import dataclasses

    from oscwire._channel_options import UdpOptions

    chan = UdpMcChannel(
        "u", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, "read_maxsources": "12",
                   "osc_system": system},
    )  # fmt: skip
    assert isinstance(chan.options, UdpOptions)
    assert chan.options.read_maxsources == 12 and chan.read_maxsources == 12
    with pytest.raises(dataclasses.FrozenInstanceError):
        chan.options.read_maxsources = 3  # type: ignore[misc]


def test_misspelt_option_is_reported_with_a_suggestion(system) -> None:
    from oscwire._channel_options import OSCOptionWarning

    with pytest.warns(OSCOptionWarning, match=r"unknown option 'udpread_rcvbuff' ignored "
                      r"\(did you mean 'udpread_rcvbuf'\?\)"):  # fmt: skip
        UdpMcChannel(
            "u", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0,
                       "udpread_rcvbuff": 1 << 20, "osc_system": system},
        )  # fmt: skip
    with pytest.warns(OSCOptionWarning, match="unknown option 'colour' ignored$"):
        UdpMcChannel(
            "v", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0, "colour": "red",
                       "osc_system": system},
        )  # fmt: skip


def test_a_foreign_subclass_may_read_keys_of_its_own(system, pair, recwarn) -> None:
    """A transport written for osc4py3 reads its own keys: only likely misspellings of
    known keys are reported for it."""
    from oscwire._channel_options import OSCOptionWarning

    PairChannel("p", "r", {"osc_system": system, "pipe_path": "/tmp/x"}, pair[0])
    assert not [w for w in recwarn if issubclass(w.category, OSCOptionWarning)]
    with pytest.warns(OSCOptionWarning, match="did you mean 'read_maxsources'"):
        PairChannel("q", "r", {"osc_system": system, "read_maxsource": 3}, pair[1])


def test_option_of_the_wrong_type_is_a_clear_error(system) -> None:
    with pytest.raises(ValueError, match="option 'read_maxsources' must be an int, not 'many'"):
        UdpMcChannel(
            "u", "r", {"udpread_host": "127.0.0.1", "udpread_port": 0,
                       "read_maxsources": "many", "osc_system": system},
        )  # fmt: skip
