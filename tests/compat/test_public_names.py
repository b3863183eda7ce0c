"""Every public name of osc4py3 1.0.8 exists in oscwire (issue 10), checked against the
installed osc4py3 itself.

The names are computed from osc4py3's modules (``public_names.py``: what each module
defines and does not mark private), so a name oscwire loses fails its own case. For each:
``oscwire.<module>`` imports, ``hasattr``, ``getattr`` and ``from ... import`` work, the
kind (class, function, constant) is osc4py3's, and a constant has osc4py3's value unless
listed in :data:`OTHER_VALUES` with the reason. A name oscwire keeps only to refuse
(``__oscwire_unsupported__``) raises NotImplementedError when used, and its message names
osc4py3's name and oscwire objects that exist. The same holds for the public methods of
osc4py3's classes (the monitor classes' among them). The names that now have a meaning
are compared with osc4py3's behaviour where osc4py3 can run them.
"""

from __future__ import annotations
import __future__

import importlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from _runner import OSC4PY3_VERSION
from hypothesis import given
from hypothesis import strategies as st
from public_names import (
    class_methods,
    first_difference,
    kind_of,
    needs_instance,
    osc4py3_modules,
    public_names,
    unsupported_message,
)

osc4py3 = pytest.importorskip("osc4py3", reason="osc4py3 (test extra) is not installed")
if osc4py3.__version__ != OSC4PY3_VERSION:
    pytest.skip(
        f"written against osc4py3 {OSC4PY3_VERSION}, not {osc4py3.__version__}",
        allow_module_level=True,
    )

HERE = Path(__file__).resolve().parent


def _osc4py3(module: str) -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # osc4py3.osctcp imports the deprecated asyncore
        return importlib.import_module("osc4py3." + module)


def _oscwire(module: str) -> Any:
    return importlib.import_module("oscwire." + module)


try:
    _osc4py3("osctcp")
except ImportError:  # it imports asyncore, which Python 3.12 removed
    pytest.skip("osc4py3 1.0.8's osctcp does not import here", allow_module_level=True)

NAMES = [
    (module, name, value)
    for module in osc4py3_modules()
    for name, value in public_names(_osc4py3(module))
]
#: osc4py3's ``from __future__ import print_function`` leaves a name that is no API.
FUTURE = [(m, n) for m, n, v in NAMES if isinstance(v, __future__._Feature)]
CHECKED = [
    pytest.param(m, n, v, id=f"{m}.{n}")
    for m, n, v in NAMES
    if not isinstance(v, __future__._Feature)
]

#: Constants whose oscwire value differs from osc4py3's, on purpose.
OTHER_VALUES = {
    ("oscudpmc", "UDPREAD_BUFSIZE"): "every datagram is read whole (64 KiB)",
    ("osctcp", "TCPREAD_BUFSIZE"): "the default tcp_readbuffer, 256 KiB",
    ("oscchannel", "received_rawpackets"): "a view of the default system's raw packets",
    ("oscchannel", "oscdispatching"): "the module, where osc4py3 holds None until first use",
    ("oscbuildparse", "osctypes_refs"): "the one-value codec functions refuse to run",
    ("oscmethod", "optlistmatcher"): "an equivalent regex (test_optlist_helpers_as_osc4py3)",
}

#: An oscwire name in a message: ``oscwire.module.Name.attribute``.
REFERENCE = re.compile(r"\boscwire(?:\.\w+)+")


