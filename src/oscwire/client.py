"""``oscwire.Client``: send OSC messages over UDP or TCP, and read what comes back.

::

    client = oscwire.Client("127.0.0.1", 57110)
    client.send("/s_new", "default", 1000, 0, 0)          # auto-typed
    client.send("/n_set", 1000, "freq", 440.0, types="isf")
    status = client.query("/status", reply="/status.reply")  # sends, returns the reply
    with client.bundle(at=time.time() + 0.5) as bundle:      # a timed bundle
        bundle.add("/n_free", 1000)
    with client.batch():                                      # many sends in one go
        for value in values:
            client.send("/fader", value)
    client.close()

A client made in a coroutine runs on that loop (``await client.query(...)``); elsewhere a
background thread reads what the peer sends back (replies, and messages for the methods
registered with :meth:`Client.add_method`) and flushes what the socket could not take at
once. Sends never go through that thread: they leave from the caller's.
"""

from __future__ import annotations

import contextlib
import errno
import threading
import weakref
from collections.abc import Iterator, Mapping
from threading import get_ident
from types import TracebackType
from typing import Any, Callable, Optional, Union, overload

from oscwire import _transports, oscbuildparse
from oscwire._asyncio_runtime import AsyncioPolicy
from oscwire._endpoint import Endpoint, EndpointSystem, check_host, running_loop
from oscwire._errors import OSCError, OSCSendError
from oscwire._handlers import Matching, OSCArgument
from oscwire._message_encoding import encode_message, encode_outgoing, new_message
from oscwire._policies import AllThreadsPolicy, Policy
from oscwire._replies import Reply, ReplyRouter
from oscwire._transports import ClientFraming, TransportName
from oscwire._types import OSC_IMMEDIATELY, OSCBundle, OSCMessage, OSCtimetag, unixtime2timetag

__all__ = ["Bundle", "Client"]

#: When a bundle runs: a Unix time (``time.time()`` seconds), a time tag, or None (now).
When = Union[None, float, OSCtimetag]


#: The longest a query may wait for its reply, in seconds (one day).
MAX_QUERY_TIMEOUT = 86400.0


