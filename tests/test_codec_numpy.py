"""numpy values in the codec, on both twins (issue 11.4). Skipped without numpy.

The codec never imports numpy: it recognises numpy arrays and scalars by their
``tolist()``/``ndim`` (duck typing), and encodes what ``tolist()`` gives: a scalar as the
Python number or bool it holds, an array as an OSC array of its items (nested arrays for
N-D arrays). Expected bytes come from ``struct`` and the OSC layout, never from the code
under test.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest

from oscwire.oscbuildparse import OSCInvalidDataError, OSCMessage

np = pytest.importorskip("numpy")


def osc_string(text: str) -> bytes:
    data = text.encode() + b"\0"
    return data + b"\0" * (-len(data) % 4)


def message(tags: str, args: bytes) -> bytes:
    return osc_string("/n") + osc_string(tags) + args


def encode(codec_impl: Any, args: list[Any], tags: Any = None) -> bytes:
    return bytes(codec_impl.encode_packet(OSCMessage("/n", tags, args)))


@pytest.mark.parametrize(("value", "tags"), [(np.True_, ",T"), (np.False_, ",F")])
def test_numpy_bools_are_true_and_false(codec_impl: ModuleType, value: Any, tags: Any) -> None:
    assert encode(codec_impl, [value]) == message(tags, b"")


@pytest.mark.parametrize(
    ("value", "tags", "data"),
    [
        (np.int64(5), ",i", struct.pack(">i", 5)),
        (np.int8(-3), ",i", struct.pack(">i", -3)),
        (np.uint32(2**32 - 1), ",h", struct.pack(">q", 2**32 - 1)),
        (np.int64(2**40), ",h", struct.pack(">q", 2**40)),
        (np.float32(0.1), ",f", struct.pack(">f", 0.1)),
        (np.float16(0.5), ",f", struct.pack(">f", 0.5)),
        (np.float64(2.5), ",f", struct.pack(">f", 2.5)),
        (np.longdouble(1.5), ",f", struct.pack(">f", 1.5)),
        (np.str_("hé"), ",s", osc_string("hé")),
    ],
)
def test_numpy_scalars_auto_type_as_their_python_values(
    codec_impl: ModuleType, value: Any, tags: Any, data: Any
) -> None:
    assert encode(codec_impl, [value]) == message(tags, data)


def test_numpy_int_outside_int64_and_complex_are_refused(codec_impl: ModuleType) -> None:
    with pytest.raises(OSCInvalidDataError, match=r"argument #0 .*complex"):
        encode(codec_impl, [np.complex64(1 + 2j)])
    with pytest.raises(OSCInvalidDataError, match=r"argument #0"):
        encode(codec_impl, [np.uint64(2**64 - 1)])


@pytest.mark.parametrize(
    ("array", "tags", "data"),
    [
        (np.array([1, 2, 3]), ",[iii]", struct.pack(">iii", 1, 2, 3)),
        (np.array([0.5, 1.5], dtype=np.float32), ",[ff]", struct.pack(">ff", 0.5, 1.5)),
        (np.array([True, False]), ",[TF]", b""),
        (np.array([], dtype=np.int32), ",[]", b""),
        (np.array(["ab", "c"]), ",[ss]", osc_string("ab") + osc_string("c")),
        (np.array([[1, 2], [3, 4]]), ",[[ii][ii]]", struct.pack(">4i", 1, 2, 3, 4)),
        (np.zeros((2, 1, 1)), ",[[[f]][[f]]]", struct.pack(">ff", 0, 0)),
        (np.array(7), ",i", struct.pack(">i", 7)),  # 0-d: the scalar it holds
    ],
)
def test_arrays_are_osc_arrays_of_their_items(
    codec_impl: ModuleType, array: Any, tags: Any, data: Any
) -> None:
    assert encode(codec_impl, [array]) == message(tags, data)


@pytest.mark.parametrize(
    ("array", "where"),
    [
        (np.array([1 + 2j, 3j]), r"#1\[0\]"),
        (np.array(["2020-01-01"], dtype="datetime64[D]"), r"#1\[0\]"),
        (np.array([[1, 2], [3, None]], dtype=object), r"#1\[1\]\[1\]"),
    ],
)
def test_other_dtypes_give_an_osc_error_naming_the_item(
    codec_impl: ModuleType, array: Any, where: Any
) -> None:
    if array.dtype == object:  # None is N: an object array of encodable items is fine
        assert encode(codec_impl, [0, array])
        array = np.array([[1, 2], [3, object()]], dtype=object)
    with pytest.raises(OSCInvalidDataError, match=f"argument {where} "):
        encode(codec_impl, [0, array])


def test_arrays_deeper_than_the_limit_are_refused(codec_impl: ModuleType) -> None:
    deep = np.zeros((1,) * 40)
    with pytest.raises(OSCInvalidDataError, match="nested deeper than 32"):
        encode(codec_impl, [deep])


def test_explicit_tags_take_numpy_values(codec_impl: ModuleType) -> None:
    raw = encode(
        codec_impl,
        [np.array([1, 2, 3]), np.float32(2.7), np.float32(0.5), np.int64(7)],
        ",[fff]ifs",
    )
    data = struct.pack(">fffif", 1, 2, 3, 2, 0.5) + osc_string("7")
    assert raw == message(",[fff]ifs", data)


def test_blobs_are_the_array_memory_not_scalars(codec_impl: ModuleType) -> None:
    array = np.arange(5, dtype=np.uint8)
    assert encode(codec_impl, [array], ",b") == message(
        ",b", struct.pack(">i", 5) + bytes(range(5)) + b"\0\0\0"
    )
    with pytest.raises(OSCInvalidDataError, match="numpy scalar is not a blob"):
        encode(codec_impl, [np.float64(2.5)], ",b")


def test_encode_message_takes_numpy_values(codec_impl: ModuleType) -> None:
    raw = codec_impl.encode_message("/n", (np.True_, np.arange(2), np.float32(0.25)))
    assert raw == message(",T[ii]f", struct.pack(">iif", 0, 1, 0.25))


def test_the_codec_does_not_import_numpy() -> None:
    code = (
        "import sys\n"
        "from oscwire import _accel\n"
        "from oscwire.oscbuildparse import OSCMessage\n"
        "for twin in ('python', 'cython'):\n"
        "    try:\n"
        "        codec = _accel.load_twin('codec', twin)\n"
        "    except ImportError:\n"
        "        continue\n"
        "    raw = codec.encode_packet(OSCMessage('/a', None, [1, 2.5, 'x', [True], b'b']))\n"
        "    codec.decode_packet(raw)\n"
        "print('numpy' in sys.modules)\n"
    )
    env = dict(os.environ)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