def resolve(dotted: str) -> Any:
    """The object a dotted oscwire name refers to (AttributeError/ImportError if none)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            value = getattr(value, attribute)
        return value
    raise ImportError(dotted)


def assert_says_what_to_use(message: str, osc4py3_name: str) -> None:
    assert f"osc4py3's {osc4py3_name} " in message, message
    references = REFERENCE.findall(message)
    assert references, f"names nothing of oscwire: {message}"
    for reference in references:
        resolve(reference)  # raises when the advice names something that does not exist


def assert_use_refused(value: Any, osc4py3_name: str) -> None:
    """Each way of using *value* raises NotImplementedError saying what to use."""
    uses = [lambda: value()]
    if kind_of(value) == "constant":  # module state: whatever a program does with it
        uses += [
            lambda: bool(value),
            lambda: len(value),
            lambda: iter(value),
            lambda: value.append,
            lambda: value[0],
            lambda: 0 in value,
        ]
    for use in uses:
        with pytest.raises(NotImplementedError) as raised:
            use()
        assert_says_what_to_use(str(raised.value), osc4py3_name)


def test_the_names_counted_in_issue_10() -> None:
    assert len(NAMES) == 286
    assert len({module for module, _, _ in NAMES}) == 16
    assert FUTURE == [("oscbuildparse", "print_function")]


@pytest.mark.parametrize(("module", "name", "theirs"), CHECKED)
def test_name_resolves(module: str, name: str, theirs: Any) -> None:
    ours_module = _oscwire(module)
    assert hasattr(ours_module, name)
    namespace: dict[str, Any] = {}
    exec(f"from oscwire.{module} import {name}", namespace)
    ours = namespace[name]
    message = unsupported_message(ours)
    if message is not None:
        assert_says_what_to_use(message, f"{module}.{name}")
        assert_use_refused(ours, f"{module}.{name}")
        return
    assert kind_of(ours) == kind_of(theirs)
    # Values are compared in a fresh interpreter (test_names_table_values_and_twins): module
    # state such as the DNS cache holds what earlier tests left in this one.


def _methods() -> list[Any]:
    cases = []
    for module, class_name, cls in NAMES:
        if not isinstance(cls, type):
            continue
        for method_name, _method in class_methods(cls):
            cases.append(
                pytest.param(
                    module, class_name, cls, method_name, id=f"{module}.{class_name}.{method_name}"
                )
            )
    return cases


@pytest.mark.parametrize(("module", "class_name", "cls", "method_name"), _methods())
def test_method_resolves(module: str, class_name: str, cls: type, method_name: str) -> None:
    ours_cls = getattr(_oscwire(module), class_name)
    if unsupported_message(ours_cls) is not None and needs_instance(cls, method_name):
        with pytest.raises(NotImplementedError):
            ours_cls()  # no instance to call it on
        return
    ours = getattr(ours_cls, method_name)
    assert callable(ours)
    message = unsupported_message(ours)
    if message is not None:
        # The message names the method on osc4py3's class or the base class defining it.
        defined_on = [
            f"{module}.{klass.__name__}.{method_name}"
            for klass in cls.__mro__
            if f"osc4py3's {module}.{klass.__name__}.{method_name} " in message
        ]
        assert defined_on, message
        assert_use_refused(ours, defined_on[0])


@pytest.mark.parametrize("module", osc4py3_modules())
def test_import_star_gives_what_osc4py3s_gives(module: str) -> None:
    """Where osc4py3 declares ``__all__``, oscwire's ``import *`` gives at least those
    names; the modules oscwire adds for osc4py3 give exactly osc4py3's."""
    theirs = _osc4py3(module)
    ours: dict[str, Any] = {}
    exec(f"from oscwire.{module} import *", ours)
    if hasattr(theirs, "__all__"):
        assert set(theirs.__all__) <= set(ours), set(theirs.__all__) - set(ours)
    if module in ("as__common", "oscpeeradapt"):
        expected = (
            set(theirs.__all__)
            if hasattr(theirs, "__all__")
            else {name for name, _value in public_names(theirs)}
        )
        assert set(_oscwire(module).__all__) == expected