class Client(Endpoint):
    """An OSC client: sends to one peer, and reads what the peer sends back.

    *host* and *port* name the peer. *transport* is ``"udp"`` (one datagram per packet)
    or ``"tcp"`` (connected now; :class:`OSError` if the peer refuses), with *framing*
    ``"size"`` (OSC 1.0's length prefix, what liblo and scsynth use; the default) or
    ``"slip"`` (OSC 1.1). *matching* applies to the methods and query replies. *options*
    are channel options by osc4py3's keys (``{"udpwrite_replies": False}``,
    ``{"tcp_writemaxbytes": 1 << 20}``: see ``docs/limits.md``); an unknown key raises
    :class:`ValueError`.
    """

    #: The peer's host and port, as given.
    host: str
    port: int

    def __init__(
        self,
        host: str,
        port: int,
        *,
        transport: TransportName = "udp",
        framing: Optional[ClientFraming] = None,
        matching: Matching = Matching.SPEC,
        options: Optional[Mapping[str, object]] = None,
    ) -> None:
        check_host(host, "Client")
        chosen = _transports.named(transport)
        used_framing = chosen.client_framing(framing)
        channel_options = chosen.channel_options(options, False, "oscwire.Client")
        loop = running_loop()
        policy: Policy = AllThreadsPolicy(0) if loop is None else AsyncioPolicy(loop)
        super().__init__(policy, matching)
        system = self._system
        # Dropped without close(): the system (and its thread) ends with the client.
        self._finalizer = weakref.finalize(self, _close_system, system)
        try:
            self._channel = chosen.open_client(
                system, "client", host, port, used_framing, channel_options
            )
            self._local_port = chosen.local_port(self._channel)
        except BaseException:
            self._finalizer()
            raise
        self.host = host
        self.port = port
        self.transport = chosen.name
        self._oob = self._channel.oob
        self._send_encoded = system.distributor.send_encoded
        # (thread id, queue, limit) while a thread is inside batch() (see send()).
        self._batch: Optional[tuple[int, Any, int]] = None
        self._replies = ReplyRouter(system, matching, self._owner(), self._throttle)
        # A connection that ends (the peer closed it) ends the queries waiting for replies.
        self._channel.on_ended = _queries_end_with_the_channel(self)
        # Held from a query's registration to its send: the queries of several threads
        # leave in the order they queue for their replies (see query()).
        self._query_lock = threading.Lock()

    def __repr__(self) -> str:
        state = ", closed" if self._closed else ""
        return f"<oscwire.Client {self.transport} to {self.host}:{self.port}{state}>"

    def _owner(self) -> Callable[[], Optional[Endpoint]]:
        # Weak: the background thread must not keep a dropped client (and itself) alive.
        return weakref.ref(self)

    @property
    def local_port(self) -> int:
        """The port this client sends from (where the peer's replies arrive)."""
        return self._local_port

    # ----- sending -----------------------------------------------------------------------
    @overload
    def send(self, packet: Union[OSCMessage, OSCBundle], /) -> None: ...

    @overload
    def send(self, address: str, /, *args: OSCArgument, types: Optional[str] = None) -> None: ...

    def send(self, target: Any, /, *args: Any, types: Optional[str] = None) -> None:
        """Send a message: ``send(address, *args)``, typed from the Python values
        (``types="ifs"`` gives the type tags instead), or ``send(packet)`` for an
        :class:`~oscwire.oscbuildparse.OSCMessage` or ``OSCBundle``.

        Raises the codec's :class:`~oscwire._errors.OSCInvalidDataError` for what cannot be
        encoded, :class:`~oscwire._errors.OSCSendError` for a packet the OS refuses (too
        large for a datagram) or that the client cannot queue, :class:`ConnectionError`
        when a TCP connection is closed, :class:`RuntimeError` after :meth:`close`.
        """
        if self._closed:
            raise RuntimeError("this oscwire.Client is closed")
        try:
            if type(target) is str:
                raw = encode_message(target, args, types, self._oob)
            else:
                raw = encode_outgoing(target, args, types, self._oob)
        except OSCError:
            self._system.stats.encode_errors += 1
            raise
        batch = self._batch
        if batch is not None and batch[0] == get_ident() and len(batch[1]) < batch[2]:
            # Inside this thread's batch(): straight onto the channel's queue.
            batch[1].append((raw, None, None))
            return
        if not self._send_encoded(self._channel, raw):
            raise self._not_sent()

    def _send_raw(self, raw: Any) -> None:
        if self._closed:
            raise RuntimeError("this oscwire.Client is closed")
        if not self._send_encoded(self._channel, raw):
            raise self._not_sent()

    def _not_sent(self) -> Exception:
        channel = self._channel
        if self._closed:
            return RuntimeError("this oscwire.Client is closed")
        if channel.is_terminated or not channel.is_activated:
            return ConnectionError(
                f"OSC {self.transport} client to {self.host}:{self.port}: the connection is "
                "closed (see the log for why); make a new Client"
            )
        return OSCSendError(
            errno.ENOBUFS,
            f"OSC {self.transport} client to {self.host}:{self.port}: "
            f"{len(channel.write_pending)} packets wait to be written; packet dropped "
            "(the peer reads too slowly)",
        )

    def batch(self) -> contextlib.AbstractContextManager[None]:
        """``with client.batch():`` holds this thread's sends and hands them to the OS
        together when the block ends (``sendmmsg`` on Linux: more messages per second),
        or each time a full batch waits. Blocks nest; other threads send as usual."""
        self._check_open()
        return self._batching()

    @contextlib.contextmanager
    def _batching(self) -> Iterator[None]:
        with self._system.batched_sends():
            entry = self._system.distributor.batch_entry(self._channel)
            mine = None
            if entry is not None and self._batch is None:
                # The first batch of this client: send() may append to the queue itself.
                mine = self._batch = (get_ident(), entry[0], entry[1])
            try:
                yield
            finally:
                if mine is not None and self._batch is mine:
                    self._batch = None

    def bundle(self, at: When = None) -> Bundle:
        """A bundle to fill with :meth:`Bundle.add` and send: ``with client.bundle(at=t) as
        b: b.add(...)`` sends it when the block ends without an exception.

        *at* is when the receiver runs it: a Unix time (``time.time() + 0.5``), a time tag,
        or None (as soon as it arrives).
        """
        return Bundle(self, at)

    # ----- request / response --------------------------------------------------------------
    def query(
        self,
        address: str,
        *args: OSCArgument,
        reply: Optional[str] = None,
        timeout: float = 1.0,
        types: Optional[str] = None,
    ) -> Reply:
        """Send a message and return the reply: the next message that arrives whose address
        matches *reply* (default: the address sent; a pattern is allowed).

        Outside a coroutine it waits up to *timeout* seconds and raises
        :class:`TimeoutError` when nothing came; in a coroutine, ``await`` it. Queries
        waiting for the same reply address get the replies in the order they were made.
        :meth:`close` ends the queries still waiting: they raise :class:`RuntimeError`.
        """
        self._check_open()
        if not isinstance(timeout, (int, float)) or not 0 < timeout <= MAX_QUERY_TIMEOUT:
            raise ValueError(
                f"Client.query(timeout={timeout!r}): give the seconds to wait for the reply, "
                f"more than 0 and at most {MAX_QUERY_TIMEOUT:g} (a query never waits forever)"
            )
        pattern = address if reply is None else reply
        loop = running_loop()
        if loop is None:
            if self._system.distributor.batch_local.channels is not None:
                # (In a coroutine the Reply is awaited later, after the block: allowed.)
                raise RuntimeError(
                    "Client.query() inside this thread's client.batch() block would wait for "
                    "a request the batch holds back until the block ends; query outside it"
                )
            policy = self._system.policy
            if isinstance(policy, AllThreadsPolicy) and policy.in_comm_thread():
                raise RuntimeError(
                    "Client.query() from a handler of the same client would wait for itself"
                )
        with self._query_lock:
            # Replies are given to the waiting queries in the order they registered: the
            # requests must leave in that order too, or a thread gets another's reply.
            waiter = self._replies.expect(pattern, timeout, loop)
            try:
                self.send(address, *args, types=types)
            except BaseException:
                self._replies.forget(pattern, waiter)
                raise
        description = f"reply at {pattern!r} to {address} from {self.host}:{self.port}"
        result = Reply(waiter, self._replies, pattern, description, timeout)
        if loop is None:
            result.wait()
        return result

    def stats(self) -> dict[str, object]:
        """The counters of :meth:`Endpoint.stats`, plus ``"queries"``: ``waiting``,
        ``timeouts`` and ``late_replies`` (replies that came after their query gave up)."""
        stats = dict(super().stats())
        router = self._replies
        stats["queries"] = {
            "waiting": router.waiting,
            "timeouts": router.timeouts,
            "late_replies": router.late_replies,
        }
        return stats

    def close(self) -> None:
        """Close the socket and stop the thread (idempotent)."""
        if self._closed:
            return
        super().close()
        # Queries waiting in other threads or tasks raise now, not at their timeout.
        self._replies.close()
        self._finalizer.detach()


