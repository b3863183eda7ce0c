"""osc4py3's ``oob`` options for the codec: parsing, dumps and advanced packet control.

Both codec twins call :func:`parse_options` when they get a non-empty ``oob`` dict, and
read the plain attributes of the :class:`CodecOptions` it returns. Dumps and the
``/packet ,sbsbsb`` advanced packet control wrapper are not hot, so they live here, in
pure Python, around the twin's core encode/decode function.
"""

from __future__ import annotations

import codecs
import copy
import operator
import struct
import sys
from typing import Any, Callable

from ._errors import OSCInvalidDataError, OSCInvalidRawError
from ._types import OSCBundle, OSCMessage, OSCtimetag

#: Address of the advanced packet control wrapper message.
ADVANCED_PACKET_CONTROL = "/packet"

#: Default bound on nested bundles (a top-level bundle is level 1).
MAX_BUNDLE_DEPTH = 32
#: Default bound on nested arrays (``[`` inside ``[``), per message.
MAX_ARRAY_DEPTH = 32
#: The highest ``max_bundle_depth`` / ``max_array_depth`` an ``oob`` may ask for. Both
#: twins walk nesting with explicit stacks (no recursion), so this bounds the work and the
#: memory one packet can cost, not the stack.
DEPTH_LIMIT = 256

_WRAPPING_KEYS = (
    "dump_decoded_values",
    "decode_packet_dumpraw",
    "decode_packet_dumpacket",
    "encode_packet_dumpacket",
    "encode_packet_dumpraw",
    "advanced_packet_control",
)


def _codec_pair(value: Any, name: str) -> tuple[str, str]:
    if isinstance(value, str):
        return value, "strict"
    try:
        codec, errors = value
    except (TypeError, ValueError):
        raise OSCInvalidDataError(
            f"oob {name!r} must be a (codec, errors) pair, not {value!r}"
        ) from None
    return str(codec), str(errors)


def _check_codec(codec: str, errors: str, name: str) -> None:
    """Fail early, with an OSC error, on a codec or error handler Python does not know."""
    try:
        info = codecs.lookup(codec)
        codecs.lookup_error(errors)
    except LookupError as error:
        raise OSCInvalidDataError(f"oob {name!r}: {error}") from None
    if not getattr(info, "_is_text_encoding", True):
        raise OSCInvalidDataError(f"oob {name!r}: {codec!r} is not a text encoding")


def _check_char_decode(codec: str) -> None:
    """Fail early when the ``char_decode`` codec cannot decode with errors="replace"."""
    try:
        b"A".decode(codec, "replace")
    except Exception as error:  # "idna" raises UnicodeError for any handler but strict
        raise OSCInvalidDataError(
            f"oob 'char_decode': {codec!r} cannot decode a byte with errors='replace'"
            f" ({type(error).__name__}: {error})"
        ) from error


def _depth(oob: dict[str, Any], name: str, default: int) -> int:
    value = oob.get(name, default)
    try:
        depth = operator.index(value)
    except TypeError:
        raise OSCInvalidDataError(f"oob {name!r} must be an int, not {value!r}") from None
    if not 0 <= depth <= DEPTH_LIMIT:
        raise OSCInvalidDataError(
            f"oob {name!r} must be within 0..{DEPTH_LIMIT} (DEPTH_LIMIT), not {depth}"
        )
    return depth


def _is_utf8(codec: str) -> bool:
    return codecs.lookup(codec).name == "utf-8"


def _is_latin1(codec: str) -> bool:
    return codecs.lookup(codec).name == "iso8859-1"