def test_monitor_written_for_osc4py3_is_refused_at_once() -> None:
    """A monitor subclass overriding osc4py3's loop hooks would never be called: the class
    itself is refused, saying what oscwire's monitor calls instead."""
    from oscwire import oscscheduling

    with pytest.raises(NotImplementedError, match=r"Monitor\.step") as raised:

        class SelectLike(oscscheduling.SelectSocketMonitor):
            def wait_socket_event(self, timeout: Any) -> Any:
                return [], [], []

    assert "SelectLike.wait_socket_event is never called" in str(raised.value)

    class Logging(oscscheduling.SelectSocketMonitor):  # overriding oscwire's own API is fine
        def add_monitoring(self, fileno: int, channel: Any, readwriteevent: str) -> None:
            super().add_monitoring(fileno, channel, readwriteevent)

    monitor = Logging()
    try:
        with pytest.raises(NotImplementedError, match=r"Monitor\.step"):
            monitor.wait_events(0)
        assert monitor.control_operations() is None  # changes apply at once: nothing queued
    finally:
        monitor.terminate()


def test_global_monitor_variables_follow_the_monitor() -> None:
    """osc4py3's sockmon_*/pollmon_* variables: None until the global monitor exists, then
    the monitor and its running thread, None again once it is terminated."""
    from oscwire import oscscheduling as sched

    for get, terminate, prefix in (
        (sched.get_global_socket_monitor, sched.terminate_global_socket_monitor, "sockmon"),
        (sched.get_global_polling_monitor, sched.terminate_global_polling_monitor, "pollmon"),
    ):
        terminate()  # whatever an earlier test left
        assert getattr(sched, f"{prefix}_monitor") is None
        with getattr(sched, f"{prefix}_lock"):
            pass  # a lock, as osc4py3's
        monitor = get()
        try:
            assert getattr(sched, f"{prefix}_monitor") is monitor
            thread = getattr(sched, f"{prefix}_thread")
            assert isinstance(thread, threading.Thread) and thread.is_alive()
        finally:
            terminate()
        assert getattr(sched, f"{prefix}_monitor") is None
        assert getattr(sched, f"{prefix}_thread") is None
        thread.join(2.0)
        assert not thread.is_alive()


def test_monitoring_function_runs_the_loop_until_stopped() -> None:
    from oscwire import oscscheduling

    monitor = oscscheduling.SelectSocketMonitor()
    thread = threading.Thread(
        target=oscscheduling.Monitor.monitoring_function, args=(monitor, 0.05), daemon=True
    )
    thread.start()
    time.sleep(0.1)
    assert thread.is_alive()
    monitor.terminate()
    thread.join(2.0)
    assert not thread.is_alive()


PATTERN_TEXT = st.text(alphabet="{},|ab/*", max_size=24)


@given(PATTERN_TEXT)
def test_optlist_helpers_as_osc4py3(pattern: str) -> None:
    theirs, ours = _osc4py3("oscmethod"), _oscwire("oscmethod")
    expected = theirs.optlistmatcher.sub(theirs.optlistsubstituer, pattern)
    assert ours.optlistmatcher.sub(ours.optlistsubstituer, pattern) == expected
    assert [m.group(1) for m in ours.optlistmatcher.finditer(pattern)] == [
        m.group(1) for m in theirs.optlistmatcher.finditer(pattern)
    ]


def test_type_tables_as_osc4py3() -> None:
    theirs, ours = _osc4py3("oscbuildparse"), _oscwire("oscbuildparse")
    assert ours.NODEFAULT == theirs.NODEFAULT and ours.padding == theirs.padding
    assert ours.i == theirs.i
    assert list(ours.osctypes_refs) == list(theirs.osctypes_refs)
    for code, their_ref in theirs.osctypes_refs.items():
        our_ref = ours.osctypes_refs[code]
        assert our_ref._fields == their_ref._fields
        for field in ("typetag", "typename", "byteslen", "defvalue"):
            assert getattr(our_ref, field) == getattr(their_ref, field), (chr(code), field)
        assert first_difference(their_ref.pytype, our_ref.pytype) is None
        for field in ("decode", "encode"):
            their_codec, our_codec = getattr(their_ref, field), getattr(our_ref, field)
            if callable(their_codec):  # osc4py3's one-value codec functions: refused
                assert_use_refused(our_codec, f"oscbuildparse.{their_codec.__name__}")
            else:  # a struct format, or None
                assert our_codec == their_codec
    # The auto-typing table is oscwire's auto-typing, for each of its types.
    for pytype, code in ours.osctypes_encoderefs.items():
        value = {int: 7, float: 0.5, str: "s", bytes: b"b", bytearray: bytearray(b"b")}.get(pytype)
        if value is None:
            continue
        packet = ours.decode_packet(ours.encode_packet(ours.OSCMessage("/t", None, [value])))
        assert packet.typetags == "," + chr(code)


