"""How many Python frames a received datagram and a sent packet go through, measured
(for docs/architecture.md): ``python bench/compare/frames.py``.

Run as a script, it runs each path that docs/architecture.md describes and prints, for
each, the Python frames between the place the path starts and the place it hands over
to C (a socket call, or the compiled loop that calls the handlers) or to the handler,
outermost first, and how many Python functions run for one more message. ``--json``
prints the same as JSON (``tests/test_architecture_doc.py`` compares it with the page);
``OSCWIRE_NO_EXTENSIONS=1`` measures the pure-Python twins.

How frames are counted: a probe takes the stack (``sys._getframe``) at the hand-over
point, which is inside the handler, inside a stand-in for the socket call
(``socket.socket.sendto`` / ``recvfrom`` replaced on the class, or the compiled
``recv_batch`` / ``send_batch`` that ``oscudpmc`` calls) or inside ``append`` of the queue
between two stages (a ``deque`` subclass put in place of the system's queue). The
probe's frame and the handler's are left out; every frame from there up to the caller of
the path (this script, a thread's ``run``, asyncio's ``Handle._run``) counts, whatever
module it belongs to. Compiled (Cython) functions have no Python frame.

How calls are counted: ``sys.setprofile`` counts the Python frames started (``call``
events) outside this script while a path runs in this thread, once with 1 message and
once with 11; a tenth of the difference is what one more message costs (it must come out
whole, or the run is repeated).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import inspect
import json
import socket
import sys
import threading
import time
from types import FrameType
from typing import Any, Callable, Optional

import oscwire
from oscwire import as_allthreads, as_asyncio, as_comthreads, as_eventloop, oscudpmc
from oscwire._runtime import OSCSystem, default_system
from oscwire.oscbuildparse import OSCMessage, encode_packet

SCRIPT = __name__
#: Messages of the second run of a calls measurement (the first has one).
MORE = 11
#: How long a path may take before the script gives up (s).
TIMEOUT = 30.0
#: The socket methods themselves: the peer of this script calls them, not the probes.
REAL_SENDTO = socket.socket.sendto
REAL_RECVFROM = socket.socket.recvfrom


# ----- frames --------------------------------------------------------------------------------
def _code_of(attribute: Any) -> Any:
    """The code object of a function stored in a class (method, static, wrapped...)."""
    function = getattr(attribute, "__func__", attribute)
    function = getattr(function, "__wrapped__", function)  # contextmanager generators
    return getattr(function, "__code__", None)


def frame_name(frame: FrameType) -> str:
    """``module.Class.function`` of a frame: where the code it runs is written."""
    module = frame.f_globals.get("__name__", "?")
    code = frame.f_code
    qualname: Optional[str] = getattr(code, "co_qualname", None)  # Python 3.11+
    if qualname is None:
        qualname = code.co_name
        for value in list(vars(sys.modules[module]).values()):
            if (
                isinstance(value, type)
                and value.__module__ == module
                and any(_code_of(item) is code for item in vars(value).values())
            ):
                qualname = f"{value.__qualname__}.{code.co_name}"
                break
    return f"{module}.{qualname}"


def _outside(frame: FrameType) -> bool:
    """True for the frame that started a path: this script, a thread, the asyncio loop."""
    module = str(frame.f_globals.get("__name__", ""))
    return module in (SCRIPT, "threading") or module.startswith("asyncio")


def chain(frame: Optional[FrameType]) -> list[str]:
    """The frames from the start of the path down to *frame*, outermost first, without the
    frames of this script at the bottom (the probe, the handler)."""
    while frame is not None and frame.f_globals.get("__name__") == SCRIPT:
        frame = frame.f_back
    names: list[str] = []
    while frame is not None and not _outside(frame):
        names.append(frame_name(frame))
        frame = frame.f_back
    if frame is None:
        raise RuntimeError(f"a path reached its probe from nowhere known: {names}")
    return names[::-1]


class Probe:
    """Takes the stack at a hand-over point, once per arming, in any thread."""

    def __init__(self) -> None:
        self._armed: dict[str, str] = {}
        self._lock = threading.Lock()
        self.stacks: dict[str, list[str]] = {}
        self.hits = threading.Condition(self._lock)

    def arm(self, **points: str) -> None:
        """Record the stack of the next hit of each point (``point="path label"``)."""
        with self._lock:
            self._armed.update(points)

    def hit(self, point: str) -> None:
        """Called at a hand-over point: record the stack if *point* is armed."""
        with self._lock:
            label = self._armed.pop(point, None)
            if label is None:
                return
            self.stacks[label] = chain(sys._getframe(1))
            self.hits.notify_all()

    def wait(self, *labels: str, pump: Optional[Callable[[], None]] = None) -> None:
        """Until every path *labels* names was recorded (*pump*: run it meanwhile)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            with self._lock:
                missing = [label for label in labels if label not in self.stacks]
                if not missing:
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"never reached: {missing}")
                if pump is None:
                    self.hits.wait(0.05)
            if pump is not None:
                pump()


