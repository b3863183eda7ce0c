"""osc4py3's ``oscpeeradapt``: a draft that osc4py3 1.0.8 ships and never uses.

No module of osc4py3 1.0.8 imports it. Its peer managers are in no send or receive path,
and its functions act on module state of its own (a global dispatcher, delayed bundles, a
sending queue) that the running system never reads: in osc4py3 1.0.8 its
``send_packet()`` queues packets that nothing sends, ``PeerManager(...)`` raises
AttributeError (it calls ``add`` on ``oscchannel.all_channels_peers``, a dict) and
``register_global_dispatcher(None)`` raises NameError (``Dispatcher`` is not imported).

Here it keeps osc4py3's names so that every one resolves: its constants and record types
are oscwire's (the same values); its state reads as osc4py3's initial values where they
say "nothing" (no thread, no global dispatcher, no stop request) and raises on use where a
program would put something in it; its functions and classes raise NotImplementedError
naming the oscwire function that does what the name suggests, on the running system.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, TypeVar

from oscwire._unsupported import UnsupportedClass, UnsupportedValue, unsupported
from oscwire.oscdispatching import LAST_PENDINGBUNDLE, NOW_RESOLUTION, PendingBundle
from oscwire.oscdistributing import LAST_SENDINGPACKET, SendingPacket

_F = TypeVar("_F", bound=Callable[..., Any])

# What osc4py3's ``import *`` gives (it has no __all__): every public name. The records
# and markers are oscdispatching's and oscdistributing's.
__all__ = [
    "LAST_PENDINGBUNDLE",
    "LAST_SENDINGPACKET",
    "NOW_RESOLUTION",
    "RESERVED_PEER_NAMES",
    "PeerGroup",
    "PeerManager",
    "PendingBundle",
    "SendingPacket",
    "all_dispatchers",
    "all_peers",
    "create_delayed_thread",
    "create_rawpackets_thread",
    "create_sendingpackets_thread",
    "delay_bundle",
    "delayed_process_loop",
    "delayed_terminate",
    "delayed_thread",
    "global_dispatcher",
    "next_bundle",
    "next_sendpacket",
    "packet_send_function",
    "peer_packet_receivers",
    "pending_bundles",
    "pending_condvar",
    "pending_mutex",
    "post_sendpacket",
    "rawpackets_process_loop",
    "rawpackets_terminate",
    "rawpackets_thread",
    "register_global_dispatcher",
    "register_method",
    "send_packet",
    "sending_packets",
    "sending_semaphore",
    "sendingpackets_process_loop",
    "sendpackets_terminate",
    "sendpackets_thread",
    "terminate_delayed_thread",
    "terminate_rawpackets_thread",
    "terminate_sendingpackets_thread",
    "transmit_rawpacket",
    "unregister_global_dispatcher",
    "unregister_method",
]

#: The target names osc4py3's draft reserved; oscwire reserves only ``_all`` and
#: ``_local`` (oscwire.oscdistributing.RESERVED_NAMES).
RESERVED_PEER_NAMES = frozenset({"_all", "_allpeers", "_alladmin", "_allchannels", "_local"})

_DRAFT = "osc4py3 1.0.8 never wires oscpeeradapt in: it acts on state nothing reads"

# ----- state: "nothing" stays nothing; containers refuse to be used ---------------------
delayed_thread: Optional[Any] = None
delayed_terminate = False
rawpackets_thread: Optional[Any] = None
rawpackets_terminate = False
sendpackets_thread: Optional[Any] = None
sendpackets_terminate = False
global_dispatcher: Optional[Any] = None

_DELAYED = (
    "oscwire.oscdispatching.Dispatcher.delayed_count() and "
    "oscwire.oscdispatching.Dispatcher.process_delayed()"
)
_OSC_SEND = "oscwire.as_eventloop.osc_send() (the osc_send of any as_* module)"
pending_bundles = UnsupportedValue("oscpeeradapt.pending_bundles", _DRAFT, _DELAYED)
pending_mutex = UnsupportedValue("oscpeeradapt.pending_mutex", _DRAFT, _DELAYED)
pending_condvar = UnsupportedValue("oscpeeradapt.pending_condvar", _DRAFT, _DELAYED)
sending_packets = UnsupportedValue("oscpeeradapt.sending_packets", _DRAFT, _OSC_SEND)
sending_semaphore = UnsupportedValue("oscpeeradapt.sending_semaphore", _DRAFT, _OSC_SEND)
all_dispatchers = UnsupportedValue(
    "oscpeeradapt.all_dispatchers", _DRAFT, "oscwire.oscdispatching.all_dispatchers"
)
all_peers = UnsupportedValue(
    "oscpeeradapt.all_peers", _DRAFT, "channel names: oscwire.oscchannel.all_channels"
)
peer_packet_receivers = UnsupportedValue(
    "oscpeeradapt.peer_packet_receivers",
    _DRAFT,
    "a channel's decodepacket action handler (oscwire.oscchannel.TransportChannel options)",
)


# ----- classes ---------------------------------------------------------------------------
class PeerManager(
    UnsupportedClass,
    name="oscpeeradapt.PeerManager",
    why=_DRAFT,
    use="a list of channel names given to oscwire.oscdistributing.send_packet(), and the "
    "encodepacket / decodepacket action handlers of oscwire.oscchannel.TransportChannel",
):
    """osc4py3's draft of a peer with its own encoding, decoding and writers."""

    @staticmethod
    @unsupported(
        "oscpeeradapt.PeerManager.get_manager",
        _DRAFT,
        "a channel's decodepacket action handler (oscwire.oscchannel.TransportChannel options)",
    )
    def get_manager(readername: Any, srcident: Any) -> Any:
        """osc4py3's draft lookup of the peer manager of a reader and source."""