class CodecOptions:
    """The codec options of one ``oob`` dict, parsed once per call into plain attributes."""

    __slots__ = (
        "blob_bytes",
        "char_decode",
        "char_decode_latin1",
        "char_encode",
        "char_encode_latin1",
        "char_osc4py3",
        "check_addrpattern",
        "compression",
        "decompression",
        "dump_values",
        "dumpfile",
        "force_typetags",
        "max_array_depth",
        "max_bundle_depth",
        "oob",
        "restrict",
        "str_decode",
        "str_decode_utf8",
        "str_encode",
        "str_encode_utf8",
        "wrapped",
    )

    def __init__(self, oob: dict[str, Any] | None = None) -> None:
        oob = oob or {}
        self.oob = oob
        self.str_encode = _codec_pair(oob.get("str_encode", ("utf-8", "strict")), "str_encode")
        self.str_decode = _codec_pair(oob.get("str_decode", ("utf-8", "strict")), "str_decode")
        self.char_encode = str(oob.get("char_encode", "latin-1"))
        self.char_decode = str(oob.get("char_decode", "latin-1"))
        _check_codec(*self.str_encode, "str_encode")
        _check_codec(*self.str_decode, "str_decode")
        _check_codec(self.char_encode, "strict", "char_encode")
        _check_codec(self.char_decode, "strict", "char_decode")
        self.str_encode_utf8 = _is_utf8(self.str_encode[0]) and self.str_encode[1] == "strict"
        self.str_decode_utf8 = _is_utf8(self.str_decode[0]) and self.str_decode[1] == "strict"
        self.char_encode_latin1 = _is_latin1(self.char_encode)
        self.char_decode_latin1 = _is_latin1(self.char_decode)
        if not self.char_decode_latin1:
            _check_char_decode(self.char_decode)
        layout = oob.get("char_layout", "liblo")
        if layout not in ("liblo", "osc4py3"):
            raise OSCInvalidDataError(
                f"oob 'char_layout' must be 'liblo' or 'osc4py3', not {layout!r}"
            )
        self.char_osc4py3 = layout == "osc4py3"
        restrict = oob.get("restrict_typetags") or None
        self.restrict = frozenset(ord(tag) for tag in restrict) if restrict else None
        self.check_addrpattern = bool(oob.get("check_addrpattern", False))
        self.compression = oob.get("addrpattern_compression") or None
        self.decompression = oob.get("addrpattern_decompression") or None
        self.force_typetags = bool(oob.get("force_typetags", False))
        self.blob_bytes = bool(oob.get("blob_bytes", False))
        self.max_bundle_depth = _depth(oob, "max_bundle_depth", MAX_BUNDLE_DEPTH)
        self.max_array_depth = _depth(oob, "max_array_depth", MAX_ARRAY_DEPTH)
        self.dump_values = bool(oob.get("dump_decoded_values", False))
        self.dumpfile = oob.get("dumpfile")
        self.wrapped = any(oob.get(key, False) for key in _WRAPPING_KEYS)


#: The options used when no ``oob`` is given.
DEFAULT_OPTIONS = CodecOptions()


def parse_options(oob: dict[str, Any] | None) -> CodecOptions:
    """The :class:`CodecOptions` for *oob* (the shared default one when it is empty)."""
    if not oob:
        return DEFAULT_OPTIONS
    return CodecOptions(oob)


def _out(options: CodecOptions) -> Any:
    return options.dumpfile if options.dumpfile is not None else sys.stdout


def _dumpmv(data: Any, length: int = 20) -> str:
    """osc4py3's short form of the first *length* bytes of *data*, quirks included.

    For a memoryview it cuts to *length* bytes and then says "(N first bytes)" when the
    cut holds fewer than *length* bytes, "(N bytes)" otherwise; other objects are shown
    whole. ``dump_decoded_values`` lines must read as osc4py3's do.
    """
    if length <= 0:
        length = len(data)
    if isinstance(data, memoryview):
        data = bytes(data.cast("B")[:length])
    head = f"({length} first bytes) " if length != len(data) else f"({len(data)} bytes) "
    codes = "".join(f"{byte:02x} " for byte in data)
    text = "".join(chr(byte) if 32 <= byte <= 126 else "." for byte in data[:length])
    return f"{head}{codes}   {text}"


def dumphex_buffer(rawdata: Any, tofile: Any = None) -> None:
    """Print *rawdata* as hex, 16 bytes a line in groups of 4, with offsets and ASCII."""
    out = tofile if tofile is not None else sys.stdout
    data = bytes(memoryview(rawdata).cast("B"))
    for start in range(0, len(data), 16):
        line = data[start : start + 16]
        groups = " ".join(line[i : i + 4].hex() for i in range(0, len(line), 4))
        groups4 = " ".join(
            "".join(chr(b) if 32 <= b <= 126 else "." for b in line[i : i + 4])
            for i in range(0, len(line), 4)
        )
        print(f"{start:03d}:{groups:40s}{groups4}", file=out)


