# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Batched datagram I/O, compiled twin of ``oscwire._netio_py``.

Same functions, classes, results and exceptions as the pure twin, which is the
specification. On Linux, IPv4 and IPv6 sockets are served by ``recvmmsg`` / ``sendmmsg``
(up to 64 datagrams per system call, without the GIL); source addresses are turned into
the very tuples ``socket.recvfrom`` returns, with a small cache of recent sources, and
destination tuples into socket addresses once per distinct object. Elsewhere (macOS,
Windows), for other address families, and when the kernel refuses those calls (ENOSYS),
the functions loop over ``recvfrom`` / ``sendto`` exactly as the pure twin does.
"""

cimport cython
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.exc cimport PyErr_CheckSignals
from cpython.unicode cimport PyUnicode_AsUTF8AndSize
from libc.errno cimport errno

import os
import socket

__all__ = [
    "HAVE_MMSG",
    "SYSCALL_BATCH",
    "RecvBuffers",
    "recv_batch",
    "send_batch",
]

cdef extern from *:
    """
    #include <errno.h>
    #include <stdlib.h>
    #include <string.h>

    #define OSCW_SLOTS 64
    #define OSCW_CACHE 8

    /* OSCWIRE_NO_MMSG builds the portable fallback on Linux too (to test it). */
    #if defined(__linux__) && !defined(OSCWIRE_NO_MMSG)
    #include <sys/types.h>
    #include <sys/socket.h>
    #include <netinet/in.h>
    #include <arpa/inet.h>
    #define OSCW_HAVE_MMSG 1

    typedef union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } oscw_name;

    typedef struct {
        socklen_t len;
        oscw_name name;
        PyObject *value;  /* the address tuple, owned */
    } oscw_cached;

    typedef struct {
        Py_ssize_t bufsize;
        int slots;
        char *arena;  /* slots * bufsize bytes: untouched pages cost no memory */
        struct mmsghdr msgs[OSCW_SLOTS];
        struct iovec iov[OSCW_SLOTS];
        oscw_name names[OSCW_SLOTS];
        oscw_cached cache[OSCW_CACHE];
        int cache_used, cache_next, cache_last;
    } oscw_rx;

    typedef struct {
        struct mmsghdr msgs[OSCW_SLOTS];
        struct iovec iov[OSCW_SLOTS];
        oscw_name names[OSCW_SLOTS];
        oscw_name last;
        socklen_t last_len;
    } oscw_tx;

    static oscw_rx *oscw_rx_new(int slots, Py_ssize_t bufsize) {
        oscw_rx *rx;
        if (slots < 1 || slots > OSCW_SLOTS || bufsize < 1 || bufsize > PY_SSIZE_T_MAX / slots)
            return NULL;
        rx = (oscw_rx *)calloc(1, sizeof(oscw_rx));
        if (rx == NULL)
            return NULL;
        rx->arena = (char *)malloc((size_t)bufsize * (size_t)slots);
        if (rx->arena == NULL) {
            free(rx);
            return NULL;
        }
        rx->bufsize = bufsize;
        rx->slots = slots;
        return rx;
    }

    static void oscw_rx_free(oscw_rx *rx) {
        int i;
        if (rx == NULL)
            return;
        for (i = 0; i < rx->cache_used; i++)
            Py_XDECREF(rx->cache[i].value);
        free(rx->arena);
        free(rx);
    }

    static int oscw_rx_slots(oscw_rx *rx) { return rx->slots; }

    /* Read up to count datagrams without waiting; -1 and errno on failure. No GIL. */
    static int oscw_rx_recv(oscw_rx *rx, int fd, int count) {
        int i;
        if (count > rx->slots)
            count = rx->slots;
        for (i = 0; i < count; i++) {
            rx->iov[i].iov_base = rx->arena + (size_t)i * (size_t)rx->bufsize;
            rx->iov[i].iov_len = (size_t)rx->bufsize;
            memset(&rx->msgs[i].msg_hdr, 0, sizeof(struct msghdr));
            rx->msgs[i].msg_hdr.msg_iov = &rx->iov[i];
            rx->msgs[i].msg_hdr.msg_iovlen = 1;
            rx->msgs[i].msg_hdr.msg_name = &rx->names[i];
            rx->msgs[i].msg_hdr.msg_namelen = sizeof(oscw_name);
            rx->msgs[i].msg_len = 0;
        }
        return recvmmsg(fd, rx->msgs, (unsigned int)count, MSG_DONTWAIT, NULL);
    }

    static PyObject *oscw_rx_data(oscw_rx *rx, int i) {
        return PyBytes_FromStringAndSize(rx->arena + (size_t)i * (size_t)rx->bufsize,
                                         (Py_ssize_t)rx->msgs[i].msg_len);
    }

    /* The tuple socket.recvfrom gives for this source (CPython builds it with inet_ntop). */
    static PyObject *oscw_make_address(const oscw_name *name, socklen_t len) {
        char text[INET6_ADDRSTRLEN];
        PyObject *host;
        if (len == 0)
            Py_RETURN_NONE;
        if (name->sa.sa_family == AF_INET) {
            if (inet_ntop(AF_INET, &name->in4.sin_addr, text, sizeof(text)) == NULL)
                return PyErr_SetFromErrno(PyExc_OSError);
            host = PyUnicode_FromString(text);
            if (host == NULL)
                return NULL;
            return Py_BuildValue("Ni", host, (int)ntohs(name->in4.sin_port));
        }
        if (name->sa.sa_family == AF_INET6) {
            if (inet_ntop(AF_INET6, &name->in6.sin6_addr, text, sizeof(text)) == NULL)
                return PyErr_SetFromErrno(PyExc_OSError);
            host = PyUnicode_FromString(text);
            if (host == NULL)
                return NULL;
            return Py_BuildValue("NiII", host, (int)ntohs(name->in6.sin6_port),
                                 (unsigned int)ntohl(name->in6.sin6_flowinfo),
                                 (unsigned int)name->in6.sin6_scope_id);
        }
        PyErr_SetString(PyExc_ValueError, "unexpected address family in a received datagram");
        return NULL;
    }

    static PyObject *oscw_rx_address(oscw_rx *rx, int i) {
        socklen_t len = rx->msgs[i].msg_hdr.msg_namelen;
        const oscw_name *name = &rx->names[i];
        oscw_cached *entry;
        PyObject *value;
        int k;
        if (len > sizeof(oscw_name))
            len = sizeof(oscw_name);
        /* Most datagrams of a batch come from the source of the previous one. */
        k = rx->cache_last;
        if (k < rx->cache_used && rx->cache[k].len == len
                && memcmp(&rx->cache[k].name, name, len) == 0) {
            Py_INCREF(rx->cache[k].value);
            return rx->cache[k].value;
        }
        for (k = 0; k < rx->cache_used; k++) {
            if (rx->cache[k].len == len && memcmp(&rx->cache[k].name, name, len) == 0) {
                rx->cache_last = k;
                Py_INCREF(rx->cache[k].value);
                return rx->cache[k].value;
            }
        }
        value = oscw_make_address(name, len);
        if (value == NULL)
            return NULL;
        if (rx->cache_used < OSCW_CACHE) {
            k = rx->cache_used++;
        } else {
            k = rx->cache_next;
            rx->cache_next = (k + 1) % OSCW_CACHE;
            Py_CLEAR(rx->cache[k].value);
        }
        entry = &rx->cache[k];
        entry->len = len;
        memcpy(&entry->name, name, len);
        Py_INCREF(value);
        entry->value = value;
        rx->cache_last = k;
        return value;
    }

    static oscw_tx *oscw_tx_new(void) { return (oscw_tx *)calloc(1, sizeof(oscw_tx)); }
    static void oscw_tx_free(oscw_tx *tx) { free(tx); }

    /* Numeric destination -> tx->last; 0 when done, -1 when the host is not numeric. */
    static int oscw_tx_parse(oscw_tx *tx, int family, const char *host, long port,
                             unsigned long flowinfo, unsigned long scope) {
        memset(&tx->last, 0, sizeof(oscw_name));
        if (family == AF_INET) {
            if (inet_pton(AF_INET, host, &tx->last.in4.sin_addr) != 1)
                return -1;
            tx->last.in4.sin_family = AF_INET;
            tx->last.in4.sin_port = htons((unsigned short)port);
            tx->last_len = sizeof(struct sockaddr_in);
            return 0;
        }
        if (family == AF_INET6) {
            if (inet_pton(AF_INET6, host, &tx->last.in6.sin6_addr) != 1)
                return -1;
            tx->last.in6.sin6_family = AF_INET6;
            tx->last.in6.sin6_port = htons((unsigned short)port);
            tx->last.in6.sin6_flowinfo = htonl((uint32_t)flowinfo);
            tx->last.in6.sin6_scope_id = (uint32_t)scope;
            tx->last_len = sizeof(struct sockaddr_in6);
            return 0;
        }
        return -1;
    }

    static void oscw_tx_set(oscw_tx *tx, int k, const void *buf, Py_ssize_t len, int named) {
        tx->iov[k].iov_base = (void *)buf;
        tx->iov[k].iov_len = (size_t)len;
        memset(&tx->msgs[k].msg_hdr, 0, sizeof(struct msghdr));
        tx->msgs[k].msg_hdr.msg_iov = &tx->iov[k];
        tx->msgs[k].msg_hdr.msg_iovlen = 1;
        if (named) {
            memcpy(&tx->names[k], &tx->last, tx->last_len);
            tx->msgs[k].msg_hdr.msg_name = &tx->names[k];
            tx->msgs[k].msg_hdr.msg_namelen = tx->last_len;
        }
    }

    /* Send count prepared datagrams without waiting; -1 and errno on failure. No GIL. */
    static int oscw_tx_send(oscw_tx *tx, int fd, int count) {
        return sendmmsg(fd, tx->msgs, (unsigned int)count, MSG_DONTWAIT);
    }

    #else  /* no recvmmsg/sendmmsg: the functions loop over recvfrom/sendto */
    #define OSCW_HAVE_MMSG 0
    typedef struct { int unused; } oscw_rx;
    typedef struct { int unused; } oscw_tx;
    static oscw_rx *oscw_rx_new(int slots, Py_ssize_t bufsize) {
        (void)slots; (void)bufsize; return NULL;
    }
    static void oscw_rx_free(oscw_rx *rx) { (void)rx; }
    static int oscw_rx_slots(oscw_rx *rx) { (void)rx; return 0; }
    static int oscw_rx_recv(oscw_rx *rx, int fd, int count) {
        (void)rx; (void)fd; (void)count; errno = ENOSYS; return -1;
    }
    static PyObject *oscw_rx_data(oscw_rx *rx, int i) {
        (void)rx; (void)i; PyErr_SetString(PyExc_SystemError, "no recvmmsg"); return NULL;
    }
    static PyObject *oscw_rx_address(oscw_rx *rx, int i) {
        (void)rx; (void)i; PyErr_SetString(PyExc_SystemError, "no recvmmsg"); return NULL;
    }
    static oscw_tx *oscw_tx_new(void) { return NULL; }
    static void oscw_tx_free(oscw_tx *tx) { (void)tx; }
    static int oscw_tx_parse(oscw_tx *tx, int family, const char *host, long port,
                             unsigned long flowinfo, unsigned long scope) {
        (void)tx; (void)family; (void)host; (void)port; (void)flowinfo; (void)scope;
        return -1;
    }
    static void oscw_tx_set(oscw_tx *tx, int k, const void *buf, Py_ssize_t len, int named) {
        (void)tx; (void)k; (void)buf; (void)len; (void)named;
    }
    static int oscw_tx_send(oscw_tx *tx, int fd, int count) {
        (void)tx; (void)fd; (void)count; errno = ENOSYS; return -1;
    }
    #endif

    static int oscw_would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK; }
    static int oscw_unsupported(int e) { return e == ENOSYS || e == EOPNOTSUPP; }
    """
    int OSCW_HAVE_MMSG
    int OSCW_SLOTS
    int EINTR
    int EBADF
    ctypedef struct oscw_rx:
        pass
    ctypedef struct oscw_tx:
        pass
    oscw_rx *oscw_rx_new(int slots, Py_ssize_t bufsize)
    void oscw_rx_free(oscw_rx *rx)
    int oscw_rx_slots(oscw_rx *rx)
    int oscw_rx_recv(oscw_rx *rx, int fd, int count) nogil
    object oscw_rx_data(oscw_rx *rx, int i)
    object oscw_rx_address(oscw_rx *rx, int i)
    oscw_tx *oscw_tx_new()
    void oscw_tx_free(oscw_tx *tx)
    int oscw_tx_parse(oscw_tx *tx, int family, const char *host, long port,
                      unsigned long flowinfo, unsigned long scope)
    void oscw_tx_set(oscw_tx *tx, int k, const void *buf, Py_ssize_t length, int named)
    int oscw_tx_send(oscw_tx *tx, int fd, int count) nogil
    int oscw_would_block(int e)
    int oscw_unsupported(int e)


#: True when this twin uses ``recvmmsg``/``sendmmsg`` (Linux builds).
HAVE_MMSG = bool(OSCW_HAVE_MMSG)
#: Datagrams moved per system call at most (and slots of RecvBuffers).
SYSCALL_BATCH = 64

cdef int _AF_INET = socket.AF_INET
cdef int _AF_INET6 = getattr(socket, "AF_INET6", -1)
cdef int _AF_UNIX = getattr(socket, "AF_UNIX", -1)
cdef str _NOT_NONBLOCKING = "batched datagram I/O needs a non-blocking socket (setblocking(False))"


cdef object _os_error(int code):
    # What socket methods raise: OSError(errno, strerror) picks the subclass by errno.
    return OSError(code, os.strerror(code))


cdef class RecvBuffers:
    """Receive buffers kept between :func:`recv_batch` calls (one per reading thread).

    *bufsize* is the largest datagram read whole; *slots* how many datagrams one system
    call may read. This twin reserves ``slots * bufsize`` bytes of address space (pages are
    only used as datagrams fill them) and remembers the tuples of recent source addresses.
    """

    cdef oscw_rx *_rx
    cdef readonly Py_ssize_t bufsize
    cdef readonly int slots

    def __cinit__(self, Py_ssize_t bufsize=65536, int slots=SYSCALL_BATCH):
        if bufsize < 1:
            raise ValueError(f"bufsize must be positive, not {bufsize}")
        if not 1 <= slots <= SYSCALL_BATCH:
            raise ValueError(f"slots must be within 1..{SYSCALL_BATCH}, not {slots}")
        self.bufsize = bufsize
        self.slots = slots
        self._rx = NULL

    cdef oscw_rx *_arena(self) except NULL:
        # Allocated on first use: a pure fallback never pays for it.
        if self._rx == NULL:
            self._rx = oscw_rx_new(self.slots, self.bufsize)
            if self._rx == NULL:
                raise MemoryError("cannot allocate datagram receive buffers")
        return self._rx

    def __dealloc__(self):
        oscw_rx_free(self._rx)
        self._rx = NULL


cdef inline void _check(sock) except *:
    if sock.gettimeout() != 0.0:
        raise ValueError(_NOT_NONBLOCKING)


cdef tuple _recv_loop(sock, Py_ssize_t max_count, Py_ssize_t bufsize, list items):
    # The pure twin's loop: other platforms, other families, no recvmmsg.
    recvfrom = sock.recvfrom
    cdef Py_ssize_t _attempt
    for _attempt in range(max_count):
        try:
            items.append(recvfrom(bufsize))
        except BlockingIOError:
            break
        except OSError as error:
            return items, error
    return items, None


def recv_batch(sock, Py_ssize_t max_count, Py_ssize_t bufsize=65536, RecvBuffers buffers=None):
    """Read up to *max_count* datagrams waiting on the non-blocking *sock*.

    Returns ``(items, error)``: *items* is a list of ``(data, address)`` exactly as
    ``sock.recvfrom(bufsize)`` returns them (a longer datagram is cut to *bufsize*, as
    ``recvfrom`` does); *error* is None, or the :class:`OSError` that stopped the batch
    (the items before it are kept). Stops early when nothing more is waiting. *buffers*,
    a :class:`RecvBuffers` of the same *bufsize*, avoids allocating buffers per call.
    Raises :class:`ValueError` for a blocking socket or bad sizes.
    """
    cdef list items = []
    cdef oscw_rx *rx
    cdef int fd, want, got, i, code
    cdef Py_ssize_t remaining
    if bufsize < 1:
        raise ValueError(f"bufsize must be positive, not {bufsize}")
    if buffers is not None and buffers.bufsize != bufsize:
        raise ValueError(f"buffers hold {buffers.bufsize}-byte datagrams, not {bufsize}")
    _check(sock)
    if max_count <= 0:
        return items, None
    family = sock.family
    if not OSCW_HAVE_MMSG or (family != _AF_INET and family != _AF_INET6):
        return _recv_loop(sock, max_count, bufsize, items)
    fd = sock.fileno()
    if fd < 0:
        return items, _os_error(EBADF)
    if buffers is None:
        buffers = RecvBuffers(bufsize, <int>min(max_count, SYSCALL_BATCH))
    rx = buffers._arena()
    remaining = max_count
    while remaining > 0:
        want = <int>min(remaining, oscw_rx_slots(rx))
        with nogil:
            got = oscw_rx_recv(rx, fd, want)
            code = errno
        if got < 0:
            if code == EINTR:
                PyErr_CheckSignals()
                continue
            if oscw_would_block(code):
                break
            if oscw_unsupported(code) and not items:
                return _recv_loop(sock, remaining, bufsize, items)
            return items, _os_error(code)
        for i in range(got):
            items.append((oscw_rx_data(rx, i), oscw_rx_address(rx, i)))
        remaining -= got
        if got < want:
            break  # the queue was empty a moment ago: spare a system call saying so
    return items, None


@cython.boundscheck(True)
@cython.wraparound(True)
cdef int _send_one(sock, object item, object address, Py_ssize_t index, list errors) except -1:
    # One item the pure way: 1 sent or failed (recorded), 0 would block. Indexing is
    # checked here: an item may be any object, an empty list among them.
    try:
        data = item[0]
        destination = item[-1]
        if destination is None:
            destination = address
        if destination is None:
            sock.send(data)
        else:
            sock.sendto(data, destination)
    except BlockingIOError:
        return 0
    except Exception as error:
        errors.append((index, error))
    return 1


cdef tuple _send_loop(sock, tuple batch, object address, Py_ssize_t done, list errors):
    cdef Py_ssize_t n = len(batch)
    while done < n:
        if not _send_one(sock, batch[done], address, done, errors):
            break
        done += 1
    return done, errors


cdef int _parse_destination(oscw_tx *tx, int family, object destination) except -2:
    # 0: tx->last holds it; -1: not a plain numeric address, let sendto deal with it.
    cdef Py_ssize_t n, size
    cdef long port
    cdef unsigned long flowinfo = 0, scope = 0
    cdef const char *host
    if type(destination) is not tuple:
        return -1
    n = len(destination)
    if family == _AF_INET:
        if n != 2:
            return -1
    elif n < 2 or n > 4:
        return -1
    text = destination[0]
    value = destination[1]
    if type(text) is not str or type(value) is not int:
        return -1
    if not 0 <= value <= 65535:
        return -1
    port = value
    if n > 2:
        value = destination[2]
        if type(value) is not int or not 0 <= value <= 0xFFFFF:
            return -1
        flowinfo = value
    if n > 3:
        value = destination[3]
        if type(value) is not int or not 0 <= value <= 0xFFFFFFFF:
            return -1
        scope = value
    host = PyUnicode_AsUTF8AndSize(text, &size)
    if size != len(text) or size > 64:
        return -1  # not ASCII, or too long for a numeric address
    return oscw_tx_parse(tx, family, host, port, flowinfo, scope)


def send_batch(sock, items, address=None):
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
    cdef list errors = []
    cdef Py_ssize_t n, done = 0, start
    cdef int fd, family, k, sent, code, i, parsed, slow
    cdef oscw_tx *tx
    cdef Py_buffer views[64]
    cdef object last = None
    cdef list keep
    cdef tuple batch
    _check(sock)
    # A snapshot: a list could shrink while the GIL is released or Python code runs
    # (sock.fileno() or sock.sendto() of a subclass, another thread), and indexing is
    # unchecked here. Both twins send the items as they were when the call started.
    batch = items if type(items) is tuple else tuple(items)
    n = len(batch)
    if n == 0:
        return 0, errors
    family = sock.family
    # AF_UNIX datagrams take the fast path too when connected (named items go slowly).
    if not OSCW_HAVE_MMSG or (
        family != _AF_INET and family != _AF_INET6 and family != _AF_UNIX
    ):
        return _send_loop(sock, batch, address, 0, errors)
    fd = sock.fileno()
    if fd < 0:
        return _send_loop(sock, batch, address, 0, errors)
    tx = oscw_tx_new()
    if tx == NULL:
        raise MemoryError("cannot allocate datagram send vectors")
    try:
        while done < n:
            # Prepare a run of items with plain data and numeric destinations.
            start = done
            k = 0
            slow = 0
            keep = []
            try:
                while k < OSCW_SLOTS and start + k < n:
                    item = batch[start + k]
                    if not isinstance(item, tuple) or len(<tuple>item) < 2:
                        slow = 1
                        break
                    destination = (<tuple>item)[len(<tuple>item) - 1]
                    if destination is None:
                        destination = address
                    if destination is not None and destination is not last:
                        parsed = _parse_destination(tx, family, destination)
                        if parsed < 0:
                            last = None
                            slow = 1
                            break
                        last = destination
                    data = (<tuple>item)[0]
                    if PyObject_GetBuffer(data, &views[k], PyBUF_SIMPLE) < 0:
                        slow = 1  # never reached: a failure raises (caught below)
                        break
                    keep.append(data)
                    oscw_tx_set(tx, k, views[k].buf, views[k].len, destination is not None)
                    k += 1
            except Exception:
                # A malformed item: sendto reports its exact error below.
                slow = 1
            if k:
                with nogil:
                    sent = oscw_tx_send(tx, fd, k)
                    code = errno
                for i in range(k):
                    PyBuffer_Release(&views[i])
                keep = None
                if sent > 0:
                    done += sent
                    continue  # a short count: the next call reports the failed item
                if code == EINTR:
                    PyErr_CheckSignals()
                    continue
                if oscw_would_block(code):
                    break
                if oscw_unsupported(code) and done == 0 and not errors:
                    return _send_loop(sock, batch, address, 0, errors)
                errors.append((done, _os_error(code)))
                done += 1
                continue
            if slow:
                # An item the fast path does not handle: send it the pure way.
                if not _send_one(sock, batch[done], address, done, errors):
                    break
                done += 1
    finally:
        oscw_tx_free(tx)
    return done, errors
