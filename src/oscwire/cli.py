"""The ``oscwire`` command: send, dump, bench and demo, in the spirit of liblo's oscsend/oscdump.

``oscwire send HOST PORT ADDRESS [TYPES [ARGS...]]`` sends one message (UDP by default,
``--tcp`` with a size prefix or ``--slip``); ``oscwire dump PORT`` prints what arrives;
``oscwire bench`` times the compiled twins against the pure ones side by side;
``oscwire demo`` runs a loopback server and client in one process.
"""

from __future__ import annotations

import argparse
import binascii
import socket
import sys
import time
from collections.abc import Sequence
from typing import Any, Optional

import oscwire
from oscwire import framing, oscbuildparse
from oscwire._errors import OSCError

NO_VALUE_TAGS = {"T": True, "F": False, "N": None, "I": oscbuildparse.OSC_INFINITUM}


def parse_argument(tag: str, text: str) -> Any:
    """Turn the command-line *text* of one argument into the value its type *tag* wants."""
    if tag in "ih":
        return int(text, 0)
    if tag in "fd":
        return float(text)
    if tag in "sS":
        return text
    if tag == "c":
        if len(text) != 1:
            raise ValueError(f"type c wants one character, not {text!r}")
        return text
    if tag == "b":
        return binascii.unhexlify(text.replace(" ", ""))
    if tag == "t":
        if text == "now":
            return oscbuildparse.OSC_IMMEDIATELY
        return oscbuildparse.unixtime2timetag(float(text))
    if tag == "m":
        return oscbuildparse.OSCmidi(*parse_four_bytes(tag, text))
    if tag == "r":
        return oscbuildparse.OSCrgba(*parse_four_bytes(tag, text))
    raise ValueError(f"type tag {tag!r} is not supported on the command line")