class PeerGroup(
    UnsupportedClass,
    name="oscpeeradapt.PeerGroup",
    why=_DRAFT,
    use="a list of channel names given to oscwire.oscdistributing.send_packet()",
):
    """osc4py3's draft of a group of peers."""


# ----- functions: each says which oscwire function does the job --------------------------
def _use(name: str, use: str) -> Callable[[_F], _F]:
    return unsupported(f"oscpeeradapt.{name}", _DRAFT, use)


_POLICIES = (
    "the policies: oscwire.as_comthreads or oscwire.as_allthreads (a communication "
    "thread), oscwire.as_eventloop.osc_process() (your loop)"
)


@_use("delay_bundle", "oscwire.oscdispatching.delay_bundle()")
def delay_bundle(when: Any, disp: Any, bundle: Any, packopt: Any) -> None:
    """osc4py3's draft of oscdispatching.delay_bundle()."""


@_use("next_bundle", _DELAYED)
def next_bundle(timeout: Any) -> Any:
    """osc4py3's draft of oscdispatching.next_bundle()."""


@_use("next_sendpacket", _OSC_SEND)
def next_sendpacket(timeout: Any) -> Any:
    """osc4py3's draft of oscdistributing.next_sendpacket()."""


@_use("post_sendpacket", "oscwire.oscdistributing.post_sendpacket()")
def post_sendpacket(sendingpacket: Any) -> None:
    """osc4py3's draft of oscdistributing.post_sendpacket()."""


@_use("send_packet", "oscwire.oscdistributing.send_packet()")
def send_packet(packet: Any, peername: Any, packopt: Any = None) -> None:
    """osc4py3's draft of oscdistributing.send_packet(), with peer names."""


@_use("packet_send_function", "oscwire.oscdistributing.packet_send_function()")
def packet_send_function(packet: Any, packopt: Any, targets: Any, logger: Any) -> None:
    """osc4py3's draft of oscdistributing.packet_send_function()."""


@_use("transmit_rawpacket", "oscwire.oscdistributing.transmit_rawpacket()")
def transmit_rawpacket(rawpacket: Any, packopt: Any, writersnames: Any, logger: Any) -> None:
    """osc4py3's draft of oscdistributing.transmit_rawpacket()."""


@_use("sendingpackets_process_loop", "oscwire.oscdistributing.sendingpackets_process_loop()")
def sendingpackets_process_loop(deadlinetime: Any = 0, logger: Any = None) -> None:
    """osc4py3's draft of oscdistributing.sendingpackets_process_loop()."""


@_use("delayed_process_loop", "oscwire.oscdispatching.delayed_process_loop()")
def delayed_process_loop(deadlinetime: Any = 0, logger: Any = None) -> None:
    """osc4py3's draft of oscdispatching.delayed_process_loop()."""


@_use("rawpackets_process_loop", "oscwire.oscdistributing.rawpackets_process_loop()")
def rawpackets_process_loop(deadlinetime: Any = 0, logger: Any = None) -> None:
    """osc4py3's draft of oscdistributing.rawpackets_process_loop(), with peer managers."""


@_use("create_delayed_thread", _POLICIES)
def create_delayed_thread(logger: Any = None) -> None:
    """osc4py3's draft of oscdispatching.create_delayed_thread()."""


@_use("terminate_delayed_thread", "oscwire.as_eventloop.osc_terminate()")
def terminate_delayed_thread() -> None:
    """osc4py3's draft of oscdispatching.terminate_delayed_thread()."""


@_use("create_rawpackets_thread", _POLICIES)
def create_rawpackets_thread(logger: Any = None) -> None:
    """osc4py3's draft of oscdistributing.create_rawpackets_thread()."""


@_use("terminate_rawpackets_thread", "oscwire.as_eventloop.osc_terminate()")
def terminate_rawpackets_thread() -> None:
    """osc4py3's draft of oscdistributing.terminate_rawpackets_thread()."""


@_use("create_sendingpackets_thread", _OSC_SEND)
def create_sendingpackets_thread(logger: Any = None) -> None:
    """osc4py3's draft of oscdistributing.create_sendingpackets_thread()."""


@_use("terminate_sendingpackets_thread", "oscwire.as_eventloop.osc_terminate()")
def terminate_sendingpackets_thread() -> None:
    """osc4py3's draft of oscdistributing.terminate_sendingpackets_thread()."""


@_use("register_method", "oscwire.oscdispatching.register_method()")
def register_method(method: Any) -> None:
    """osc4py3's draft of oscdispatching.register_method()."""


@_use("unregister_method", "oscwire.oscdispatching.unregister_method()")
def unregister_method(method: Any) -> None:
    """osc4py3's draft of oscdispatching.unregister_method()."""


@_use("register_global_dispatcher", "oscwire.oscdispatching.register_global_dispatcher()")
def register_global_dispatcher(disp: Any) -> None:
    """osc4py3's draft of oscdispatching.register_global_dispatcher()."""


@_use("unregister_global_dispatcher", "oscwire.oscdispatching.unregister_global_dispatcher()")
def unregister_global_dispatcher() -> None:
    """osc4py3's draft of oscdispatching.unregister_global_dispatcher()."""