def test_dns_cache_dict_as_osc4py3() -> None:
    """Reading and filling ``dns_cache`` directly, as osc4py3 programs can, does what it
    does with osc4py3."""
    results = []
    for library in (_osc4py3("oscnettools"), _oscwire("oscnettools")):
        library.cache_dns_identification("192.0.2.7", "seven")
        library.dns_cache["192.0.2.8"] = "eight"
        library.cache_dns_identification("192.0.2.8", "ignored")  # no override
        results.append(
            (
                library.dns_cache["192.0.2.7"],
                "192.0.2.8" in library.dns_cache,
                library.dns_cache.get("192.0.2.9"),
                library.resolve_dns_identification("192.0.2.8"),
            )
        )
        del library.dns_cache["192.0.2.7"], library.dns_cache["192.0.2.8"]
        assert library.resolve_dns_identification("192.0.2.7") is None
    assert results[0] == results[1] == ("seven", True, None, "eight")


def test_flat_names_and_job_finished_keywords_as_osc4py3() -> None:
    for distributing, pools in (
        (_osc4py3("oscdistributing"), _osc4py3("osctoolspools")),
        (_oscwire("oscdistributing"), _oscwire("osctoolspools")),
    ):
        out = {"x"}
        assert distributing.flat_names("a", out) is out and out == {"a", "x"}
        job = pools.WorkJob(print, ())
        job.job_finished(res=42)
        assert job.result == 42 and job.finished


def test_oscchannel_names_oscdispatching() -> None:
    assert _oscwire("oscchannel").oscdispatching is _oscwire("oscdispatching")


def test_as_common_are_the_shared_facade_functions() -> None:
    from oscwire import as__common, as_allthreads, as_comthreads, as_eventloop

    for name in as__common.__all__:
        if name in ("osc_startup", "osc_process"):
            continue
        shared = getattr(as__common, name)
        for facade in (as_eventloop, as_comthreads, as_allthreads):
            assert getattr(facade, name) is shared, (facade.__name__, name)
    with pytest.raises(NotImplementedError, match=r"oscwire\.as_eventloop\.osc_startup"):
        as__common.osc_startup()
    namespace = {name: (lambda: None) for name in as__common.__all__}
    as__common.apply_docs(namespace)
    for name in as__common.__all__:
        assert namespace[name].__doc__ == getattr(as__common, name).__doc__
        assert namespace[name].__doc__


def test_as_common_osc_process_serves_the_running_policy() -> None:
    """as__common.osc_process() does what the running façade's osc_process() does: in the
    event loop policy, read and dispatch."""
    from oscwire import as__common, as_eventloop

    received: list[int] = []
    as_eventloop.osc_startup()
    try:
        server = as_eventloop.osc_udp_server("127.0.0.1", 0, "names_srv")
        as_eventloop.osc_method("/n", received.append)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
            peer.sendto(b"/n\0\0,i\0\0\0\0\0\x05", ("127.0.0.1", server.bound_port))
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            as__common.osc_process(0.01)
        assert received == [5]
    finally:
        as_eventloop.osc_terminate()