PROBE = Probe()


class ProbedDeque(collections.deque):  # type: ignore[type-arg]
    """A queue between two stages: its ``append`` (C in a plain deque) is a probe."""

    point = "queue"

    def append(self, item: Any) -> None:
        PROBE.hit(self.point)
        super().append(item)


class ReceivedQueue(ProbedDeque):
    point = "received queue"


class JobQueue(ProbedDeque):
    point = "job queue"


def _install_socket_probes() -> None:
    """Socket calls and the compiled batch calls become probes (then call the real ones)."""

    def sendto(self: socket.socket, *args: Any) -> Any:
        PROBE.hit("socket write")
        return REAL_SENDTO(self, *args)

    def recvfrom(self: socket.socket, *args: Any) -> Any:
        PROBE.hit("socket read")
        return REAL_RECVFROM(self, *args)

    socket.socket.sendto = sendto  # type: ignore[assignment]
    socket.socket.recvfrom = recvfrom  # type: ignore[assignment]
    # The pure twins call the socket methods above; the compiled ones make the system
    # calls (recvmmsg, sendmmsg) in C, so the call into them is the hand-over.
    udp = vars(oscudpmc)
    if not inspect.isfunction(udp["recv_batch"]):
        real_recv_batch, real_send_batch = udp["recv_batch"], udp["send_batch"]

        def recv_batch(*args: Any) -> Any:
            PROBE.hit("socket read")
            return real_recv_batch(*args)

        def send_batch(*args: Any) -> Any:
            PROBE.hit("socket write")
            return real_send_batch(*args)

        udp["recv_batch"], udp["send_batch"] = recv_batch, send_batch


def probe_queues(system: OSCSystem) -> None:
    """Put probed queues in place of the system's received queue and job queue."""
    system._received = ReceivedQueue(system._received)
    queue = getattr(system.policy, "queue", None)
    if queue is not None:
        queue._jobs = JobQueue(queue._jobs)


# ----- calls ---------------------------------------------------------------------------------
#: A measurement for :func:`per_message`: the calls made for *n* messages.
Run = Callable[[int], "collections.Counter[str]"]


def count_calls(function: Callable[..., Any], *args: Any) -> collections.Counter[str]:
    """The Python functions run outside this script while ``function(*args)`` runs in this
    thread, each with how many times it ran."""
    counts: collections.Counter[str] = collections.Counter()

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_globals.get("__name__") != SCRIPT:
            counts[frame_name(frame)] += 1

    sys.setprofile(profile)
    try:
        function(*args)
    finally:
        sys.setprofile(None)
    return counts


def per_message(run: Run) -> dict[str, Any]:
    """What one more message costs, and the rest, from *run(n)* (the calls made for *n*
    messages): ``{"message": calls, "batch": calls, "functions": {name: calls per
    message}}``. Measured again until each function's share comes out whole."""
    for _ in range(5):
        one, more = run(1), run(MORE)
        extra = more.copy()
        extra.subtract(one)
        if all(count % (MORE - 1) == 0 for count in extra.values()):
            functions = {
                name: count // (MORE - 1) for name, count in sorted(extra.items()) if count
            }
            message = sum(functions.values())
            batch = one.copy()
            batch.subtract(functions)
            return {
                "message": message,
                "batch": sum(batch.values()),
                "functions": functions,
                "batch functions": {name: count for name, count in sorted(batch.items()) if count},
            }
    raise RuntimeError(f"calls per message not whole: {dict(extra)}")