def parse_four_bytes(tag: str, text: str) -> tuple[int, int, int, int]:
    """The 4 bytes of an ``m`` or ``r`` argument: ``90403f00`` as oscsend takes them (one
    hexadecimal 32-bit number, first byte highest; ``0x`` allowed) or ``144,64,63,0``."""
    parts = text.split(",")
    if len(parts) == 1:
        value = int(text, 16)
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"type {tag} wants a 32-bit value, not {text!r}")
        return value >> 24, (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF
    if len(parts) != 4:
        raise ValueError(
            f"type {tag} wants 4 comma-separated bytes or one 32-bit number, not {text!r}"
        )
    values = tuple(int(part, 0) for part in parts)
    if not all(0 <= value <= 255 for value in values):
        raise ValueError(f"type {tag} wants bytes in 0..255, not {text!r}")
    return values  # type: ignore[return-value]


def build_message(address: str, types: str, texts: Sequence[str]) -> oscbuildparse.OSCMessage:
    """An OSCMessage from oscsend-style arguments: ``/addr ifs 1 2.5 hello``."""
    types = types.lstrip(",")
    arguments: list[Any] = []
    pending = list(texts)
    for tag in types:
        if tag in NO_VALUE_TAGS:
            arguments.append(NO_VALUE_TAGS[tag])
            continue
        if not pending:
            raise ValueError(f"type tags {types!r} want more arguments than the {len(texts)} given")
        arguments.append(parse_argument(tag, pending.pop(0)))
    if pending:
        raise ValueError(f"{len(pending)} argument(s) left over for type tags {types!r}")
    return oscbuildparse.OSCMessage(address, "," + types, arguments)


def format_value(tag: str, value: Any) -> str:
    """One argument as oscdump shows it: strings in double quotes, chars in single quotes."""
    if tag in "sS":
        return f'"{value}"'
    if tag == "c":
        return f"'{value}'"
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return f"[{len(data)} byte blob: {data[:16].hex()}{'…' if len(data) > 16 else ''}]"
    return str(value)


def format_arguments(types: str, arguments: Sequence[Any]) -> str:
    """The arguments of a message, walking its type tags (arrays shown in brackets)."""
    parts: list[str] = []
    stack: list[tuple[Sequence[Any], int]] = []
    values, index = arguments, 0
    for tag in types:
        if tag == "[":
            stack.append((values, index + 1))
            values, index = values[index], 0
            parts.append("[")
        elif tag == "]":
            values, index = stack.pop()
            parts.append("]")
        else:
            parts.append(format_value(tag, values[index]))
            index += 1
    return " ".join(parts).replace("[ ", "[").replace(" ]", "]")


def format_packet(packet: Any, indent: str = "") -> list[str]:
    """oscdump-like lines for a decoded packet (bundles indented under their time tag)."""
    if isinstance(packet, oscbuildparse.OSCBundle):
        when = packet.timetag
        stamp = (
            "immediately"
            if oscbuildparse.is_immediate(when)
            else f"{oscbuildparse.timetag2unixtime(when):.6f}"
        )
        lines = [f"{indent}#bundle {stamp}"]
        for element in packet.elements:
            lines.extend(format_packet(element, indent + "  "))
        return lines
    types = (packet.typetags or ",").lstrip(",")
    try:
        values = format_arguments(types, packet.arguments)
    except (IndexError, TypeError):  # a type tag string the decoder was told to ignore
        values = " ".join(str(value) for value in packet.arguments)
    return [f"{indent}{packet.addrpattern} {types} {values}".rstrip()]


def command_send(options: argparse.Namespace) -> int:
    message = build_message(options.address, options.types, options.args)
    raw = bytes(oscbuildparse.encode_packet(message))
    if options.tcp or options.slip:
        data = framing.slip_encode(raw) if options.slip else framing.size_prefix(raw)
        with socket.create_connection((options.host, options.port), timeout=5) as connection:
            connection.sendall(data)
    else:
        family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.sendto(raw, (options.host, options.port))
    return 0


def command_dump(options: argparse.Namespace) -> int:
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    deadline = time.monotonic() + options.timeout if options.timeout else None
    seen = 0

    def show(raw: bytes) -> None:
        nonlocal seen
        try:
            packet = oscbuildparse.decode_packet(raw)
        except OSCError as error:
            print(f"! bad packet ({len(raw)} bytes): {error}", file=sys.stderr, flush=True)
            return
        seen += 1
        print("\n".join(format_packet(packet)), flush=True)

    def remaining() -> Optional[float]:
        return None if deadline is None else max(0.0, deadline - time.monotonic())

    def done() -> bool:
        return bool(options.count and seen >= options.count) or remaining() == 0.0

    if not options.tcp:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.bind((options.host, options.port))
            print(f"listening on udp {sock.getsockname()[1]}", file=sys.stderr, flush=True)
            while not done():
                sock.settimeout(remaining())
                try:
                    show(sock.recv(65536))
                except socket.timeout:
                    break
        return 0
    with socket.socket(family, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((options.host, options.port))
        server.listen(8)
        print(f"listening on tcp {server.getsockname()[1]}", file=sys.stderr, flush=True)
        while not done():
            server.settimeout(remaining())
            try:
                connection, _ = server.accept()
            except socket.timeout:
                break
            decoder = framing.make_stream_decoder(options.framing)
            with connection:
                while not done():
                    connection.settimeout(remaining())
                    try:
                        chunk = connection.recv(65536)
                    except socket.timeout:
                        break
                    if not chunk:
                        break
                    try:
                        packets = decoder.feed(chunk)
                    except OSCError as error:
                        print(f"! framing error: {error}", file=sys.stderr, flush=True)
                        packets = getattr(error, "packets", [])
                    for raw in packets:
                        show(raw)
    return 0


def command_bench(options: argparse.Namespace) -> int:
    from oscwire import _quickbench

    _quickbench.run(seconds=options.seconds)
    return 0


def command_demo(options: argparse.Namespace) -> int:
    from oscwire import _demo

    return _demo.run(count=options.count)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oscwire", description="Open Sound Control tools.")
    parser.add_argument(
        "--version",
        action="version",
        version=f"oscwire {oscwire.__version__} ({oscwire.IMPLEMENTATION})",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    send = commands.add_parser("send", help="send one OSC message (like oscsend)")
    send.add_argument("host")
    send.add_argument("port", type=int)
    send.add_argument("address", help="OSC address, e.g. /synth/freq")
    send.add_argument(
        "types", nargs="?", default="", help="type tags, e.g. ifs (i h f d s S c b t m r T F N I)"
    )
    send.add_argument("args", nargs="*", help="one value per type tag that takes a value")
    send.add_argument("--tcp", action="store_true", help="TCP with a 4-byte size prefix (OSC 1.0)")
    send.add_argument("--slip", action="store_true", help="TCP with SLIP framing (OSC 1.1)")
    send.set_defaults(handler=command_send)

    dump = commands.add_parser(
        "dump", help="print the OSC packets received on a port (like oscdump)"
    )
    dump.add_argument("port", type=int)
    dump.add_argument(
        "--host", default="0.0.0.0", help="address to bind (default 0.0.0.0; :: for IPv6)"
    )
    dump.add_argument("--tcp", action="store_true", help="listen on TCP instead of UDP")
    dump.add_argument(
        "--framing",
        choices=["size", "slip", "auto"],
        default="auto",
        help="TCP framing (default auto)",
    )
    dump.add_argument("--count", type=int, default=0, help="stop after this many packets")
    dump.add_argument("--timeout", type=float, default=0, help="stop after this many seconds")
    dump.set_defaults(handler=command_dump)

    bench = commands.add_parser("bench", help="time the compiled core against the pure twins")
    bench.add_argument("--seconds", type=float, default=0.2, help="time per measurement")
    bench.set_defaults(handler=command_bench)

    demo = commands.add_parser("demo", help="a loopback server and client in one process")
    demo.add_argument("--count", type=int, default=2000, help="messages for the throughput part")
    demo.set_defaults(handler=command_demo)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``oscwire`` command."""
    options = make_parser().parse_args(argv)
    try:
        return options.handler(options)
    except (ValueError, OSError, OSCError) as error:
        print(f"oscwire {options.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