def _value_lines(value: Any, lines: list[str]) -> None:
    """osc4py3's lines for one decoded argument (arrays: their items, flattened)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if type(item) is tuple:  # an array: osc4py3 prints its items, not the array
            pending.extend(reversed(item))
        elif isinstance(item, (bytes, bytearray, memoryview)):  # a blob: its size, then it
            lines.append(f"Decoded int: {len(item)}")
            lines.append(f"Decoded {type(item).__name__} ({len(item)} bytes): {_dumpmv(item, 60)}")
        else:
            lines.append(f"Decoded {type(item).__name__}: {item}")


def _decoded_lines(raw: Any, packet: Any, options: CodecOptions) -> list[str]:
    """The lines osc4py3 prints with ``dump_decoded_values`` while decoding *raw*.

    osc4py3 prints every OSC value it reads, in packet order: the ``#bundle`` string, the
    bundle time tag and each element size too, the address (and its compression key) and
    the type tag string of each message, then the arguments (a blob's size, then the
    blob). *packet* is what *raw* decoded to; the raw bytes give what the packet does not
    keep (element sizes, the raw time tag, a compressed address).
    """
    data = bytes(memoryview(raw).cast("B"))
    lines: list[str] = []
    pending: list[tuple[Any, int]] = [(packet, 0)]
    while pending:
        item, pos = pending.pop()
        if isinstance(item, OSCBundle):
            sec, frac = struct.unpack_from(">II", data, pos + 8)
            lines.append("Decoded str: #bundle")
            lines.append(f"Decoded OSCtimetag: {OSCtimetag(sec, frac)}")
            children: list[tuple[Any, int]] = []
            p = pos + 16
            for element in item.elements:
                size = struct.unpack_from(">i", data, p)[0]
                children.append((size, -1))
                children.append((element, p + 4))
                p += 4 + size
            pending.extend(reversed(children))
        elif pos < 0:  # an element size
            lines.append(f"Decoded int: {item}")
        else:
            nul = data.index(b"\0", pos)
            p = (nul & ~3) + 4
            if data[pos:nul] == b"/" and options.decompression is not None:
                lines.append("Decoded str: /")
                lines.append(f"Decoded int: {struct.unpack_from('>i', data, p)[0]}")
                p += 4
            else:
                lines.append(f"Decoded str: {item.addrpattern}")
            if p < len(data) and data[p] == 44:  # a type tag string
                lines.append(f"Decoded str: {item.typetags}")
            for value in item.arguments:
                _value_lines(value, lines)
    return lines


def decode_wrapped(
    core: Callable[[Any, CodecOptions], Any], raw: Any, oob: dict[str, Any], options: CodecOptions
) -> Any:
    """Decode with the dumps and the advanced packet control that *oob* asks for."""
    out = _out(options)
    if oob.get("decode_packet_dumpraw", False):
        print("OSC decoding packet:", file=out)
        dumphex_buffer(raw, out)
    packet = core(raw, options)
    if options.dump_values:
        for line in _decoded_lines(raw, packet, options):
            print(line, file=out)
    if oob.get("decode_packet_dumpacket", False):
        print("OSC decoded packet:", file=out)
        print(packet, file=out)
    if oob.get("advanced_packet_control", False):
        if not isinstance(packet, OSCMessage) or packet.addrpattern != ADVANCED_PACKET_CONTROL:
            raise OSCInvalidRawError(
                f"advanced packet control expects a {ADVANCED_PACKET_CONTROL!r} message"
            )
        args = packet.arguments
        if len(args) != 6 or packet.typetags != ",sbsbsb":
            raise OSCInvalidRawError(
                f"advanced packet control expects type tags ',sbsbsb', not {packet.typetags!r}"
            )
        checksum_prot, checksum, auth_prot, auth_sign, crypt_prot, payload = args
        decrypt = oob.get("packet_decrypt_fct")
        if decrypt is not None:
            payload = decrypt(payload, crypt_prot, oob)
        check_auth = oob.get("packet_ckauthsign_fct")
        if check_auth is not None:
            check_auth(payload, auth_sign, auth_prot, oob)
        check_sum = oob.get("packet_ckcheksum_fct")
        if check_sum is not None:
            check_sum(payload, checksum, checksum_prot, oob)
        inner = copy.copy(oob)
        inner["advanced_packet_control"] = False
        inner_options = parse_options(inner)
        packet = decode_wrapped(core, payload, inner, inner_options)
    return packet


def encode_wrapped(
    core: Callable[[Any, CodecOptions], Any],
    packet: Any,
    oob: dict[str, Any],
    options: CodecOptions,
) -> Any:
    """Encode with the dumps and the advanced packet control that *oob* asks for."""
    out = _out(options)
    if oob.get("encode_packet_dumpacket", False):
        print("OSC encoding packet:", file=out)
        print(packet, file=out)
    raw = core(packet, options)
    if oob.get("encode_packet_dumpraw", False):
        print("OSC encoded packet:", file=out)
        dumphex_buffer(raw, out)
    if oob.get("advanced_packet_control", False):
        mk_checksum = oob.get("packet_mkchecksum_fct")
        checksum_prot = oob.get("packet_checksum_prot", "")
        checksum = mk_checksum(raw, checksum_prot, oob) if mk_checksum is not None else b""
        mk_auth = oob.get("packet_mkauthsign_fct")
        auth_prot = oob.get("packet_authsign_prot", "")
        auth_sign = mk_auth(raw, auth_prot, oob) if mk_auth is not None else b""
        encrypt = oob.get("packet_encrypt_fct")
        crypt_prot = oob.get("packet_crypt_prot", "")
        if encrypt is not None:
            raw = encrypt(raw, crypt_prot, oob)
        control = OSCMessage(
            ADVANCED_PACKET_CONTROL,
            ",sbsbsb",
            (checksum_prot, checksum, auth_prot, auth_sign, crypt_prot, raw),
        )
        inner = copy.copy(oob)
        inner["advanced_packet_control"] = False
        raw = encode_wrapped(core, control, inner, parse_options(inner))
    return raw