# ----- the paths -----------------------------------------------------------------------------
class Peer:
    """A plain UDP socket of this script: sends datagrams to oscwire, or takes its sends."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.sock.setblocking(False)
        self.raw = bytes(encode_packet(OSCMessage("/f", None, [1])))

    def send(self, port: int, count: int = 1) -> None:
        for _ in range(count):
            REAL_SENDTO(self.sock, self.raw, ("127.0.0.1", port))

    def drain(self) -> None:
        try:
            while True:
                self.sock.recv(65536)
        except BlockingIOError:
            pass

    def close(self) -> None:
        self.sock.close()


class Handler:
    """A handler (osc4py3's argument scheme) that counts its calls and is a probe once
    armed."""

    def __init__(self) -> None:
        self.calls = 0
        self.label: Optional[str] = None

    def arm(self, label: str) -> None:
        self.label = label
        PROBE.arm(**{f"handler {label}": label})

    def __call__(self, *args: Any) -> None:
        self.calls += 1
        if self.label is not None:
            PROBE.hit(f"handler {self.label}")


def read_all(process: Callable[[float], None], handler: Handler, peer: Peer, port: int) -> Run:
    """``run(n)`` for :func:`per_message`: *n* datagrams to *port*, then the calls of one
    *process(0)* call, which must run the handler *n* times (else it is tried again)."""

    def run(count: int) -> collections.Counter[str]:
        for _ in range(5):
            before = handler.calls
            peer.send(port, count)
            calls = count_calls(process, 0.0)
            if handler.calls - before == count:
                return calls
            process(0.05)  # a datagram came late: let it be handled, and measure again
        raise RuntimeError("the datagrams were not read in one process() call")

    return run


def sends(send: Callable[[], None], batch: Optional[Callable[[], Any]] = None) -> Run:
    """``run(n)`` for :func:`per_message`: the calls of *n* sends (in one *batch()*)."""

    def run(count: int) -> collections.Counter[str]:
        def go() -> None:
            if batch is None:
                for _ in range(count):
                    send()
                return
            with batch():
                for _ in range(count):
                    send()

        return count_calls(go)

    return run


def facade_paths(facade: Any, policy: str, results: dict[str, Any], peer: Peer) -> None:
    """osc4py3's façade in one policy: a received datagram (read, queued, handler) and
    ``osc_send``; in the event loop policy, the calls per message too."""
    facade.osc_startup()
    handler = Handler()
    facade.osc_method("/f", handler)
    port = facade.osc_udp_server("127.0.0.1", 0, "srv").bound_port
    facade.osc_udp_client("127.0.0.1", peer.port, "cli")
    system = default_system()
    probe_queues(system)
    threaded = getattr(system.policy, "queue", None) is not None

    stages = [f"{policy}: read", f"{policy}: queued", f"{policy}: handler"]
    PROBE.arm(**{"socket read": stages[0], "received queue": stages[1]})
    if threaded:
        stages.insert(2, f"{policy}: handler job queued")
        PROBE.arm(**{"job queue": stages[2]})
    handler.arm(stages[-1])
    peer.send(port)
    if policy == "eventloop":
        PROBE.wait(*stages, pump=lambda: facade.osc_process(0.01))
    else:
        # The communication thread reads and queues; then the handler runs in a handler
        # thread (allthreads) or in osc_process() (comthreads), called as a loop calls it.
        PROBE.wait(*stages[:-1])
        PROBE.wait(stages[-1], pump=facade.osc_process)

    message = OSCMessage("/f", None, [1])
    PROBE.arm(**{"socket write": f"{policy}: osc_send"})
    facade.osc_send(message, "cli")
    PROBE.wait(f"{policy}: osc_send")
    if policy == "eventloop":
        PROBE.arm(**{"socket write": f"{policy}: osc_batched_sends"})
        with facade.osc_batched_sends():
            facade.osc_send(message, "cli")
        PROBE.wait(f"{policy}: osc_batched_sends")
        calls = results["calls"]
        calls["osc_process, osc4py3 handler"] = per_message(
            read_all(facade.osc_process, handler, peer, port)
        )
        calls["osc_send"] = per_message(sends(lambda: facade.osc_send(message, "cli")))
        calls["osc_send in osc_batched_sends"] = per_message(
            sends(lambda: facade.osc_send(message, "cli"), facade.osc_batched_sends)
        )
    facade.osc_terminate()
    peer.drain()


def asyncio_paths(results: dict[str, Any], peer: Peer) -> None:
    """osc4py3's façade in the asyncio policy: a received datagram and ``osc_send``."""

    async def main() -> None:
        as_asyncio.osc_startup()
        handler = Handler()
        as_asyncio.osc_method("/f", handler)
        port = as_asyncio.osc_udp_server("127.0.0.1", 0, "srv").bound_port
        assert port is not None
        as_asyncio.osc_udp_client("127.0.0.1", peer.port, "cli")
        probe_queues(default_system())
        stages = ["asyncio: read", "asyncio: queued", "asyncio: handler"]
        PROBE.arm(**{"socket read": stages[0], "received queue": stages[1]})
        handler.arm(stages[2])
        peer.send(port)
        deadline = time.monotonic() + TIMEOUT
        while not all(stage in PROBE.stacks for stage in stages):
            if time.monotonic() > deadline:
                raise TimeoutError("asyncio: the handler was never called")
            await asyncio.sleep(0.01)
        PROBE.arm(**{"socket write": "asyncio: osc_send"})
        as_asyncio.osc_send(OSCMessage("/f", None, [1]), "cli")
        PROBE.wait("asyncio: osc_send")
        as_asyncio.osc_terminate()

    asyncio.run(main())
    peer.drain()


def _returns_none(probe: Handler) -> Callable[..., None]:
    def handler(*args: Any) -> None:  # "-> None": the compiled loop may call it directly
        probe()

    return handler


#: The handler forms of oscwire.Server: the form, and a handler of that form that calls
#: the probe given.
FORMS: dict[str, tuple[Any, Callable[[Handler], Callable[..., Any]]]] = {
    "ADDRESS_ARGS": (oscwire.Form.ADDRESS_ARGS, lambda probe: lambda address, *a: probe()),
    "ARGS": (oscwire.Form.ARGS, lambda probe: lambda *a: probe()),
    "ARGS -> None": (oscwire.Form.ARGS, _returns_none),
    "CONTEXT": (oscwire.Form.CONTEXT, lambda probe: lambda message: probe()),
}


def server_paths(results: dict[str, Any], peer: Peer) -> None:
    """``oscwire.Server``: a handler of each form, served by a thread (``with Server``) and
    by ``serve_forever()``; the calls per message of each form."""
    for form_name, (form, make) in FORMS.items():
        label = f"Server, thread: handler {form_name}"
        with oscwire.Server("127.0.0.1", 0) as server:
            handler = Handler()
            server.add_method("/f", make(handler), form=form)
            probe_queues(server.system)
            stages = [label]
            if form_name == "ADDRESS_ARGS":
                stages = ["Server, thread: read", "Server, thread: queued", label]
                PROBE.arm(**{"socket read": stages[0], "received queue": stages[1]})
            handler.arm(label)
            peer.send(server.port)
            PROBE.wait(*stages)
        # serve_forever() calls system.process() in a loop: the calls of one round.
        server = oscwire.Server("127.0.0.1", 0)
        handler = Handler()
        server.add_method("/f", make(handler), form=form)
        run = read_all(server.system.process, handler, peer, server.port)
        run(1)  # warm: the address is cached now
        results["calls"][f"Server, handler {form_name}"] = per_message(run)
        server.close()

    label = "Server, serve_forever: handler ADDRESS_ARGS"
    server = oscwire.Server("127.0.0.1", 0)
    handler = Handler()

    def stop(address: str, *args: Any) -> None:
        handler()
        server.close()

    server.add_method("/f", stop)
    handler.arm(label)
    peer.send(server.port)
    server.serve_forever(0.5)
    PROBE.wait(label)


def client_paths(results: dict[str, Any], peer: Peer) -> None:
    """``oscwire.Client``: ``send()``, and sends in a ``batch()``."""
    with oscwire.Client("127.0.0.1", peer.port) as client:
        client.send("/f", 1)  # warm
        PROBE.arm(**{"socket write": "Client.send"})
        client.send("/f", 1)
        PROBE.wait("Client.send")
        PROBE.arm(**{"socket write": "Client.send in batch()"})
        with client.batch():
            client.send("/f", 1)
        PROBE.wait("Client.send in batch()")
        calls = results["calls"]
        calls["Client.send"] = per_message(sends(lambda: client.send("/f", 1)))
        calls["Client.send in batch()"] = per_message(
            sends(lambda: client.send("/f", 1), client.batch)
        )
    peer.drain()


def measure() -> dict[str, Any]:
    """Every path: ``{"version", "implementations", "python", "frames": {path: [frame,
    ...]}, "calls": {path: {"message", "batch", "functions"}}}``."""
    _install_socket_probes()
    results: dict[str, Any] = {
        "version": oscwire.__version__,
        "implementations": oscwire.implementations(),
        "python": sys.version.split()[0],
        "calls": {},
    }
    peer = Peer()
    try:
        facade_paths(as_eventloop, "eventloop", results, peer)
        facade_paths(as_comthreads, "comthreads", results, peer)
        facade_paths(as_allthreads, "allthreads", results, peer)
        asyncio_paths(results, peer)
        server_paths(results, peer)
        client_paths(results, peer)
    finally:
        peer.close()
    results["frames"] = PROBE.stacks
    return results


def report(results: dict[str, Any]) -> str:
    """The measurements as text."""
    twins = ", ".join(f"{part} {kind}" for part, kind in results["implementations"].items())
    lines = [f"oscwire {results['version']} ({twins}), Python {results['python']}"]
    for label, frames in results["frames"].items():
        lines.append(f"\n{label}: {len(frames)} Python frames")
        lines.extend(f"  {index:2d} {name}" for index, name in enumerate(frames, 1))
    lines.append("\nPython functions run: per message, and per batch besides")
    for label, calls in results["calls"].items():
        lines.append(f"  {label}: {calls['message']} per message, {calls['batch']} per batch")
        lines.extend(f"      {count} {name}" for name, count in calls["functions"].items())
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    arguments = parser.parse_args()
    results = measure()
    print(json.dumps(results, indent=1) if arguments.json else report(results))


if __name__ == "__main__":
    main()
