"""The codec twins as modules: one interface, chosen by literal imports (issue 12.5), and
the message-building shortcuts (issue 13): ``encode_message`` and the constructors.
"""

from __future__ import annotations

import copy
import inspect
import os
import pickle
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oscwire import _accel
from oscwire import oscbuildparse as obp
from oscwire.oscbuildparse import OSC_IMMEDIATELY, OSCBundle, OSCMessage

SETTINGS = settings(
    max_examples=int(os.environ.get("CODEC_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# ---------------------------------------------------------------- one interface (12.5)


def shape(function: Any) -> list[tuple[str, Any, Any]]:
    """Names, kinds and defaults of the parameters (Cython keeps no annotations)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def test_twins_expose_the_same_names_and_signatures(codec_twins: tuple[Any, Any]) -> None:
    compiled, pure = codec_twins
    assert (
        compiled.__all__
        == pure.__all__
        == [
            "bundle_new",
            "decode_packet",
            "encode_message",
            "encode_packet",
            "message_new",
        ]
    )
    for name in pure.__all__:
        assert shape(getattr(compiled, name)) == shape(getattr(pure, name)), name


def test_oscbuildparse_uses_the_selected_twin() -> None:
    selected = _accel.load("codec")
    for name in ("decode_packet", "encode_message", "encode_packet"):
        assert getattr(obp, name) is getattr(selected, name)
    assert OSCMessage.__new__ is selected.message_new
    assert OSCBundle.__new__ is selected.bundle_new


def run_python(code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_stale_compiled_twin_falls_back_to_the_pure_one(codec_twins: tuple[Any, Any]) -> None:
    """A compiled module that asks the neutral module for a name it no longer has must
    fail with ImportError, and oscbuildparse then use the pure twin (it raised an
    AttributeError when the compiled twin read the pure twin's private names)."""
    code = (
        "import importlib.machinery, sys\n"
        "class Stale:  # the neutral module without a name only the compiled twin imports\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name != 'oscwire._codec_common':\n"
        "            return None\n"
        "        spec = importlib.machinery.PathFinder.find_spec(name, path)\n"
        "        run = spec.loader.exec_module\n"
        "        def exec_module(module):\n"
        "            run(module)\n"
        "            del module.pack_i\n"
        "        spec.loader.exec_module = exec_module\n"
        "        return spec\n"
        "sys.meta_path.insert(0, Stale())\n"
        "from oscwire import oscbuildparse as obp\n"
        "try:\n"
        "    import oscwire._codec_c\n"
        "except ImportError as error:\n"
        "    print(type(error).__name__)\n"
        "raw = obp.encode_packet(obp.OSCMessage('/a', None, [1]))\n"
        "print(obp.encode_packet.__module__, obp.decode_packet(raw).arguments)\n"
    )
    assert run_python(code).splitlines() == ["ImportError", "oscwire._codec_py (1,)"]


def test_no_extensions_selects_the_pure_twin() -> None:
    code = (
        "from oscwire import oscbuildparse as obp\n"
        "print(obp.encode_packet.__module__, obp.OSCMessage.__new__.__module__)\n"
    )
    assert run_python(code, OSCWIRE_NO_EXTENSIONS="1") == "oscwire._codec_py oscwire._codec_py"


def test_the_compiled_twin_reads_no_name_of_the_pure_twin() -> None:
    with open(os.path.join(os.path.dirname(__file__), "..", "cext", "_codec_c.pyx")) as source:
        text = source.read()
    assert "_codec_py" not in text.replace("``oscwire._codec_py``", "")


# ---------------------------------------------------------------- encode_message (13)

u8 = st.integers(0, 255)
leaf = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(width=32, allow_nan=False),
    st.text(st.characters(codec="utf-8", exclude_characters="\0")),
    st.binary(max_size=20),
    st.booleans(),
    st.none(),
)
value = st.recursive(leaf, lambda inner: st.lists(inner, max_size=3), max_leaves=8)
odd_value = st.one_of(
    value,
    st.integers(),
    st.floats(),
    st.text(),
    st.just(object()),
    st.just("42"),
    st.just(2.7),
    st.lists(st.integers(-300, 300), min_size=3, max_size=5),
)
tags = st.one_of(st.none(), st.text(st.sampled_from(list("ifsSbhdcTFNI[]")), max_size=6))


def outcome(function: Any, *args: Any) -> Any:
    try:
        return ("ok", bytes(function(*args)))
    except Exception as error:  # compared between the two calls: type and message
        return ("error", type(error), str(error))


@SETTINGS
@given(st.lists(odd_value, max_size=5), tags, st.sampled_from([None, {"char_layout": "osc4py3"}]))
def test_encode_message_is_encode_packet_without_the_message(
    codec_impl: ModuleType, args: Any, typetags: Any, oob: Any
) -> None:
    direct = outcome(codec_impl.encode_message, "/x", args, typetags, oob)
    packet = outcome(codec_impl.encode_packet, OSCMessage("/x", typetags, args), oob)
    assert direct == packet


@pytest.mark.parametrize(
    ("address", "arguments", "typetags"),
    [
        (b"/a", [], None),
        ("a", [], None),
        ("/a\0", [], None),
        ("/a", 5, None),
        ("/a", [1], 5),
        ("/a", [1, 2], ",i"),
        ("/a", [2**70], None),
    ],
)
def test_encode_message_errors_are_encode_packets(
    codec_impl: ModuleType, address: Any, arguments: Any, typetags: Any
) -> None:
    direct = outcome(codec_impl.encode_message, address, arguments, typetags)
    packet = outcome(codec_impl.encode_packet, OSCMessage(address, typetags, arguments))
    assert direct[0] == "error" and direct == packet


def test_encode_message_returns_bytes(codec_impl: ModuleType) -> None:
    raw = codec_impl.encode_message("/test/addr", (1, 2.5, "hi"))
    assert type(raw) is bytes
    assert raw == b"/test/addr\0\0,ifs\0\0\0\0\0\0\0\x01@ \0\0hi\0\0"


def test_encode_message_with_wrapping_options(codec_impl: ModuleType) -> None:
    oob = {"advanced_packet_control": True, "packet_crypt_prot": "none"}
    raw = codec_impl.encode_message("/a", [1], None, oob)
    assert type(raw) is bytes
    assert raw == bytes(codec_impl.encode_packet(OSCMessage("/a", None, [1]), oob))
    assert codec_impl.decode_packet(raw, oob) == ("/a", ",i", (1,))


def test_encode_message_keywords(codec_impl: ModuleType) -> None:
    raw = codec_impl.encode_message(
        addrpattern="/a", arguments=[1.5], typetags=",d", oob={"blob_bytes": True}
    )
    assert raw == b"/a\0\0,d\0\0" + bytes.fromhex("3ff8000000000000")


# ---------------------------------------------------------------- constructors (13)


def test_constructors_build_the_same_tuples(codec_twins: tuple[Any, Any]) -> None:
    compiled, pure = codec_twins
    for module in (compiled, pure):
        message = module.message_new(OSCMessage, "/a", ",i", [1])
        bundle = module.bundle_new(OSCBundle, OSC_IMMEDIATELY, [message])
        assert message.addrpattern == "/a" and bundle.elements == [message]
        assert type(message) is OSCMessage and message == ("/a", ",i", [1])
        assert type(bundle) is OSCBundle and bundle == (OSC_IMMEDIATELY, [message])


def test_messages_are_still_named_tuples() -> None:
    message = OSCMessage("/a", None, [1])
    assert message == ("/a", None, [1]) and isinstance(message, tuple)
    assert OSCMessage(addrpattern="/a", typetags=None, arguments=[1]) == message
    assert OSCMessage("/a", arguments=[1], typetags=None) == message
    assert message._replace(typetags=",i") == ("/a", ",i", [1])
    assert type(message._replace(typetags=",i")) is OSCMessage
    assert OSCMessage._make(["/b", None, ()]) == ("/b", None, ())
    for clone in (pickle.loads(pickle.dumps(message)), copy.copy(message), copy.deepcopy(message)):
        assert clone == message and type(clone) is OSCMessage
    bundle = OSCBundle(OSC_IMMEDIATELY, [message])
    assert pickle.loads(pickle.dumps(bundle)) == bundle
    assert OSCBundle(timetag=None, elements=()) == (None, ())
    with pytest.raises(TypeError):
        OSCMessage("/a", None)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        OSCBundle(None)  # type: ignore[call-arg]


def test_subclasses_of_messages_still_work() -> None:
    class Tagged(OSCMessage):
        pass

    message = Tagged("/a", None, [1])
    assert type(message) is Tagged and message == ("/a", None, [1])
    assert obp.decode_packet(obp.encode_packet(message)) == ("/a", ",i", (1,))


@pytest.mark.parametrize("cls", [int, tuple, object, 5, OSCBundle])
def test_the_compiled_constructor_refuses_other_classes(
    codec_twins: tuple[Any, Any], cls: Any
) -> None:
    compiled, _ = codec_twins
    with pytest.raises(TypeError, match="not a subtype of OSCMessage"):
        compiled.message_new(cls, "/a", None, [])
    with pytest.raises(TypeError, match="not a subtype of OSCBundle"):
        compiled.bundle_new(OSCMessage if cls is OSCBundle else cls, None, [])
