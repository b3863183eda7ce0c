"""osc4py3's ``oob`` options for the codec: parsing, dumps and advanced packet control.

Both codec twins call :func:`parse_options` when they get a non-empty ``oob`` dict, and
read the plain attributes of the :class:`CodecOptions` it returns. Dumps and the
``/packet ,sbsbsb`` advanced packet control wrapper are not hot, so they live here, in
pure Python, around the twin's core encode/decode function.
"""

from __future__ import annotations

import codecs
import copy
import sys
from typing import Any, Callable

from ._errors import OSCInvalidDataError, OSCInvalidRawError
from ._types import OSCMessage

#: Address of the advanced packet control wrapper message.
ADVANCED_PACKET_CONTROL = "/packet"

#: Default bound on nested bundles (a top-level bundle is level 1).
MAX_BUNDLE_DEPTH = 32
#: Default bound on nested arrays (``[`` inside ``[``), per message.
MAX_ARRAY_DEPTH = 32

_WRAPPING_KEYS = (
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


def _is_utf8(codec: str) -> bool:
    return codec.lower().replace("_", "-") in ("utf-8", "utf8")


class CodecOptions:
    """The codec options of one ``oob`` dict, parsed once per call into plain attributes."""

    __slots__ = (
        "blob_bytes",
        "char_decode",
        "char_encode",
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
        self.str_encode_utf8 = _is_utf8(self.str_encode[0]) and self.str_encode[1] == "strict"
        self.str_decode_utf8 = _is_utf8(self.str_decode[0]) and self.str_decode[1] == "strict"
        self.char_encode = str(oob.get("char_encode", "latin-1"))
        self.char_decode = str(oob.get("char_decode", "latin-1"))
        _check_codec(*self.str_encode, "str_encode")
        _check_codec(*self.str_decode, "str_decode")
        _check_codec(self.char_encode, "strict", "char_encode")
        _check_codec(self.char_decode, "strict", "char_decode")
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
        self.max_bundle_depth = int(oob.get("max_bundle_depth", MAX_BUNDLE_DEPTH))
        self.max_array_depth = int(oob.get("max_array_depth", MAX_ARRAY_DEPTH))
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


def hexdump(data: Any, length: int = 20) -> str:
    """Short printable form of the first *length* bytes of *data*, for dumps and errors."""
    chunk = bytes(memoryview(data).cast("B")[:length])
    text = "".join(chr(b) if 32 <= b <= 126 else "." for b in chunk)
    return f"({len(chunk)} bytes) {chunk.hex(' ')}    {text}"


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


def dump_value(value: Any, options: CodecOptions) -> None:
    """Print one decoded value (the ``dump_decoded_values`` option)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        text = f"Decoded {type(value).__name__} ({len(value)} bytes): {hexdump(value, 60)}"
    else:
        text = f"Decoded {type(value).__name__}: {value!r}"
    print(text, file=_out(options))


def decode_wrapped(
    core: Callable[[Any, CodecOptions], Any], raw: Any, oob: dict[str, Any], options: CodecOptions
) -> Any:
    """Decode with the dumps and the advanced packet control that *oob* asks for."""
    out = _out(options)
    if oob.get("decode_packet_dumpraw", False):
        print("OSC decoding packet:", file=out)
        dumphex_buffer(raw, out)
    packet = core(raw, options)
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