def _queries_end_with_the_channel(client: Client) -> Callable[[Any], None]:
    """The channel's ``on_ended``: the queries still waiting raise ConnectionError (a
    weak reference: the channel must not keep its client alive)."""
    ref = weakref.ref(client)

    def ended(channel: Any) -> None:
        client = ref()
        if client is not None and not client._closed:
            client._replies.abandon(
                ConnectionError(
                    f"OSC {client.transport} client to {client.host}:{client.port}: the "
                    "connection closed while a query waited for its reply (see the log for "
                    "why); make a new Client"
                )
            )

    return ended


def _close_system(system: EndpointSystem) -> None:
    """What closing a client does to its system (also when it is garbage-collected)."""
    system.closing = True
    system.terminate()


def _timetag(at: When) -> OSCtimetag:
    if at is None:
        return OSC_IMMEDIATELY
    if isinstance(at, OSCtimetag):
        return at
    if isinstance(at, (int, float)) and not isinstance(at, bool):
        return unixtime2timetag(at)
    raise TypeError(f"at= is a Unix time, an OSCtimetag or None, not {at!r}")


class Bundle:
    """A bundle being built (see :meth:`Client.bundle`): :meth:`add` messages, then
    :meth:`send` it, or let the ``with`` block send it."""

    def __init__(self, client: Client, at: When) -> None:
        self._client = client
        self.timetag = _timetag(at)
        self.elements: list[Union[OSCMessage, OSCBundle]] = []
        self._sent = False

    @overload
    def add(self, packet: Union[OSCMessage, OSCBundle], /) -> Bundle: ...

    @overload
    def add(self, address: str, /, *args: OSCArgument, types: Optional[str] = None) -> Bundle: ...

    def add(self, target: Any, /, *args: Any, types: Optional[str] = None) -> Bundle:
        """Add a message (``add(address, *args)``) or a packet (a nested bundle); returns
        the bundle, so that calls chain."""
        if type(target) is str:
            self.elements.append(new_message(target, types, args))
        elif isinstance(target, (OSCMessage, OSCBundle)) and not args and types is None:
            self.elements.append(target)
        else:
            raise TypeError(
                "add() takes an address (str) and arguments, or an OSCMessage or OSCBundle "
                f"alone, not {type(target).__name__}"
            )
        return self

    def packet(self) -> OSCBundle:
        """The bundle as an :class:`~oscwire.oscbuildparse.OSCBundle`."""
        return OSCBundle(self.timetag, list(self.elements))

    def send(self) -> None:
        """Encode and send the bundle (once); raises as :meth:`Client.send` does."""
        if self._sent:
            raise RuntimeError("this bundle was sent already")
        client = self._client
        try:
            raw = oscbuildparse.encode_packet(self.packet(), client._oob)
        except OSCError:
            client._system.stats.encode_errors += 1
            raise
        client._send_raw(raw)
        self._sent = True

    def __enter__(self) -> Bundle:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        if exc_type is None:
            self.send()
