"""The attacks of issue 9, each at the scale the issue states, measured in a subprocess.

Run against the oscwire importable in this process (``PYTHONPATH=.../src``)::

    python bench/compare/attacks.py --label after --save after.json   # every item
    python bench/compare/attacks.py --item 4 --json                   # one item, JSON
    python bench/compare/attacks.py --scale 0.05 --item 7             # a quick try
    python bench/compare/attacks.py --table before.json after.json --markdown

Each attack (an item of the issue, or one of its variants, in one policy or on one codec
twin) runs in a child process of its own, under a timeout (``--timeout``, 90 s) and an
address-space cap (``RLIMIT_AS``, 3 GiB), so that a segfault, a hang or a memory blow-up
of an old version is recorded as such (signal, timeout, ``MemoryError``) instead of
taking the machine down. The child writes nothing to stderr itself: every byte its stderr
holds was written by oscwire (or by Python for it: an uncaught exception in a thread, the
faulthandler dump of a crash), and is counted.

The attacks use only the osc4py3-style API that both the old and the new oscwire have
(``oscwire.as_<policy>``, ``oscwire.oscbuildparse``, the ``_codec_*``/``_netio_*`` twins)
and read counters that exist in only one version where they exist. Attackers and
legitimate peers that must not share the server's CPU run in processes of their own
(``multiprocessing``, spawn); every network address is on loopback and every port is
chosen by the OS. Wall-clock jumps (item 12) are simulated by replacing ``time.time`` in
the child; the system clock is never touched.

What is measured, per item: CPU seconds (``getrusage``), resident memory (``VmRSS`` and
its peak ``VmHWM`` from ``/proc/self/status``), bytes written to stderr, messages a
legitimate peer got delivered during the attack, lateness of timed bundles, exceptions
raised to the program, and the exit status of the child.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import importlib
import json
import multiprocessing
import os
import resource
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, Callable, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _table import format_table

MiB = 1024 * 1024
#: Address-space cap of each child (bytes).
AS_LIMIT = 3 * 1024 * MiB
#: Wall time allowed to each child (s): every attack is bounded to about 60 s.
CHILD_TIMEOUT = 90.0
POLICIES = ("eventloop", "allthreads")
TWINS = ("c", "py")
NTP_EPOCH = 2208988800
#: Lines printed by a child before its result line are not JSON; this one is.
RESULT_MARK = "ATTACK-RESULT "

Measures = dict[str, Any]
_SPAWN = multiprocessing.get_context("spawn")
_SCALE = 1.0


def scaled(count: float, least: int = 1) -> int:
    """*count* times ``--scale`` (1: the issue's scale), at least *least*."""
    return max(least, int(count * _SCALE))


# ---------------------------------------------------------------------- OSC bytes by hand
# The attackers build their packets by hand: they must not depend on the code under test.


def osc_string(text: str) -> bytes:
    data = text.encode("latin-1") + b"\0"
    return data + b"\0" * (-len(data) % 4)


def osc_message(address: str, tags: str = ",", payload: bytes = b"") -> bytes:
    return osc_string(address) + osc_string(tags) + payload


def int_message(address: str, value: int) -> bytes:
    return osc_message(address, ",i", struct.pack(">i", value))


def blob_message(address: str, blob: bytes) -> bytes:
    padded = blob + b"\0" * (-len(blob) % 4)
    return osc_message(address, ",b", struct.pack(">i", len(blob)) + padded)


def osc_bundle(unix_time: float, *elements: bytes) -> bytes:
    seconds = int(unix_time)
    fraction = int((unix_time - seconds) * (1 << 32)) & 0xFFFFFFFF
    head = b"#bundle\0" + struct.pack(">II", seconds + NTP_EPOCH, fraction)
    return head + b"".join(struct.pack(">i", len(e)) + e for e in elements)


def size_framed(packet: bytes) -> bytes:
    return struct.pack(">I", len(packet)) + packet


# ------------------------------------------------------------------------- measurements


def memory() -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` (its peak since the process started) of this process, bytes."""
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(line.split()[1]) * 1024
    return values


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def mib(count: float) -> str:
    return f"{count / MiB:.0f} MiB"


def error_text(error: BaseException) -> str:
    text = str(error)
    if len(text) > 120:
        text = text[:117] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def is_osc_error(error: BaseException) -> bool:
    from oscwire.oscbuildparse import OSCError

    return isinstance(error, OSCError)


class Counter:
    """Calls of a handler, from any thread (the GIL makes ``append`` atomic)."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.times: list[float] = []

    def __call__(self, *args: Any) -> None:
        self.times.append(time.monotonic())
        self.values.append(args[0] if len(args) == 1 else args)

    def __len__(self) -> int:
        return len(self.values)


# ------------------------------------------------------------------- the program served


class Program:
    """The default oscwire system in *policy*, driven the way an osc4py3 program drives it.

    The thread that measures is the program's main thread: in ``eventloop`` and
    ``comthreads`` it calls ``osc_process()`` while it waits (:meth:`run_until`), and
    ``allthreads`` programs call it too (an exit raised in a handler thread may come out
    there). In ``asyncio`` the event loop runs in a thread of its own and every façade
    call is made in it.
    """

    def __init__(self, policy: str, **startup: Any) -> None:
        self.policy = policy
        self.facade: Any = importlib.import_module(f"oscwire.as_{policy}")
        #: What ``osc_process()`` raised to the program (``SystemExit``...), in order.
        self.raised: list[str] = []
        self._loop: Any = None
        if policy == "asyncio":
            import asyncio

            self._loop = asyncio.new_event_loop()
            threading.Thread(target=self._loop.run_forever, daemon=True).start()
        self.call(self.facade.osc_startup, **startup)

    def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)`` in the thread the policy wants it in."""
        if self._loop is None:
            return function(*args, **kwargs)
        import asyncio

        async def in_loop() -> Any:
            return function(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(in_loop(), self._loop).result(30)

    def udp_server(self, host: str = "127.0.0.1") -> int:
        channel = self.call(self.facade.osc_udp_server, host, 0, "srv")
        return int(channel.bound_port)

    def tcp_server(self, framing: str = "size", **options: Any) -> tuple[Any, int]:
        channel = self.call(self.facade.osc_tcp_server, "127.0.0.1", 0, "srv", framing, **options)
        return channel, int(channel.bound_port)

    def method(self, pattern: str, function: Callable[..., Any], argscheme: Any = None) -> None:
        if argscheme is None:
            self.call(self.facade.osc_method, pattern, function)
        else:
            self.call(self.facade.osc_method, pattern, function, argscheme=argscheme)

    def step(self, timeout: float = 0.01) -> None:
        if self._loop is not None:
            time.sleep(timeout)
            return
        try:
            self.facade.osc_process(timeout)
        except (SystemExit, KeyboardInterrupt) as error:
            self.raised.append(repr(error))
        if self.policy == "allthreads":
            time.sleep(timeout)  # its osc_process() may return at once

    def run_until(self, done: Callable[[], bool], timeout: float) -> bool:
        """Serve until *done()* or *timeout* seconds; whether it got done."""
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                return False
            self.step()
        return True

    def run_for(self, seconds: float) -> None:
        self.run_until(lambda: False, seconds)

    def stats(self, name: Optional[str] = None) -> dict[str, Any]:
        result: dict[str, Any] = self.call(self.facade.osc_stats, name)
        return result

    def system(self) -> Any:
        from oscwire import _runtime

        return _runtime.default_system()

    def terminate(self) -> None:
        with contextlib.suppress(Exception):
            self.call(self.facade.osc_terminate)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)


@contextlib.contextmanager
def serving(policy: str, **startup: Any) -> Iterator[Program]:
    program = Program(policy, **startup)
    try:
        yield program
    finally:
        program.terminate()


def pick(stats: dict[str, Any], *names: str) -> dict[str, Any]:
    """The counters of *stats* among *names* (a version may lack some)."""
    return {name: stats[name] for name in names if name in stats}


# --------------------------------------------------------------------------------- peers
# Peers run in processes of their own (spawn: nothing of the server is inherited).


class Signal:
    """A one-way "done" from a peer process (a pipe: no semaphore that multiprocessing's
    resource tracker would report on stderr when a child ends with ``os._exit``)."""

    def __init__(self) -> None:
        self._reader, self._writer = _SPAWN.Pipe(duplex=False)
        self._seen = False

    def set(self) -> None:
        self._writer.send(True)

    def is_set(self) -> bool:
        if not self._seen and self._reader.poll():
            self._seen = True
        return self._seen


def start_peer(target: Callable[..., None], *args: Any) -> Any:
    process = _SPAWN.Process(target=target, args=args, daemon=True)
    process.start()
    return process


def stop_peer(process: Any, timeout: float = 5.0) -> None:
    """Wait for *process* (one this script started), then end it by its handle."""
    process.join(timeout)
    if process.is_alive():
        process.terminate()
        process.join(5)


def _udp_socket(bind_host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * MiB)
    sock.bind((bind_host, 0))
    return sock


def udp_sender(
    port: int,
    datagrams: list[bytes],
    count: int,
    burst: int,
    pause: float,
    bind_host: str,
    done: Any,
    delay: float = 0.0,
) -> None:
    """Send *count* datagrams (*datagrams* round-robin), *burst* at a time then *pause* s."""
    time.sleep(delay)
    with _udp_socket(bind_host) as sock:
        for index in range(count):
            data = datagrams[index % len(datagrams)]
            while True:
                try:
                    sock.sendto(data, ("127.0.0.1", port))
                    break
                except OSError:  # ENOBUFS: the local queue is full
                    time.sleep(0.001)
            if (index + 1) % burst == 0:
                time.sleep(pause)
    done.set()


def legit_udp_sender(port: int, count: int, interval: float, delay: float, done: Any) -> None:
    """A well-behaved peer: ``/legit 0..count-1``, one every *interval* seconds."""
    time.sleep(delay)
    with _udp_socket("127.0.0.1") as sock:
        start = time.monotonic()
        for index in range(count):
            sock.sendto(int_message("/legit", index), ("127.0.0.1", port))
            # Paced on a schedule, not by sleeps that add up.
            time.sleep(max(0.0, start + (index + 1) * interval - time.monotonic()))
    done.set()


def tcp_never_reader(port: int, requests: int, hold: float, done: Any) -> None:
    """Connect with a tiny receive window, ask for *requests* replies, never read one."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    request = size_framed(osc_message("/req"))
    with contextlib.suppress(OSError):
        for start in range(0, requests, 1024):
            sock.sendall(request * min(1024, requests - start))
    done.set()
    time.sleep(hold)
    sock.close()


def tcp_churner(port: int, pairs: int, batch: int, send: bool, seconds: float, done: Any) -> None:
    """Connect and close *pairs* times, *batch* connections open at a time (normal close),
    or for *seconds* when that comes first; with *send*, one ``/legit`` message each."""
    deadline = time.monotonic() + seconds
    message = size_framed(int_message("/legit", 1))
    made = 0
    while made < pairs and time.monotonic() < deadline:
        socks = []
        for _ in range(min(batch, pairs - made)):
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            except OSError:
                time.sleep(0.01)
                continue
            if send:
                with contextlib.suppress(OSError):
                    sock.sendall(message)
            socks.append(sock)
        made += len(socks)
        for sock in socks:
            sock.close()
    done.set()


def tcp_loris(port: int, connections: int, interval: float, seconds: float, ready: Any) -> None:
    """*connections* peers that each send one byte every *interval* s of a packet that
    never ends."""
    socks = []
    for _ in range(connections):
        with contextlib.suppress(OSError):
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    # A size header announcing 1 MiB, then its bytes, one at a time.
    trickle = struct.pack(">I", MiB) + b"a" * int(60 / interval)
    ready.set()
    deadline = time.monotonic() + seconds
    for position in range(len(trickle)):
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.send(trickle[position : position + 1])
        if time.monotonic() > deadline:
            break
        time.sleep(interval)
    for sock in socks:
        sock.close()


def send_on_new_connection(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        time.sleep(0.2)  # then close, as a short-lived client does


def tcp_legit_connections(
    port: int, attempts: int, interval: float, delay: float, done: Any
) -> None:
    """A legitimate client: *attempts* connections, each sending ``/legit n`` then closing."""
    time.sleep(delay)
    for index in range(attempts):
        with contextlib.suppress(OSError):  # refused, or closed at once: not served
            send_on_new_connection(port, size_framed(int_message("/legit", index)))
        time.sleep(interval)
    done.set()


def tcp_slip_holder(port: int, connections: int, frame: int, hold: float, done: Any) -> None:
    """*connections* peers that each send *frame* bytes of a SLIP frame with no end."""
    socks = []
    for _ in range(connections):
        with contextlib.suppress(OSError):
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    data = b"\xc0/big" + b"a" * (frame - 5)
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.settimeout(10)
            sock.sendall(data)
    done.set()
    time.sleep(hold)
    for sock in socks:
        sock.close()


# ==================================================================== the attacks, by item


@dataclasses.dataclass(frozen=True)
class Attack:
    """One attack of the issue: *run(where)* measures it in a policy or on a codec twin."""

    item: int
    name: str
    text: str
    wheres: tuple[str, ...]
    guards: tuple[str, ...]
    run: Callable[[str], Measures]
    #: Not an attack of the issue: a variant tried to see whether a bound still holds.
    probe: bool = False


ATTACKS: list[Attack] = []
#: Items that are not an attack, with why they are not measured here.
NOT_MEASURED = {
    3: (
        "Build the compiled core under AddressSanitizer + UBSan in CI",
        "not an attack: a CI job (`.ci/sanitize`), not measured here",
        ".ci/sanitize",
    ),
}


def attack(
    item: int, name: str, text: str, wheres: Sequence[str], *guards: str, probe: bool = False
) -> Callable[[Callable[[str], Measures]], Callable[[str], Measures]]:
    def register(run: Callable[[str], Measures]) -> Callable[[str], Measures]:
        ATTACKS.append(Attack(item, name, text, tuple(wheres), guards, run, probe))
        return run

    return register


def codec_twin(where: str) -> Any:
    return importlib.import_module(f"oscwire._codec_{'c' if where == 'c' else 'py'}")


def outcome_of(work: Callable[[], Any]) -> tuple[Any, Optional[BaseException]]:
    try:
        return work(), None
    except Exception as error:
        return None, error


# ------------------------------------------------------------------------------- item 1


class Mutator:
    """An int whose ``__index__`` runs *action* (on the list it sits in)."""

    def __init__(self, number: int, action: Callable[[], None]) -> None:
        self.number = number
        self.action = action

    def __index__(self) -> int:
        self.action()
        return self.number


@attack(
    1,
    "index",
    "an argument's `__index__` clears the list being encoded (`,iiiiiiii`)",
    TWINS,
    "tests/test_codec_robustness.py::test_argument_list_changed_by_index_encodes_the_snapshot",
)
def list_cleared_during_encoding(where: str) -> Measures:
    from oscwire.oscbuildparse import OSCMessage

    codec = codec_twin(where)
    args: list[Any] = []
    args += [Mutator(9, args.clear), *range(1, 8)]
    raw, error = outcome_of(lambda: codec.encode_packet(OSCMessage("/a", ",iiiiiiii", args)))
    if error is not None:
        return {"summary": f"raised {error_text(error)}"}
    snapshot = bytes(raw) == osc_message("/a", ",iiiiiiii", struct.pack(">8i", 9, *range(1, 8)))
    what = "the list as the call got it" if snapshot else "bytes that are not the list"
    return {"summary": f"encoded {len(raw)} bytes: {what}", "snapshot": snapshot}


@attack(
    1,
    "threads",
    "one thread resizes a list (ints whose `__index__` yields) while another encodes it, 20 s",
    TWINS,
    "tests/test_codec_robustness.py::test_two_threads_changing_a_list_while_it_encodes",
)
def list_resized_by_another_thread(where: str) -> Measures:
    from oscwire.oscbuildparse import OSCInvalidDataError, OSCMessage

    codec = codec_twin(where)
    shared: list[Any] = [1, 2.5, "x"] * 20
    stop = threading.Event()

    class Slow:
        def __index__(self) -> int:
            time.sleep(0)  # let the other thread run
            return 5

    def resize() -> None:
        turn = 0
        while not stop.is_set():
            shared[:] = [Slow(), 2.5, "x"] * (turn % 17)
            turn += 1

    sys.setswitchinterval(1e-5)  # switch threads often: more interleavings per second
    thread = threading.Thread(target=resize, daemon=True)
    thread.start()
    encoded = refused = 0
    others: dict[str, int] = {}
    seconds = scaled(20)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            # Auto-typed, and with tags that fit the list when the call begins.
            for tags in (None, "," + "ifs" * (len(shared) // 3)):
                try:
                    codec.encode_packet(OSCMessage("/stress", tags, shared))
                    encoded += 1
                except OSCInvalidDataError:
                    refused += 1  # the list changed under tags that fitted it: clean
                except Exception as error:
                    others[type(error).__name__] = others.get(type(error).__name__, 0) + 1
    finally:
        stop.set()
        thread.join(5)
    unexpected = ", ".join(f"{count} {name}" for name, count in others.items())
    return {
        "summary": f"no crash in {seconds} s: {encoded} encoded, {refused} OSCInvalidDataError"
        + (f", {unexpected}" if unexpected else ""),
        "encoded": encoded,
        "refused": refused,
        "other_errors": others,
    }


@attack(
    1,
    "send_batch",
    "`netio.send_batch`: the socket's `fileno()` clears the items list (20 datagrams)",
    TWINS,
    "tests/test_netio.py::test_items_list_cleared_by_fileno_is_sent_as_it_was",
)
def send_batch_items_cleared(where: str) -> Measures:
    netio = importlib.import_module(f"oscwire._netio_{'c' if where == 'c' else 'py'}")
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.5)
    items = [(b"%02d" % i, receiver.getsockname()) for i in range(20)]

    class ClearingSocket(socket.socket):
        def fileno(self) -> int:
            items.clear()
            return super().fileno()

    with receiver, ClearingSocket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.setblocking(False)
        result, error = outcome_of(lambda: netio.send_batch(sender, items))
        got = []
        with contextlib.suppress(OSError):
            while len(got) < 20:
                got.append(receiver.recv(100))
    if error is not None:
        return {"summary": f"raised {error_text(error)}", "received": len(got)}
    done, errors = result
    return {
        "summary": f"returned ({done}, {len(errors)} errors); {len(got)} of 20 datagrams arrived",
        "received": len(got),
    }


# ------------------------------------------------------------------------------- item 2


def nested_bundles(depth: int) -> bytes:
    """*depth* empty bundles, each inside the previous one (built outside-in, in linear time)."""
    head = b"#bundle\0" + struct.pack(">II", 0, 1)
    # The bundle at level k holds the one at level k + 1, of 16 + 20 * (depth - k - 2) bytes.
    sizes = [len(head) + 20 * (depth - level - 2) for level in range(depth - 1)]
    return b"".join(head + struct.pack(">i", size) for size in sizes) + head


def depth_attack(where: str, option: str, work: Callable[[Any, dict[str, Any]], Any]) -> Measures:
    codec = codec_twin(where)
    raised = 100_000
    _, error = outcome_of(lambda: work(codec, {option: raised}))
    first = "no error" if error is None else error_text(error)
    result = {"summary": f"`{option}={raised}`: {first}", "error": first}
    limit = getattr(importlib.import_module("oscwire._codec_oob"), "DEPTH_LIMIT", None)
    if error is not None and limit is not None and "must be within" in str(error):
        # The option is refused: the same input at the highest value accepted.
        _, error = outcome_of(lambda: work(codec, {option: limit}))
        at_cap = "no error" if error is None else error_text(error)
        result["summary"] += f"; at the cap ({limit}): {at_cap}"
        result["at_cap"] = at_cap
    return result


@attack(
    2,
    "bundles",
    "decode 100 000 nested bundles with `max_bundle_depth` raised to 100 000",
    TWINS,
    "tests/test_codec_robustness.py::test_depth_limit_is_a_hard_maximum_of_the_options",
    "tests/test_codec_robustness.py::test_bundles_decode_at_the_limit_and_fail_past_it",
)
def deep_bundles(where: str) -> Measures:
    raw = nested_bundles(scaled(100_000, 300))
    return depth_attack(where, "max_bundle_depth", lambda c, oob: c.decode_packet(raw, oob))


@attack(
    2,
    "self_list",
    "encode a list that contains itself with `max_array_depth` raised to 100 000",
    TWINS,
    "tests/test_codec_robustness.py::test_self_containing_list_is_refused_at_the_limit",
)
def self_containing_list(where: str) -> Measures:
    from oscwire.oscbuildparse import OSCMessage

    loop: list[Any] = [1]
    loop.append(loop)
    message = OSCMessage("/a", None, [loop])
    return depth_attack(where, "max_array_depth", lambda c, oob: c.encode_packet(message, oob))


# ------------------------------------------------------------------------------- item 4


def quadratic_address(length: int) -> str:
    """An address that osc4py3's regex for ``/*`` (``^/[^/]*.*$``) fails on in O(n²)."""
    return "/" + "a" * (length - 4) + "/\n\n"


@attack(
    4,
    "catch_all",
    "one 64 KB datagram (`/aaa…a/\\n\\n`, 65 494 characters) to a server with a `/*` handler",
    POLICIES,
    "tests/test_attack.py::test_huge_addresses_against_a_catch_all_pattern",
    "tests/test_oscmethod_bounds.py::test_default_bound_keeps_a_quadratic_regex_small",
)
def catch_all_backtracking(policy: str) -> Measures:
    with serving(policy) as program:
        port = program.udp_server()
        catch_all, legit = Counter(), Counter()
        program.method("/*", catch_all)
        program.method("/legit", legit)
        address = quadratic_address(scaled(65494, 200))
        datagram = osc_message(address)
        with _udp_socket("127.0.0.1") as sock:
            sock.sendto(int_message("/legit", 0), ("127.0.0.1", port))
            program.run_until(lambda: len(legit) == 1, 10)
            matched_before = len(catch_all)
            cpu = cpu_seconds()
            start = time.monotonic()
            sock.sendto(datagram, ("127.0.0.1", port))
            sock.sendto(int_message("/legit", 1), ("127.0.0.1", port))
            served = program.run_until(lambda: len(legit) == 2, 60)
            waited = time.monotonic() - start
            cpu = cpu_seconds() - cpu
        dispatcher = program.system().dispatcher
        too_long = getattr(getattr(dispatcher, "index", None), "too_long", None)
    matched = len(catch_all) - matched_before - (1 if served else 0)
    late = f"the next message waited {waited:.1f} s" if served else "the next message never came"
    return {
        "summary": f"{len(datagram)} B datagram: {cpu:.1f} s CPU, {late}; "
        f"`/*` called for it: {'yes' if matched > 0 else 'no'}",
        "datagram_bytes": len(datagram),
        "cpu_seconds": round(cpu, 3),
        "next_message_wait": round(waited, 3),
        "served": served,
        "catch_all_called": matched > 0,
        "too_long": too_long,
    }


def ignore(*args: Any) -> None:
    """A handler that does nothing."""


def immediate_bundle(*elements: bytes) -> bytes:
    head = b"#bundle\0" + struct.pack(">II", 0, 1)
    return head + b"".join(struct.pack(">i", len(e)) + e for e in elements)


@attack(
    4,
    "spec_fanout",
    "probe (not in the issue): 10 datagrams, each a bundle of 63 message-side patterns of "
    '1 021 characters (`/*a*a…*b`, under `max_pattern_address`), to a `patternkind="spec"` '
    "server with 1 000 methods `/param_<i>_aaa…` (30 characters)",
    POLICIES,
    "bench/compare/compare_pattern_length.py (spec message-side row)",
    probe=True,
)
def spec_message_side_fanout(policy: str) -> Measures:
    with serving(policy, patternkind="spec") as program:
        port = program.udp_server()
        legit = Counter()
        program.method("/legit", legit)
        methods = scaled(1000, 10)
        for number in range(methods):
            program.method(f"/param_{number:05d}_" + "a" * 20, ignore)
        datagram = immediate_bundle(*[osc_message("/" + "*a" * 509 + "*b")] * 63)
        count = 10
        with _udp_socket("127.0.0.1") as sock:
            sock.sendto(int_message("/legit", 0), ("127.0.0.1", port))
            program.run_until(lambda: len(legit) == 1, 10)
            cpu = cpu_seconds()
            start = time.monotonic()
            for _ in range(count):
                sock.sendto(datagram, ("127.0.0.1", port))
            sock.sendto(int_message("/legit", 1), ("127.0.0.1", port))
            served = program.run_until(lambda: len(legit) == 2, 60)
            waited = time.monotonic() - start
            cpu = cpu_seconds() - cpu
    late = f"the next message waited {waited:.1f} s" if served else "the next message never came"
    return {
        "summary": f"{count} datagrams of {len(datagram)} B: {1000 * cpu / count:.0f} ms CPU "
        f"each, {late}",
        "methods": methods,
        "datagram_bytes": len(datagram),
        "cpu_seconds": round(cpu, 3),
        "next_message_wait": round(waited, 3),
        "served": served,
    }


# ------------------------------------------------------------------------------- item 5


def wildcard_datagrams(count: int, length: int) -> list[bytes]:
    """*count* distinct message-side patterns of about *length* characters, all wildcards
    (the issue's "~6 MB each for a 60 KB pattern" once compiled to a regex)."""
    return [osc_message("/" + "*?" * (length // 2) + f"{n}") for n in range(count)]


@attack(
    5,
    "distinct_patterns",
    "150 datagrams, each a distinct 60 KB wildcard address (`/*?*?…*?<n>`)",
    POLICIES,
    "tests/test_attack.py::test_distinct_huge_patterns_do_not_fill_memory",
    "tests/test_oscmethod_bounds.py::test_index_keeps_nothing_of_thousands_of_large_patterns",
)
def distinct_wildcard_addresses(policy: str) -> Measures:
    with serving(policy) as program:
        port = program.udp_server()
        program.method("/mixer/fader", Counter())
        count = scaled(150, 5)
        datagrams = wildcard_datagrams(count, 60000)
        before = memory()
        cpu = cpu_seconds()
        done = Signal()
        peer = start_peer(udp_sender, port, datagrams, count, 1, 0.02, "127.0.0.1", done)
        received = lambda: program.stats("srv").get("received", 0)  # noqa: E731
        program.run_until(lambda: done.is_set() and received() >= count, 60)
        program.run_for(1.0)
        stop_peer(peer)
        cpu = cpu_seconds() - cpu
        after = memory()
        got = received()
    grown = after["VmRSS"] - before["VmRSS"]
    return {
        "summary": f"RSS {mib(before['VmRSS'])} → {mib(after['VmRSS'])} (+{mib(grown)}, "
        f"peak {mib(after['VmHWM'])}) after {got} datagrams, {cpu:.1f} s CPU",
        "datagrams_sent": count,
        "datagrams_received": got,
        "rss_before": before["VmRSS"],
        "rss_after": after["VmRSS"],
        "rss_peak": after["VmHWM"],
        "cpu_seconds": round(cpu, 3),
    }


# ------------------------------------------------------------------------------- item 6


@attack(
    6,
    "never_reads",
    "a TCP peer asks for 65 536 replies of 64 KiB and never reads one",
    POLICIES,
    "tests/test_osctcp_hostile.py::test_a_peer_that_never_reads_its_replies_is_closed_and_its_memory_returned",
    "tests/test_osctcp_hostile.py::test_the_shared_write_budget_closes_the_biggest_slow_peer_and_serves_readers",
)
def peer_that_never_reads(policy: str) -> Measures:
    from oscwire.oscbuildparse import OSCMessage
    from oscwire.oscmethod import OSCARG_PACKOPT

    blob = b"\xab" * (64 * 1024)
    with serving(policy) as program:
        answered = Counter()

        def answer(packopt: Any) -> None:
            answered()
            program.facade.osc_reply(packopt, OSCMessage("/blob", ",b", [blob]))

        program.method("/req", answer, argscheme=OSCARG_PACKOPT)
        _, port = program.tcp_server()
        requests = scaled(65536, 64)
        before = memory()
        sent = Signal()
        peer = start_peer(tcp_never_reader, port, requests, 60.0, sent)

        def settled() -> bool:
            stats = program.stats("srv")
            return len(answered) >= requests or (
                sent.is_set()
                and stats.get("disconnects", 0) > 0
                and stats.get("queued_bytes", 1) == 0
            )

        finished = program.run_until(settled, 50)
        held = memory()
        stats = program.stats("srv")
        peer.terminate()  # the peer goes away: is the memory returned?
        stop_peer(peer)
        program.run_for(2.0)
        after = memory()
    counters = pick(
        stats, "slow_closes", "write_overflows", "send_dropped", "queued_bytes", "disconnects"
    )
    return {
        "summary": f"peak RSS {mib(held['VmHWM'])} (from {mib(before['VmRSS'])}); "
        f"{len(answered)} replies made{'' if finished else ' (still going at 50 s)'}; "
        f"RSS {mib(after['VmRSS'])} once the peer left",
        "requests": requests,
        "replies_made": len(answered),
        "rss_before": before["VmRSS"],
        "rss_peak": held["VmHWM"],
        "rss_while_held": held["VmRSS"],
        "rss_after_peer_left": after["VmRSS"],
        "counters": counters,
    }


# ------------------------------------------------------------------------------- item 7


def server_connections(program: Program) -> int:
    return sum(1 for name in list(program.system().channels) if name.startswith("srv__"))


@attack(
    7,
    "churn",
    "5 000 TCP connect/close pairs (100 open at a time, normal close, nothing sent)",
    POLICIES,
    "tests/test_osctcp_hostile.py::test_connect_close_churn_leaves_memory_and_the_table_as_they_were",
)
def connection_churn(policy: str) -> Measures:
    with serving(policy) as program:
        _, port = program.tcp_server()
        pairs = scaled(5000, 100)
        before = memory()
        done = Signal()
        peer = start_peer(tcp_churner, port, pairs, 100, False, 55.0, done)
        accepted = lambda: program.stats("srv").get("connections_accepted", 0)  # noqa: E731
        program.run_until(lambda: done.is_set() and accepted() >= pairs, 55)
        stop_peer(peer)
        right_after = memory()
        open_after = server_connections(program)
        program.run_for(3.0)
        later = memory()
        open_later = server_connections(program)
        got = accepted()
    return {
        "summary": f"RSS {mib(before['VmRSS'])} → peak {mib(later['VmHWM'])}, "
        f"{mib(later['VmRSS'])} 3 s after the last pair ({got} accepted, "
        f"{open_later} connections still open)",
        "pairs": pairs,
        "accepted": got,
        "rss_before": before["VmRSS"],
        "rss_peak": later["VmHWM"],
        "rss_right_after": right_after["VmRSS"],
        "rss_3s_after": later["VmRSS"],
        "open_right_after": open_after,
        "open_3s_after": open_later,
    }


# ------------------------------------------------------------------------------- item 8


@attack(
    8,
    "slow_loris",
    "500 TCP peers each trickle 1 byte/s of a packet; then a legitimate client connects 20 times",
    POLICIES,
    "tests/test_osctcp_hostile.py::test_slow_loris_peers_give_their_places_to_a_legitimate_client",
    "tests/test_osctcp_hostile.py::test_idle_and_stalled_peers_time_out",
)
def slow_loris(policy: str) -> Measures:
    return loris_attack(policy, 1.0)


@attack(
    8,
    "fast_loris",
    "probe (not in the issue): the same, each peer sending a byte every 0.25 s "
    "(under the 0.5 s a stalled peer is protected from eviction)",
    POLICIES,
    "tests/test_osctcp_hostile.py::test_slow_loris_peers_give_their_places_to_a_legitimate_client",
    probe=True,
)
def fast_loris(policy: str) -> Measures:
    return loris_attack(policy, 0.25)


def loris_attack(policy: str, interval: float) -> Measures:
    with serving(policy) as program:
        legit = Counter()
        program.method("/legit", legit)
        _, port = program.tcp_server()
        loris_count = scaled(500, 20)
        ready, done = Signal(), Signal()
        loris = start_peer(tcp_loris, port, loris_count, interval, 30.0, ready)
        accepted = lambda: program.stats("srv").get("connections_accepted", 0)  # noqa: E731
        program.run_until(lambda: ready.is_set() and accepted() >= loris_count, 30)
        program.run_for(2.0)  # they have trickled for a while
        attempts = 20
        good = start_peer(tcp_legit_connections, port, attempts, 0.3, 0.0, done)
        program.run_until(lambda: done.is_set() and len(legit) >= attempts, 30)
        program.run_for(0.5)
        stats = program.stats("srv")
        stop_peer(good)
        loris.terminate()
        stop_peer(loris)
    counters = pick(
        stats, "connections_accepted", "connections_refused", "evictions", "partial_timeouts"
    )
    return {
        "summary": f"legitimate client served {len(legit)}/{attempts} times; "
        + ", ".join(f"{k} {v}" for k, v in counters.items() if k != "connections_accepted"),
        "loris": loris_count,
        "legit_served": len(legit),
        "legit_attempts": attempts,
        "counters": counters,
    }


@attack(
    8,
    "slip_frames",
    "480 TCP peers each send 1 MB of a SLIP frame that never ends, and hold it",
    POLICIES,
    "tests/test_osctcp_hostile.py::test_unfinished_slip_frames_are_bounded_across_connections",
)
def unfinished_slip_frames(policy: str) -> Measures:
    with serving(policy) as program:
        _, port = program.tcp_server("slip")
        peers = scaled(480, 10)
        before = memory()
        done = Signal()
        holder = start_peer(tcp_slip_holder, port, peers, 1_000_000, 30.0, done)
        program.run_until(done.is_set, 50)
        program.run_for(2.0)
        held = memory()
        stats = program.stats("srv")
        holder.terminate()
        stop_peer(holder)
        program.run_for(2.0)
        after = memory()
    counters = pick(stats, "connections_accepted", "memory_closes", "buffered_bytes", "disconnects")
    return {
        "summary": f"RSS {mib(before['VmRSS'])} → {mib(held['VmRSS'])} while held "
        f"(+{mib(held['VmRSS'] - before['VmRSS'])}), {mib(after['VmRSS'])} after the peers left"
        + (f"; memory_closes {counters['memory_closes']}" if "memory_closes" in counters else ""),
        "peers": peers,
        "rss_before": before["VmRSS"],
        "rss_held": held["VmRSS"],
        "rss_peak": held["VmHWM"],
        "rss_after": after["VmRSS"],
        "counters": counters,
    }


# ------------------------------------------------------------------------------- item 9


def future_bundles_attack(
    policy: str, ahead: float, hosts: Sequence[str], per_host: int, blob: int
) -> Measures:
    """Each of *hosts* sends *per_host* bundles timed *ahead* s and more (a message with a
    blob of *blob* bytes each); then a peer at 127.0.0.1 sends a bundle due in 3 s."""
    with serving(policy) as program:
        due_runs = Counter()
        program.method("/due", due_runs)
        program.method("/x", ignore)
        port = program.udp_server()
        count = len(hosts) * per_host
        element = blob_message("/x", b"\xee" * blob) if blob else int_message("/x", 1)
        bundles = [osc_bundle(time.time() + ahead + n, element) for n in range(64)]
        before = memory()
        received = lambda: program.stats("srv").get("received", 0)  # noqa: E731
        sending = per_host
        for pause in (0.004, 0.02, 0.05):  # again, slower, for what the kernel dropped
            dones = [Signal() for _ in hosts]
            peers = [
                start_peer(udp_sender, port, bundles, sending, 16, pause, host, done)
                for host, done in zip(hosts, dones)
            ]
            program.run_until(
                lambda dones=dones: all(d.is_set() for d in dones) and received() >= count, 40
            )
            program.run_for(1.0)
            for peer in peers:
                stop_peer(peer)
            missing = count - received()
            if missing <= 0:
                break
            sending = -(-missing // len(hosts))
        held = memory()
        got = received()
        waiting = program.stats()["dispatcher"]
        # The legitimate peer's bundle, due in 3 s.
        due_at = time.time() + 3.0
        with _udp_socket("127.0.0.1") as sock:
            sock.sendto(osc_bundle(due_at, int_message("/due", 1)), ("127.0.0.1", port))
        program.run_until(lambda: len(due_runs) > 0, 8.0)
        # When it ran, as a Unix time (the handler noted the monotonic time).
        ran_at = time.time() - (time.monotonic() - due_runs.times[0]) if due_runs else None
    counters = pick(
        waiting, "delayed_waiting", "delayed_overflow", "delayed_source_overflow", "delayed_too_far"
    )
    if ran_at is None:
        legit = "the other peer's bundle due in 3 s never ran (dropped)"
    else:
        legit = f"the other peer's bundle ran {ran_at - due_at:+.3f} s from its time"
    return {
        "summary": f"{got}/{count} received, {counters.get('delayed_waiting')} held, RSS "
        f"+{mib(held['VmRSS'] - before['VmRSS'])}; {legit}"
        + "".join(f"; {k} {v}" for k, v in counters.items() if k != "delayed_waiting" and v),
        "sent": count,
        "received": got,
        "rss_before": before["VmRSS"],
        "rss_held": held["VmRSS"],
        "legit_ran": ran_at is not None,
        "legit_lateness": None if ran_at is None else round(ran_at - due_at, 4),
        "counters": counters,
    }


@attack(
    9,
    "years_ahead",
    "one peer sends 10 000 bundles of 60 KB timed years ahead; another's bundle is due in 3 s",
    POLICIES,
    "tests/test_attack.py::test_future_bundles_from_one_source_cannot_starve_another",
    "tests/test_oscdispatching.py::test_bundles_timed_too_far_ahead_are_dropped",
)
def future_bundles_years_ahead(policy: str) -> Measures:
    return future_bundles_attack(
        policy, 3 * 365 * 86400.0, ["127.0.0.2"], scaled(10_000, 50), 60_000
    )


@attack(
    9,
    "within_max_delay",
    "the same, timed 30 min ahead (within the new default `max_delay`, 1 h)",
    POLICIES,
    "tests/test_oscdispatching.py::test_one_source_cannot_take_more_than_its_share",
    "tests/test_oscdispatching.py::test_share_is_also_counted_in_bytes",
)
def future_bundles_within_max_delay(policy: str) -> Measures:
    return future_bundles_attack(policy, 1800.0, ["127.0.0.2"], scaled(10_000, 50), 60_000)


@attack(
    9,
    "four_sources",
    "probe (not in the issue): four source hosts (127.0.0.2–5: one attacker spoofing UDP "
    "sources) each send 3 000 small bundles timed 30 min ahead; another peer's bundle is due in 3 s",
    POLICIES,
    "tests/test_attack.py::test_future_bundles_from_one_source_cannot_starve_another",
    probe=True,
)
def future_bundles_four_sources(policy: str) -> Measures:
    hosts = [f"127.0.0.{n}" for n in range(2, 6)]
    return future_bundles_attack(policy, 1800.0, hosts, scaled(3000, 30), 0)


# ------------------------------------------------------------------------------ item 10


def boom(value: int) -> None:
    raise ZeroDivisionError(f"bad value {value}")


@attack(
    10,
    "failing_handler",
    "20 000 datagrams to a failing handler (no logging configured), 10 000/s, while a peer "
    "sends 1 000 messages over the same 2 s",
    (*POLICIES, "asyncio"),
    "tests/test_attack.py::test_a_flood_of_failing_calls_does_not_flood_the_log",
    "tests/test_oscmethod.py::test_failures_are_throttled_per_handler",
)
def failing_handler_flood(policy: str) -> Measures:
    return failing_handler_attack(policy, burst=20, pause=0.002, legit_seconds=2.0)


@attack(
    10,
    "failing_burst",
    "the same 20 000 sent as fast as the attacker can, while a peer sends 1 000 messages "
    "over 1 s from the same moment",
    (*POLICIES, "asyncio"),
    "tests/test_attack.py::test_a_flood_of_failing_calls_does_not_flood_the_log",
)
def failing_handler_burst(policy: str) -> Measures:
    return failing_handler_attack(policy, burst=1_000_000, pause=0.0, legit_seconds=1.0)


def settle(program: Program, value: Callable[[], int], quiet: float, timeout: float) -> int:
    """Serve until *value()* has not changed for *quiet* seconds (or *timeout*); its value."""
    deadline = time.monotonic() + timeout
    last, since = value(), time.monotonic()
    while time.monotonic() < deadline:
        program.run_for(0.1)
        now = value()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


def failing_handler_attack(policy: str, burst: int, pause: float, legit_seconds: float) -> Measures:
    with serving(policy) as program:
        legit = Counter()
        program.method("/legit", legit)
        program.method("/boom", boom)
        port = program.udp_server()
        count, legit_count = scaled(20_000, 200), scaled(1000, 50)
        flood_done, legit_done = Signal(), Signal()
        bad = [int_message("/boom", n) for n in range(100)]
        attacker = start_peer(udp_sender, port, bad, count, burst, pause, "127.0.0.2", flood_done)
        good = start_peer(
            legit_udp_sender, port, legit_count, legit_seconds / legit_count, 0.0, legit_done
        )
        program.run_until(lambda: flood_done.is_set() and legit_done.is_set(), 40)
        failures = settle(program, lambda: program.stats()["dispatcher"]["handler_errors"], 1.0, 30)
        stop_peer(attacker)
        stop_peer(good)
        channel = program.stats("srv")
    return {
        "summary": f"{failures} handler failures; legitimate peer served {len(legit)}/{legit_count} "
        f"({100 * len(legit) / legit_count:.1f} %)",
        "handler_errors": failures,
        "legit_served": len(legit),
        "legit_sent": legit_count,
        "counters": pick(channel, "received", "kernel_drops", "dropped_received"),
    }


def udp_many_sources(port: int, hosts: list[str], per_host: int, data: bytes, done: Any) -> None:
    """*per_host* copies of *data* from each of *hosts* (loopback addresses)."""
    for host in hosts:
        with _udp_socket(host) as sock:
            for _ in range(per_host):
                sock.sendto(data, ("127.0.0.1", port))
        time.sleep(0.0005)
    done.set()


@attack(
    10,
    "many_sources",
    "probe (not in the issue): undecodable datagrams from 2 000 source addresses "
    "(127.1.x.y), 5 each",
    POLICIES,
    "tests/test_attack.py::test_garbage_datagrams_are_counted_and_logged_once",
    probe=True,
)
def garbage_from_many_sources(policy: str) -> Measures:
    with serving(policy) as program:
        port = program.udp_server()
        hosts = [f"127.1.{n // 250}.{n % 250 + 1}" for n in range(scaled(2000, 20))]
        done = Signal()
        peer = start_peer(udp_many_sources, port, hosts, 5, b"\x00garbage" * 10, done)
        bad = lambda: program.stats("srv").get("bad_packets", 0)  # noqa: E731
        program.run_until(lambda: done.is_set() and bad() >= 5 * len(hosts), 30)
        program.run_for(1.0)
        stop_peer(peer)
        counted = bad()
    return {
        "summary": f"{counted} bad packets from {len(hosts)} hosts counted",
        "bad_packets": counted,
        "hosts": len(hosts),
    }


# ------------------------------------------------------------------------------ item 11


def leave(value: int) -> None:
    raise SystemExit(value)


@attack(
    11,
    "system_exit",
    "a peer sends 2 000 messages whose handler raises `SystemExit`; another sends 1 000 paced messages",
    ("allthreads",),
    "tests/test_attack.py::test_system_exit_in_a_handler_thread_stalls_nothing",
    "tests/test_runtime_semantics.py::test_handler_exit_in_a_policy_thread_is_raised_at_process_and_nothing_stalls",
)
def system_exit_in_handlers(policy: str) -> Measures:
    with serving(policy) as program:
        legit = Counter()
        program.method("/legit", legit)
        program.method("/exit", leave)
        port = program.udp_server()
        count, legit_count = scaled(2000, 300), scaled(1000, 100)
        flood_done, legit_done = Signal(), Signal()
        attacker = start_peer(
            udp_sender, port, [int_message("/exit", 1)], count, 10, 0.01, "127.0.0.2", flood_done
        )
        good = start_peer(legit_udp_sender, port, legit_count, 0.004, 0.5, legit_done)
        program.run_until(lambda: legit_done.is_set() and len(legit) >= legit_count, 30)
        program.run_for(1.0)
        stop_peer(attacker)
        stop_peer(good)
        system = program.system()
        congested = system.congested() if hasattr(system, "congested") else None
        stats = program.stats()["system"]
    return {
        "summary": f"legitimate peer served {len(legit)}/{legit_count}; "
        f"SystemExit raised to osc_process() {len(program.raised)} times"
        + (f"; congested at the end: {congested}" if congested is not None else ""),
        "legit_served": len(legit),
        "legit_sent": legit_count,
        "raised_to_program": len(program.raised),
        "congested": congested,
        "counters": pick(stats, "handler_exits", "received_dropped"),
    }


# ------------------------------------------------------------------------------ item 12


def clock_jump(policy: str, jump: float, first_lead: float, second_lead: float) -> Measures:
    """Bundle X timed *first_lead* s ahead; the wall clock jumps by *jump* 0.5 s later; then
    bundle Y timed *second_lead* s ahead of the new wall time. Each should run when its
    delay, counted from its arrival, has passed."""
    real_time = time.time
    offset = [0.0]
    time.time = lambda: real_time() + offset[0]  # the host's wall clock, as every reader sees it
    try:
        with serving(policy) as program:
            runs: dict[str, float] = {}
            program.method("/x", lambda name: runs.setdefault(name, time.monotonic()))
            port = program.udp_server()
            expected = {}
            with _udp_socket("127.0.0.1") as sock:
                expected["X"] = time.monotonic() + first_lead
                sock.sendto(
                    osc_bundle(time.time() + first_lead, osc_message("/x", ",s", osc_string("X"))),
                    ("127.0.0.1", port),
                )
                program.run_for(0.5)
                offset[0] = jump
                expected["Y"] = time.monotonic() + second_lead
                sock.sendto(
                    osc_bundle(time.time() + second_lead, osc_message("/x", ",s", osc_string("Y"))),
                    ("127.0.0.1", port),
                )
                program.run_until(lambda: len(runs) == 2, max(first_lead, second_lead) + 15)
    finally:
        time.time = real_time
    late = {name: round(runs[name] - expected[name], 3) if name in runs else None for name in "XY"}
    text = ", ".join(
        f"{name} {'never ran' if late[name] is None else f'{late[name]:+.2f} s'}" for name in "XY"
    )
    return {"summary": f"lateness: {text}", "lateness": late}


@attack(
    12,
    "back_10s",
    "bundle X due in 3 s; the wall clock steps back 10 s; bundle Y due in 12 s (new wall time)",
    POLICIES,
    "tests/test_oscdispatching.py::test_due_times_are_fixed_at_arrival_on_the_monotonic_clock",
)
def clock_steps_back(policy: str) -> Measures:
    return clock_jump(policy, -10.0, 3.0, 12.0)


@attack(
    12,
    "forward_1h",
    "bundle X due in 10 s; the wall clock steps forward 1 h; bundle Y due in 1 s (new wall time)",
    POLICIES,
    "tests/test_oscdispatching.py::test_due_times_are_fixed_at_arrival_on_the_monotonic_clock",
)
def clock_steps_forward(policy: str) -> Measures:
    return clock_jump(policy, 3600.0, 10.0, 1.0)


# ------------------------------------------------------------------------------ item 13


@attack(
    13,
    "stats_churn",
    "a thread calls `osc_stats()` for 10 s while TCP peers connect, send one message and close",
    POLICIES,
    "tests/test_runtime_semantics.py::test_stats_while_channels_come_and_go",
)
def stats_under_churn(policy: str) -> Measures:
    with serving(policy) as program:
        _, port = program.tcp_server()
        program.method("/legit", Counter())
        errors: dict[str, int] = {}
        calls = 0
        stop = threading.Event()

        def watch() -> None:
            nonlocal calls
            while not stop.is_set():
                try:
                    program.facade.osc_stats()
                except Exception as error:
                    errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
                calls += 1

        done = Signal()
        seconds = scaled(10, 2)
        churner = start_peer(tcp_churner, port, 1_000_000, 20, True, seconds + 1.0, done)
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        program.run_for(seconds)
        stop.set()
        watcher.join(5)
        stop_peer(churner)
        accepted = program.stats("srv").get("connections_accepted", 0)
    failed = ", ".join(f"{count} {name}" for name, count in errors.items()) or "no error"
    return {
        "summary": f"{failed} in {calls} calls ({accepted} connections came and went)",
        "calls": calls,
        "errors": errors,
        "connections": accepted,
    }


@contextlib.contextmanager
def fake_resolver(name: str, answers: Callable[[], Optional[str]]) -> Iterator[list[float]]:
    """*name* resolves to *answers()* (a gaierror when None); other names as usual.
    Yields the monotonic times of the lookups of *name*."""
    real = socket.getaddrinfo
    lookups: list[float] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != name:
            return real(host, port, *args, **kwargs)
        lookups.append(time.monotonic())
        address = answers()
        if address is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(address, port, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    try:
        yield lookups
    finally:
        socket.getaddrinfo = real  # type: ignore[assignment]


def reconnect_attack(policy: str, first_answer: Optional[str]) -> Measures:
    """A ``tcp_reconnect`` client of a name that resolves to *first_answer* for 1 s, then
    to the server's address."""
    from oscwire.oscbuildparse import OSCMessage

    name = "peer.oscwire-attack.invalid"
    with serving(policy) as program:
        legit = Counter()
        program.method("/legit", legit)
        _, port = program.tcp_server()
        start = time.monotonic()
        answers = lambda: first_answer if time.monotonic() - start < 1.0 else "127.0.0.1"  # noqa: E731
        with fake_resolver(name, answers) as lookups:
            _client, error = outcome_of(
                lambda: program.call(
                    program.facade.osc_tcp_client,
                    name,
                    port,
                    "cli",
                    tcp_reconnect=True,
                    tcp_reconnect_delay=0.2,
                )
            )
            if error is None:
                program.facade.osc_send(OSCMessage("/legit", ",i", [1]), "cli")
                program.run_until(lambda: len(legit) > 0, 8.0)
            delivered = time.monotonic() - start if legit else None
    if error is not None:
        summary = f"`osc_tcp_client` raised {error_text(error)}"
    elif delivered is None:
        summary = f"created; the message was never delivered (8 s, {len(lookups)} lookups)"
    else:
        summary = (
            f"created; the message was delivered after {delivered:.1f} s ({len(lookups)} lookups)"
        )
    return {
        "summary": summary,
        "raised": None if error is None else error_text(error),
        "delivered_after": None if delivered is None else round(delivered, 3),
        "lookups": len(lookups),
    }


@attack(
    13,
    "unresolvable",
    "`osc_tcp_client(name, tcp_reconnect=True)` while the name does not resolve (it does 1 s later)",
    ("eventloop",),
    "tests/test_osctcp_roles.py::test_reconnect_retries_an_unresolvable_host_and_resolves_again_each_time",
)
def reconnect_unresolvable(policy: str) -> Measures:
    return reconnect_attack(policy, None)


@attack(
    13,
    "moved",
    "the same, the name resolving first to 127.0.0.3 (refused), 1 s later to the server",
    ("eventloop",),
    "tests/test_osctcp_roles.py::test_reconnect_retries_an_unresolvable_host_and_resolves_again_each_time",
)
def reconnect_moved(policy: str) -> Measures:
    return reconnect_attack(policy, "127.0.0.3")


# ------------------------------------------------------------------------------ item 14


def codec_outcome(work: Callable[[], Any]) -> Measures:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result, error = outcome_of(work)
    warned = [str(w.message) for w in caught]
    if error is not None:
        kind = "an OSCError" if is_osc_error(error) else "not an OSCError"
        cause = f", cause {type(error.__cause__).__name__}" if error.__cause__ is not None else ""
        summary = f"{error_text(error)} ({kind}{cause})"
    else:
        summary = (
            f"returned {bytes(result)!r}"
            if isinstance(result, (bytes, bytearray))
            else f"returned {result!r}"
        )
    if warned:
        summary += f"; warned: {warned[0]}"
    return {
        "summary": summary,
        "error": None if error is None else type(error).__name__,
        "osc_error": None if error is None else is_osc_error(error),
        "warnings": warned,
    }


@attack(
    14,
    "char_idna",
    '`decode_packet` of `/a ,c 0xE9` with `char_decode="idna"`',
    TWINS,
    "tests/test_codec_robustness.py::test_char_decode_idna_is_refused_when_the_call_starts",
)
def decode_with_idna(where: str) -> Measures:
    raw = osc_message("/a", ",c", bytes.fromhex("000000e9"))
    return codec_outcome(lambda: codec_twin(where).decode_packet(raw, {"char_decode": "idna"}))


@attack(
    14,
    "own_exception",
    "encode `,i` with a value whose `__index__` raises its own exception class",
    TWINS,
    "tests/test_codec_conversions.py::test_a_values_own_exception_is_wrapped_with_its_cause",
)
def value_raising_in_index(where: str) -> Measures:
    from oscwire.oscbuildparse import OSCMessage

    class Boom(Exception):
        pass

    class Failing:
        def __index__(self) -> int:
            raise Boom("the value's own error")

    return codec_outcome(
        lambda: codec_twin(where).encode_packet(OSCMessage("/a", ",i", [Failing()]))
    )


@attack(
    14,
    "contradicting_tag",
    "encode `,T` with the value `False`",
    TWINS,
    "tests/test_codec_conversions.py::test_contradicting_bools_are_refused",
)
def contradicting_tag(where: str) -> Measures:
    from oscwire.oscbuildparse import OSCMessage

    return codec_outcome(lambda: codec_twin(where).encode_packet(OSCMessage("/a", ",T", [False])))


# ===================================================================== running the children


def find(item: int, name: str) -> Attack:
    for entry in ATTACKS:
        if entry.item == item and entry.name == name:
            return entry
    raise SystemExit(f"no attack {item}/{name}")


def child_main(item: int, name: str, where: str, scale: float) -> None:
    """Run one attack in this process (a child of the driver) and print its result."""
    global _SCALE
    _SCALE = scale
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    import faulthandler

    faulthandler.enable()  # a crash leaves its Python stack on stderr
    import oscwire

    measures = find(item, name).run(where)
    measures["oscwire"] = os.path.dirname(oscwire.__file__)
    measures["implementation"] = getattr(oscwire, "IMPLEMENTATION", None)
    print(RESULT_MARK + json.dumps(measures), flush=True)
    for peer in multiprocessing.active_children():  # the peers this child started
        peer.terminate()
    os._exit(0)  # daemon threads of the old code may hang an orderly exit


def run_child(entry: Attack, where: str, scale: float, timeout: float) -> dict[str, Any]:
    """Run *entry* in *where* in a child process; what it measured, or how it ended."""
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        f"{entry.item}:{entry.name}:{where}",
        "--scale",
        str(scale),
    ]
    record: dict[str, Any] = {"item": entry.item, "attack": entry.name, "where": where}
    with tempfile.TemporaryFile() as stderr:
        start = time.monotonic()
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, start_new_session=True, text=True
        )
        try:
            stdout, _ = process.communicate(timeout=timeout)
            timed_out = False
            with contextlib.suppress(ProcessLookupError):  # a peer left behind by a crash
                os.killpg(process.pid, signal.SIGKILL)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the child's group: it and its peers
            stdout, _ = process.communicate()
            timed_out = True
        record["seconds"] = round(time.monotonic() - start, 2)
        record["exit"] = process.returncode
        stderr.seek(0)
        log = stderr.read()
    record["stderr_bytes"] = len(log)
    text = log.decode("utf-8", "replace")
    record["stderr_head"] = text[:600]
    record["stderr_lines"] = text.count("\n")
    record["memory_errors"] = text.count("MemoryError")
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_MARK)]
    if lines:
        record["measures"] = json.loads(lines[-1][len(RESULT_MARK) :])
        record["outcome"] = "ok"
    elif timed_out:
        record["outcome"] = f"timeout ({timeout:.0f} s): killed"
    elif process.returncode < 0:
        record["outcome"] = (
            f"{signal.Signals(-process.returncode).name} after {record['seconds']} s"
        )
    else:
        last = text.strip().splitlines()[-1:] or [""]
        record["outcome"] = f"exit {process.returncode}: {last[0][:160]}"
    return record


def cell(record: dict[str, Any]) -> str:
    """The text of one run for the table."""
    if record["outcome"] == "ok":
        text = str(record["measures"]["summary"])
    else:
        text = f"**{record['outcome']}**"
    extra = []
    if record["stderr_bytes"]:
        size = f"{record['stderr_bytes']:,}".replace(",", " ")
        extra.append(f"stderr {size} B, {record.get('stderr_lines', '?')} lines")
    if record["memory_errors"]:
        extra.append(f"{record['memory_errors']} MemoryError in the log")
    if extra:
        text += f" [{'; '.join(extra)}]"
    return text


def summarize(records: Sequence[dict[str, Any]]) -> dict[tuple[int, str], list[str]]:
    cells: dict[tuple[int, str], list[str]] = {}
    for record in records:
        key = (record["item"], record["attack"])
        cells.setdefault(key, []).append(f"{record['where']}: {cell(record)}")
    return cells


def markdown_table(before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]]) -> str:
    old, new = summarize(before), summarize(after)
    rows = []
    for entry in sorted(ATTACKS, key=lambda a: a.item):
        key = (entry.item, entry.name)
        if key not in old and key not in new:
            continue
        guards = "<br>".join(f"`{guard}`" for guard in entry.guards)
        rows.append(
            [
                f"{entry.item} ({entry.name})",
                entry.text.replace("|", "\\|"),
                "<br>".join(old.get(key, ["not run"])).replace("|", "\\|"),
                "<br>".join(new.get(key, ["not run"])).replace("|", "\\|"),
                guards,
            ]
        )
    for item, (text, why, guard) in NOT_MEASURED.items():
        rows.append([str(item), text, why, why, f"`{guard}`"])
    rows.sort(key=lambda row: int(row[0].split()[0]))
    return format_table(["item", "attack", "before", "after", "guarded by"], rows, markdown=True)


def text_lines(records: Sequence[dict[str, Any]]) -> str:
    rows = [[f"{r['item']} {r['attack']}", r["where"], cell(r)] for r in records]
    return format_table(["item", "where", "result"], rows, markdown=False)


def selected(
    items: Sequence[int], names: Sequence[str], wheres: Sequence[str]
) -> list[tuple[Attack, str]]:
    chosen = []
    for entry in ATTACKS:
        if items and entry.item not in items:
            continue
        if names and entry.name not in names:
            continue
        for where in entry.wheres:
            if not wheres or where in wheres:
                chosen.append((entry, where))
    return sorted(chosen, key=lambda pair: pair[0].item)


def source_of_oscwire() -> dict[str, Any]:
    """Where the oscwire children import lives, and its git commit when it is a checkout."""
    probe = subprocess.run(
        [sys.executable, "-c", "import oscwire, os; print(os.path.dirname(oscwire.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    )
    path = probe.stdout.strip()
    commit = subprocess.run(
        ["git", "-C", path, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {"oscwire": path, "commit": commit or None}


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--item", type=int, action="append", default=[], help="items to run (all)")
    parser.add_argument("--attack", action="append", default=[], help="attack names to run (all)")
    parser.add_argument("--where", action="append", default=[], help="policies or twins (all)")
    parser.add_argument("--scale", type=float, default=1.0, help="1: the issue's scale")
    parser.add_argument("--timeout", type=float, default=CHILD_TIMEOUT, help="per child, s")
    parser.add_argument("--label", default="", help="a name for this run (before, after)")
    parser.add_argument("--json", action="store_true", help="print the records as JSON")
    parser.add_argument("--save", help="write the run (records and source) to this JSON file")
    parser.add_argument(
        "--table", nargs=2, metavar=("BEFORE", "AFTER"), help="compare two saved runs"
    )
    parser.add_argument("--markdown", action="store_true", help="with --table: Markdown")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        item, name, where = args.child.split(":")
        child_main(int(item), name, where, args.scale)
        return
    if args.table:
        runs = []
        for path in args.table:
            with open(path) as source:
                runs.append(json.load(source))
        print(markdown_table(runs[0]["records"], runs[1]["records"]))
        return
    run: dict[str, Any] = {
        "label": args.label,
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "scale": args.scale,
        "as_limit": AS_LIMIT,
        **source_of_oscwire(),
        "records": [],
    }
    for entry, where in selected(args.item, args.attack, args.where):
        record = run_child(entry, where, args.scale, args.timeout)
        run["records"].append(record)
        if not args.json:
            print(
                f"{entry.item} {entry.name} [{where}] {record['seconds']} s: {cell(record)}",
                flush=True,
            )
    if args.save:
        with open(args.save, "w") as target:
            json.dump(run, target, indent=1)
    if args.json:
        print(json.dumps(run, indent=1))


if __name__ == "__main__":
    main()
