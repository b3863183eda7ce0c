"""PacketOptions: osc4py3's fields and defaults, copies, events, replies without source."""

from __future__ import annotations

import threading

import pytest

from oscwire.oscpacketoptions import PacketOptions, make_received


def test_defaults_are_osc4py3s() -> None:
    # Defaults documented in osc4py3's oscpacketoptions.PacketOptions docstring.
    po = PacketOptions()
    assert po.honor_timetag is True
    assert po.forget_oldmsg is False
    assert po.timetag_offset == 0
    assert po.check_subbundle_timetag is False
    assert po.readername == "undefined"
    assert po.readtime == 0
    assert po.message is None and po.method is None
    assert po.chantarget == ""
    assert po.nodelay is False
    assert po.event is None


def test_keyword_fields_and_unknown_field() -> None:
    po = PacketOptions(readername="srv", nodelay=True)
    assert po.readername == "srv" and po.nodelay is True
    with pytest.raises(TypeError):
        PacketOptions(no_such_field=1)


def test_setup_and_update_processing() -> None:
    po = PacketOptions()
    po.setup_processing({"forget_oldmsg": True, "timetag_offset": 2.5, "unrelated": 1})
    assert po.forget_oldmsg is True and po.timetag_offset == 2.5
    assert po.honor_timetag is True  # absent key keeps its value
    other = PacketOptions()
    other.update_processing(po)
    assert (other.forget_oldmsg, other.timetag_offset) == (True, 2.5)


def test_duplicate_is_independent_first_level_copy() -> None:
    po = PacketOptions(readername="a", srcident=("h", 1))
    copy = po.duplicate()
    copy.readername = "b"
    assert po.readername == "a"
    assert copy.srcident == ("h", 1)


@pytest.mark.parametrize("kind", ["event", "semaphore", "callable"])
def test_signal_event(kind: str) -> None:
    seen = []
    if kind == "event":
        event = threading.Event()
        PacketOptions(event=event).signal_event()
        assert event.is_set()
    elif kind == "semaphore":
        sem = threading.Semaphore(0)
        PacketOptions(event=sem).signal_event()
        assert sem.acquire(timeout=0)
    else:
        po = PacketOptions(event=seen.append)
        po.signal_event()
        assert seen == [po]


def test_make_received_and_overrides() -> None:
    po = make_received("srv", ("1.2.3.4", 5), 12.5, ("1.2.3.4", 5), None, {"forget_oldmsg": True})
    assert (po.readername, po.srcident, po.readtime) == ("srv", ("1.2.3.4", 5), 12.5)
    assert po.forget_oldmsg is True
    assert po.honor_timetag is True


def test_reply_without_source_is_refused() -> None:
    assert PacketOptions().reply(object()) is False
    assert PacketOptions().can_reply() is False