def test_udp_setup_udpsockspec_is_a_hook() -> None:
    """osc4py3's UdpMcChannel picks its address in setup_udpsockspec(); a subclass that
    overrides it is called with the resolved addresses, and its choice is used."""
    from oscwire import as_eventloop, oscudpmc

    seen: list[Any] = []

    class Recording(oscudpmc.UdpMcChannel):
        def setup_udpsockspec(self, sockspeclist: list[Any]) -> None:
            seen.append(list(sockspeclist))
            super().setup_udpsockspec(sockspeclist)

    as_eventloop.osc_startup()
    try:
        channel = Recording("names_cli", "w", {"udpwrite_host": "127.0.0.1", "udpwrite_port": 9})
        assert len(seen) == 1 and seen[0][0].sockaddr == ("127.0.0.1", 9)
        assert channel.udpsockspec == seen[0][0]
    finally:
        as_eventloop.osc_terminate()


def test_udp_process_raw_written_resumes_the_queue() -> None:
    """process_raw_written() is what a write event does: a packet left queued because the
    socket would block leaves when it is called."""
    from oscwire import as_eventloop, oscudpmc
    from oscwire.oscbuildparse import OSCMessage, encode_packet

    class BlocksOnce(oscudpmc.UdpMcChannel):
        blocked = True

        def write_packet(self, rawoscdata: Any, packopt: Any, destination: Any) -> bool:
            if self.blocked:
                self.blocked = False
                return False  # what a full socket buffer says
            return super().write_packet(rawoscdata, packopt, destination)

    raw = encode_packet(OSCMessage("/w", None, [1]))
    as_eventloop.osc_startup()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
            peer.bind(("127.0.0.1", 0))
            options = {
                "udpwrite_host": "127.0.0.1",
                "udpwrite_port": peer.getsockname()[1],
                "udpwrite_nonblocking": False,  # the one-packet write path, with the hook
            }
            channel = BlocksOnce("names_blocked", "w", options)
            channel.transmit_data(raw)
            assert len(channel.write_pending) == 1
            channel.process_raw_written(None)
            peer.settimeout(5)
            assert peer.recv(100) == raw
            assert not channel.write_pending
    finally:
        as_eventloop.osc_terminate()


_TABLE_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
import public_names
rows = [(row.module, row.name, row.status.name) for row in public_names.name_rows()]
print(json.dumps({"rows": rows, "markdown": public_names.markdown()}))
"""


def _table(twin_env: dict[str, str]) -> dict[str, Any]:
    """The names table computed in a fresh interpreter: module state (the DNS cache, the
    channels) holds what a program starting would see."""
    result = subprocess.run(
        [sys.executable, "-c", _TABLE_SCRIPT, str(HERE)],
        env={**os.environ, **twin_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_names_table_values_and_twins() -> None:
    """In a fresh interpreter, the constants whose value is not osc4py3's are the ones
    :data:`OTHER_VALUES` lists, none is missing, and the table (docs/compat-report.md)
    is the same whichever twin is in use."""
    compiled = _table({"OSCWIRE_NO_EXTENSIONS": ""})
    pure = _table({"OSCWIRE_NO_EXTENSIONS": "1"})
    assert pure == compiled
    other_values = {(m, n) for m, n, status in compiled["rows"] if status == "VALUE"}
    assert other_values == set(OTHER_VALUES)
    assert not [row for row in compiled["rows"] if row[2] in ("MISSING", "NO_MODULE", "KIND")]


def test_wait_select_deadline_works_where_osc4py3s_raises() -> None:
    """osc4py3's wait_select_timeout() takes a stray ``self`` first, so its own
    wait_select_deadline() raises TypeError; oscwire's pair takes (fileno, ...) and works."""
    theirs, ours = _osc4py3("oscscheduling"), _oscwire("oscscheduling")
    left, right = socket.socketpair()
    try:
        with pytest.raises(TypeError, match="waitevents"):
            theirs.wait_select_deadline(left.fileno(), 0, "w")
        assert ours.wait_select_deadline(left.fileno(), 0, "w") == "w"
        assert ours.wait_select_timeout(left.fileno(), 0, "r") == ""
        right.send(b"x")
        assert ours.wait_select_deadline(left.fileno(), time.time() + 1, "rw") == "rw"
    finally:
        left.close()
        right.close()
