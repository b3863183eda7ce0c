"""Batched datagram I/O (``_netio_c`` / ``_netio_py``): both twins, loopback only.

Expected values come from the ``socket`` module itself: the address tuples and data a
plain ``recvfrom`` returns, the exception a plain ``sendto`` raises for the same item.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import sys
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def have_ipv6() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


HOSTS = ["127.0.0.1"] + (["::1"] if have_ipv6() else [])


def udp(host: str = "127.0.0.1") -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    sock.setblocking(False)
    return sock


def wait_readable(sock: socket.socket, count: int = 1, timeout: float = 2.0) -> None:
    """Give loopback delivery a moment (it is synchronous on Linux, not everywhere)."""
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ)
        selector.select(timeout)
    if count > 1:
        time.sleep(0.02)


def read_all(impl: ModuleType, sock: socket.socket, expected: int) -> list[tuple[bytes, Any]]:
    got: list[tuple[bytes, Any]] = []
    deadline = time.monotonic() + 2.0
    while len(got) < expected and time.monotonic() < deadline:
        wait_readable(sock, 1, 0.1)
        items, error = impl.recv_batch(sock, expected - len(got))
        assert error is None
        got.extend(items)
    return got


@pytest.fixture
def pair(request: pytest.FixtureRequest) -> Iterator[tuple[socket.socket, socket.socket]]:
    host = getattr(request, "param", "127.0.0.1")
    receiver, sender = udp(host), udp(host)
    yield receiver, sender
    receiver.close()
    sender.close()


@pytest.mark.parametrize("pair", HOSTS, indirect=True)
def test_loopback_round_trip_keeps_order_data_and_addresses(
    netio_impl: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    receiver, sender = pair
    target = receiver.getsockname()
    payloads = [bytes([i]) * i for i in range(150)]  # includes an empty datagram
    done, errors = netio_impl.send_batch(sender, [(p, target) for p in payloads])
    assert (done, errors) == (150, [])
    got = read_all(netio_impl, receiver, 150)
    assert [data for data, _ in got] == payloads
    # The source address is what getsockname says for the sender, as recvfrom reports it.
    sender.sendto(b"probe", target)
    wait_readable(receiver)
    _data, expected_address = receiver.recvfrom(100)
    assert expected_address == sender.getsockname()
    assert {address for _, address in got} == {expected_address}
    assert all(type(address) is tuple for _, address in got)


@pytest.mark.parametrize("pair", HOSTS, indirect=True)
def test_addresses_equal_recvfrom_for_many_sources(
    netio_impl: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    receiver, _sender = pair
    host = receiver.getsockname()[0]
    target = receiver.getsockname()
    # More sources than the compiled twin's address cache holds, interleaved twice.
    sources = [udp(host) for _ in range(12)]
    try:
        for round_ in range(2):
            for index, source in enumerate(sources):
                source.sendto(f"{round_}-{index}".encode(), target)
        got = read_all(netio_impl, receiver, 24)
        for source in sources:
            source.sendto(b"reference", target)
        reference = []
        for _ in sources:
            wait_readable(receiver)
            reference.append(receiver.recvfrom(100)[1])
    finally:
        for source in sources:
            source.close()
    expected = {f"{r}-{i}".encode(): reference[i] for r in range(2) for i in range(12)}
    assert dict(got) == expected


def test_max_count_bounds_the_batch_and_the_rest_waits(
    netio_impl: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    receiver, sender = pair
    target = receiver.getsockname()
    for i in range(100):
        sender.sendto(b"%d" % i, target)
    wait_readable(receiver, 100)
    first, error = netio_impl.recv_batch(receiver, 70)
    assert error is None and [d for d, _ in first] == [b"%d" % i for i in range(70)]
    second, error = netio_impl.recv_batch(receiver, 70)
    assert error is None and [d for d, _ in second] == [b"%d" % i for i in range(70, 100)]
    assert netio_impl.recv_batch(receiver, 70) == ([], None)  # EAGAIN: empty, no error
    assert netio_impl.recv_batch(receiver, 0) == ([], None)


def test_reusable_buffers_and_truncation_like_recvfrom(
    netio_impl: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    receiver, sender = pair
    target = receiver.getsockname()
    buffers = netio_impl.RecvBuffers(16, slots=4)
    assert (buffers.bufsize, buffers.slots) == (16, 4)
    for size in (0, 16, 40, 3):
        sender.sendto(b"a" * size, target)
    sender.sendto(b"b" * 40, target)
    wait_readable(receiver, 5)
    items, error = netio_impl.recv_batch(receiver, 4, 16, buffers)
    assert error is None
    # recvfrom(16) of a 40-byte datagram returns its first 16 bytes and drops the rest.
    assert [d for d, _ in items] == [b"", b"a" * 16, b"a" * 16, b"aaa"]
    items, error = netio_impl.recv_batch(receiver, 4, 16, buffers)
    reference = receiver  # one datagram left: compare with the socket module's own answer
    assert error is None and [d for d, _ in items] == [b"b" * 16]
    assert netio_impl.recv_batch(reference, 4, 16, buffers) == ([], None)


def test_argument_checks(netio_impl: ModuleType, pair: tuple[socket.socket, socket.socket]) -> None:
    receiver, sender = pair
    with pytest.raises(ValueError):
        netio_impl.recv_batch(receiver, 4, 0)
    with pytest.raises(ValueError):
        netio_impl.recv_batch(receiver, 4, 100, netio_impl.RecvBuffers(200))
    with pytest.raises(ValueError):
        netio_impl.RecvBuffers(0)
    with pytest.raises(ValueError):
        netio_impl.RecvBuffers(100, slots=netio_impl.SYSCALL_BATCH + 1)
    receiver.setblocking(True)
    with pytest.raises(ValueError):
        netio_impl.recv_batch(receiver, 4)
    sender.settimeout(1.0)
    with pytest.raises(ValueError):
        netio_impl.send_batch(sender, [(b"x", receiver.getsockname())])


@pytest.mark.parametrize("pair", HOSTS, indirect=True)
def test_oversize_datagram_is_reported_and_the_rest_is_sent(
    netio_impl: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    receiver, sender = pair
    target = receiver.getsockname()
    items = [(b"one", target), (b"x" * 70000, target), (b"two", target)]
    done, errors = netio_impl.send_batch(sender, items)
    assert done == 3 and len(errors) == 1
    index, error = errors[0]
    with pytest.raises(OSError) as reference:
        sender.sendto(b"x" * 70000, target)
    assert index == 1 and type(error) is type(reference.value)
    assert error.errno == reference.value.errno == errno.EMSGSIZE
    assert [d for d, _ in read_all(netio_impl, receiver, 2)] == [b"one", b"two"]


def test_malformed_items_fail_alone_with_sendto_errors(
    netio_impl: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    receiver, sender = pair
    target = receiver.getsockname()
    bad_items: list[Any] = [
        (b"port", ("127.0.0.1", 70000)),
        ("not bytes", target),
        (b"host", (12, 34)),
        (b"short", ("127.0.0.1",)),
    ]
    items = [(b"first", target)]
    for bad in bad_items:
        items += [bad, (b"ok", target)]
    done, errors = netio_impl.send_batch(sender, items)
    assert done == len(items)
    assert [index for index, _ in errors] == [1, 3, 5, 7]
    for (_, error), bad in zip(errors, bad_items):
        with pytest.raises(Exception) as reference:
            sender.sendto(bad[0], bad[1])
        assert type(error) is type(reference.value) and str(error) == str(reference.value)
    assert [d for d, _ in read_all(netio_impl, receiver, 5)] == [b"first"] + [b"ok"] * 4


def test_default_address_connected_socket_and_iterables(
    netio_impl: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    receiver, sender = pair
    target = receiver.getsockname()
    done, errors = netio_impl.send_batch(sender, iter([(b"a", None), [b"b", None]]), target)
    assert (done, errors) == (2, [])
    # Unconnected and no address at all: the OS refuses (EDESTADDRREQ), per item.
    done, errors = netio_impl.send_batch(sender, [(b"lost", None)])
    assert done == 1 and len(errors) == 1 and isinstance(errors[0][1], OSError)
    sender.connect(target)
    assert netio_impl.send_batch(sender, [(b"c", None), (b"d", None)]) == (2, [])
    assert netio_impl.send_batch(sender, []) == (0, [])
    assert [d for d, _ in read_all(netio_impl, receiver, 4)] == [b"a", b"b", b"c", b"d"]


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no AF_UNIX datagram sockets")
def test_would_block_stops_the_batch_and_leaves_the_rest(netio_impl: ModuleType) -> None:
    # UDP over loopback never pushes back; a Unix datagram pair does when the reader lags.
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        left.setblocking(False)
        right.setblocking(False)
        items = [(b"%05d" % i, None) for i in range(5000)]
        done, errors = netio_impl.send_batch(left, items)
        assert errors == [] and 0 < done < len(items)
        # Nothing more fits until the reader drains.
        assert netio_impl.send_batch(left, items[done:]) == (0, [])
        received = []
        while True:
            try:
                received.append(right.recv(100))
            except BlockingIOError:
                break
        assert received == [data for data, _ in items[:done]]
        more, errors = netio_impl.send_batch(left, items[done:])
        assert errors == [] and more > 0
        assert right.recv(100) == items[done][0]
    finally:
        left.close()
        right.close()


def test_receive_error_is_returned_after_the_datagrams_before_it(netio_impl: ModuleType) -> None:
    # A connected UDP socket learns from ICMP that the peer's port is closed.
    closed = udp()
    port = closed.getsockname()[1]
    closed.close()
    sock = udp()
    try:
        sock.connect(("127.0.0.1", port))
        sock.send(b"nobody listens")
        time.sleep(0.05)
        with pytest.raises(OSError) as reference:
            sock.send(b"again")
            time.sleep(0.05)
            sock.recvfrom(100)
        sock.send(b"third")
        time.sleep(0.05)
        items, error = netio_impl.recv_batch(sock, 10)
        assert items == [] and type(error) is type(reference.value)
        assert error.errno == reference.value.errno
        assert netio_impl.recv_batch(sock, 10) == ([], None)
    finally:
        sock.close()


def test_closed_socket_reports_ebadf(netio_impl: ModuleType) -> None:
    sock = udp()
    sock.close()
    with pytest.raises(OSError) as reference:
        sock.recvfrom(10)
    items, error = netio_impl.recv_batch(sock, 10)
    assert items == [] and error.errno == reference.value.errno == errno.EBADF


def test_have_mmsg_says_which_calls_are_used(netio_impl: ModuleType) -> None:
    if netio_impl.__name__.endswith("_py"):
        assert netio_impl.HAVE_MMSG is False
    else:
        assert netio_impl.HAVE_MMSG is sys.platform.startswith("linux")
    assert netio_impl.SYSCALL_BATCH == 64


# --------------------------------------------------------------------- differential
_item = st.one_of(
    st.tuples(st.binary(max_size=300), st.just("target")),
    st.tuples(st.binary(max_size=2), st.just("none")),
    st.tuples(st.integers(65508, 70000).map(lambda n: b"z" * n), st.just("target")),
    st.tuples(st.binary(max_size=4), st.sampled_from(["badport", "badhost", "badtype", "short"])),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_item, max_size=140), st.integers(1, 200))
def test_twins_agree_on_random_batches(
    netio_twins: tuple[ModuleType, ModuleType], spec: list[tuple[bytes, str]], max_count: int
) -> None:
    outcomes = []
    for impl in netio_twins:
        receiver, sender = udp(), udp()
        try:
            target = receiver.getsockname()
            addresses = {
                "target": target,
                "none": None,
                "badport": ("127.0.0.1", -1),
                "badhost": (12, 9),  # no DNS: a name would be looked up
                "short": ("127.0.0.1",),
                "badtype": ["127.0.0.1", target[1]],
            }
            items = [(data, addresses[kind]) for data, kind in spec]
            done, errors = impl.send_batch(sender, items, target)
            failed = [(i, type(e).__name__, getattr(e, "errno", None)) for i, e in errors]
            wait_readable(receiver, 2, timeout=0.1)
            batches = []
            while True:
                got, error = impl.recv_batch(receiver, max_count)
                assert error is None
                if not got:
                    break
                batches.append([(data, address == sender.getsockname()) for data, address in got])
            outcomes.append((done, failed, batches))
        finally:
            receiver.close()
            sender.close()
    assert outcomes[0] == outcomes[1]
    done, failed, batches = outcomes[0]
    assert done == len(spec)
    sent = [i for i in range(len(spec)) if i not in {f[0] for f in failed}]
    assert [d for batch in batches for d, _ in batch] == [spec[i][0] for i in sent]
    assert all(ok for batch in batches for _, ok in batch)


# ------------------------------------------- items read once: a snapshot (issue 9.1)


def test_items_list_cleared_by_fileno_is_sent_as_it_was(
    netio_impl: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    """The compiled twin kept len(items) across sock.fileno() and read freed memory."""
    receiver, _ = pair
    target = receiver.getsockname()
    items = [(b"%02d" % i, target) for i in range(20)]
    expected = [data for data, _ in items]

    class ClearingSocket(socket.socket):
        def fileno(self) -> int:
            items.clear()
            return super().fileno()

    with ClearingSocket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.setblocking(False)
        assert netio_impl.send_batch(sender, items) == (20, [])
    assert [data for data, _ in read_all(netio_impl, receiver, 20)] == expected


def test_items_list_cleared_by_sendto_is_sent_as_it_was(
    netio_impl: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    """A malformed first item goes through sock.sendto(), which empties the list here."""
    receiver, _ = pair
    target = receiver.getsockname()
    items: list[Any] = [(b"bad", ("127.0.0.1", "port"))]
    items += [(b"%02d" % i, target) for i in range(20)]
    expected = [data for data, _ in items[1:]]

    class ClearingSocket(socket.socket):
        def sendto(self, *args: Any) -> int:
            items.clear()
            return super().sendto(*args)

    with ClearingSocket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.setblocking(False)
        done, errors = netio_impl.send_batch(sender, items)
    assert done == 21
    assert [(index, type(error)) for index, error in errors] == [(0, TypeError)]
    assert [data for data, _ in read_all(netio_impl, receiver, 20)] == expected


def test_items_without_fields_are_recorded_not_raised(
    netio_impl: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    """An empty item was read past its end by the compiled twin (and raised in the pure)."""
    receiver, sender = pair
    target = receiver.getsockname()
    bad_items: list[Any] = [[], (), 5]
    items: list[Any] = []
    for bad in bad_items:
        items += [bad, (b"ok", target)]
    done, errors = netio_impl.send_batch(sender, items)
    assert done == len(items)
    assert [index for index, _ in errors] == [0, 2, 4]
    for (_, error), bad in zip(errors, bad_items):
        with pytest.raises(Exception) as reference:
            bad[0]
        assert type(error) is type(reference.value) and str(error) == str(reference.value)
    assert [data for data, _ in read_all(netio_impl, receiver, 3)] == [b"ok"] * 3


def test_items_list_changed_by_another_thread_does_not_crash(
    netio_impl: ModuleType, pair: tuple[socket.socket, socket.socket]
) -> None:
    """Bounded stress: one thread resizes the list while the other sends it (at most 15 s)."""
    import threading

    receiver, sender = pair
    target = receiver.getsockname()
    items: list[Any] = [(b"x", target)] * 64
    stop = threading.Event()
    resizes = 0

    def resize() -> None:
        nonlocal resizes
        while not stop.is_set():
            items.clear()
            items.extend([(b"y", target)] * (resizes % 70))
            resizes += 1

    thread = threading.Thread(target=resize, daemon=True)
    interval = sys.getswitchinterval()
    # Each sendto releases the GIL; at the default 5 ms interval the resizing thread would
    # then hold it 5 ms per datagram. Switch often: more interleavings, fewer stalls.
    sys.setswitchinterval(1e-5)
    thread.start()
    sends = 0
    try:
        # Until both threads have run often (a slow sanitizer build needs longer), bounded.
        busy_until = time.monotonic() + 1.0  # at least a second of interleavings
        deadline = busy_until + 14.0
        while time.monotonic() < deadline and (
            time.monotonic() < busy_until or sends < 20 or resizes < 20
        ):
            done, errors = netio_impl.send_batch(sender, items)
            assert errors == [] and 0 <= done <= 70
            sends += 1
            # Drain so that the receive buffer never fills (loopback drops then).
            with contextlib.suppress(BlockingIOError):
                while True:
                    receiver.recv(16)
    finally:
        stop.set()
        thread.join(5.0)
        sys.setswitchinterval(interval)
    assert sends >= 20 and resizes >= 20
