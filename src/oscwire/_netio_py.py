"""Batched datagram I/O, pure-Python twin (the specification of ``_netio_c``).

:func:`recv_batch` reads every datagram waiting on a non-blocking UDP socket, up to a
bound, and :func:`send_batch` writes a list of datagrams until the socket would block.
This twin loops over ``recvfrom`` / ``sendto``; the compiled twin does the same with one
``recvmmsg`` / ``sendmmsg`` system call per 64 datagrams on Linux (and loops like this one
elsewhere), with identical results: same datagrams, same address tuples as
``socket.recvfrom`` returns, same errors.

Errors. Reading stops at the first error and hands it back with the datagrams read before
it (the next call goes on reading), so a caller can count it and move on. Writing reports
each datagram that fails (EMSGSIZE, unreachable host, a malformed item...) with its index
and goes on with the next one; "would block" ends the batch and the rest stays for later.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Any, Optional

__all__ = [
    "HAVE_MMSG",
    "SYSCALL_BATCH",
    "RecvBuffers",
    "recv_batch",
    "send_batch",
]

#: True when this twin uses ``recvmmsg``/``sendmmsg`` (never in the pure twin).
HAVE_MMSG = False
#: Datagrams moved per system call at most by the compiled twin (and slots of RecvBuffers).
SYSCALL_BATCH = 64

_NOT_NONBLOCKING = "batched datagram I/O needs a non-blocking socket (setblocking(False))"


class RecvBuffers:
    """Receive buffers kept between :func:`recv_batch` calls (one per reading thread).

    *bufsize* is the largest datagram read whole; *slots* how many datagrams one system
    call may read. The compiled twin reserves ``slots * bufsize`` bytes of address space
    (pages are only used as datagrams fill them) and remembers the tuples of recent source
    addresses; this twin only records the sizes.
    """

    __slots__ = ("bufsize", "slots")

    def __init__(self, bufsize: int = 65536, slots: int = SYSCALL_BATCH) -> None:
        if bufsize < 1:
            raise ValueError(f"bufsize must be positive, not {bufsize}")
        if not 1 <= slots <= SYSCALL_BATCH:
            raise ValueError(f"slots must be within 1..{SYSCALL_BATCH}, not {slots}")
        self.bufsize = bufsize
        self.slots = slots


def _check(sock: socket.socket) -> None:
    if sock.gettimeout() != 0.0:
        raise ValueError(_NOT_NONBLOCKING)


def recv_batch(
    sock: socket.socket,
    max_count: int,
    bufsize: int = 65536,
    buffers: Optional[RecvBuffers] = None,
) -> tuple[list[tuple[bytes, Any]], Optional[OSError]]:
    """Read up to *max_count* datagrams waiting on the non-blocking *sock*.

    Returns ``(items, error)``: *items* is a list of ``(data, address)`` exactly as
    ``sock.recvfrom(bufsize)`` returns them (a longer datagram is cut to *bufsize*, as
    ``recvfrom`` does); *error* is None, or the :class:`OSError` that stopped the batch
    (the items before it are kept). Stops early when nothing more is waiting. *buffers*,
    a :class:`RecvBuffers` of the same *bufsize*, avoids allocating buffers per call.
    Raises :class:`ValueError` for a blocking socket or bad sizes.
    """
    if bufsize < 1:
        raise ValueError(f"bufsize must be positive, not {bufsize}")
    if buffers is not None and buffers.bufsize != bufsize:
        raise ValueError(f"buffers hold {buffers.bufsize}-byte datagrams, not {bufsize}")
    _check(sock)
    items: list[tuple[bytes, Any]] = []
    append = items.append
    recvfrom = sock.recvfrom
    for _ in range(max_count):
        try:
            append(recvfrom(bufsize))
        except BlockingIOError:
            break
        except OSError as error:
            return items, error
    return items, None


def send_batch(
    sock: socket.socket, items: Sequence[Sequence[Any]], address: Any = None
) -> tuple[int, list[tuple[int, Exception]]]:
    """Send the datagrams of *items* on the non-blocking *sock*, in order, until it would block.

    Each item is a sequence whose first field is the data (bytes-like) and whose last field
    the destination address (a ``socket`` address tuple), e.g. ``(data, address)``; a
    destination of None means *address*, and when that is None too, the connected peer.
    Returns ``(done, errors)``: ``items[:done]`` were handed to the OS or failed, the rest
    was not tried because the socket would block; *errors* lists ``(index, exception)`` for
    the items that failed (:class:`OSError` such as EMSGSIZE or an unreachable network, or
    the ``TypeError``/``ValueError``/``OverflowError`` ``sendto`` raises for a malformed
    item, or the ``IndexError``/``TypeError`` of an item without fields), each skipped.
    *items* is read once, as a snapshot: what happens to the list during the call (another
    thread, a socket subclass) changes nothing. Raises :class:`ValueError` for a blocking
    socket.
    """
    _check(sock)
    errors: list[tuple[int, Exception]] = []
    sendto = sock.sendto
    done = 0
    # A snapshot (as the compiled twin takes): the items as they were when the call started,
    # whatever sock.sendto() of a subclass or another thread does to the list meanwhile.
    for item in items if type(items) is tuple else tuple(items):
        try:
            data = item[0]
            destination = item[-1]
            if destination is None:
                destination = address
            if destination is None:
                sock.send(data)
            else:
                sendto(data, destination)
        except BlockingIOError:
            break
        except Exception as error:
            errors.append((done, error))
        done += 1
    return done, errors
