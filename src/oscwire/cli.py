"""The ``oscwire`` command: send, dump, bench and demo, at the level of liblo's tools.

``oscwire send`` sends one message as liblo's ``oscsend`` does (same command lines, same
bytes, plus TCP with SLIP); ``oscwire dump`` prints what arrives as liblo's ``oscdump``
does (same lines), or readable, JSON or raw; ``oscwire bench`` times the compiled twins
against the pure ones; ``oscwire demo`` runs a loopback server and client in one process.

Every error reaches the user as one line on stderr, ``oscwire <command>: <what>``, with
exit status 2 for a wrong command line and 1 for a failure; never a traceback (set
``OSCWIRE_DEBUG=1`` to get one for an internal error). The subcommands live in
``_cli_send``, ``_cli_dump`` (with ``_cli_format``), ``_quickbench`` and ``_demo``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn, Optional

import oscwire
from oscwire import _accel
from oscwire._cli_common import (
    EXIT_BROKEN_PIPE,
    EXIT_FAILURE,
    EXIT_USAGE,
    CliError,
    UsageError,
    error_line,
    silence_stdout,
)
from oscwire._cli_message import TYPE_HELP, build_message, count_values
from oscwire._cli_send import Framing, plan_send, run_send

__all__ = ["build_message", "count_values", "main", "make_parser"]

#: Exit status after Ctrl-C outside ``dump`` (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


class _ParserError(Exception):
    """argparse found the command line wrong: one line, exit status 2."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (argparse prints usage, then exits)."""

    def error(self, message: str) -> NoReturn:
        raise _ParserError(self.prog, f"{message} (see '{self.prog} --help')")


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds >= 0")
    return value


def _positive_float(text: str) -> float:
    value = _non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError("0 is not a duration > 0")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


# ---------------------------------------------------------------------------- send

SEND_USAGE = (
    "oscwire send [-h] [--tcp | --slip] [--timeout S] DESTINATION ADDRESS [TYPES [VALUES ...]]"
)
SEND_DESCRIPTION = (
    """\
Send one OSC message, as liblo's oscsend does: the same command line sends the same bytes.

DESTINATION is one of
  HOST PORT                  UDP (TCP with --tcp or --slip); IPv6 as ::1 or [::1]
  osc.udp://HOST:PORT        liblo URLs; IPv6 literals in brackets: osc.udp://[::1]:9000;
  osc.tcp://HOST:PORT        a multicast group is sent to with a time-to-live of 1
  -                          write the encoded message to stdout
  file:///PATH               write the encoded message to a file
(osc.unix:///PATH is recognised but not supported yet.)

ADDRESS is the OSC address (/synth/freq). TYPES has one type tag per argument (a leading
comma is allowed), and VALUES one word per tag that takes a value:
"""
    + TYPE_HELP
    + """

Values are read first, whatever they look like: -5 and -x are values of an s tag, no
'--' needed; options may also follow the values."""
)
SEND_EPILOG = """\
examples:
  oscwire send 127.0.0.1 57110 /s_new siii default 1000 0 0
  oscwire send osc.udp://[::1]:9000 /note ifs 60 0.5 -x
  oscwire send osc.tcp://mixer.local:10023 /ch/01/mix/fader f 0.75
  oscwire send 127.0.0.1 9000 /light/1 rT 255,128,0,255 --slip
  oscwire send - /ping | xxd

exit status: 0 sent, 1 failed (refused, unreachable...), 2 wrong command line"""


def _add_send_options(parser: argparse.ArgumentParser, timeout: Optional[float] = 5.0) -> None:
    framing = parser.add_mutually_exclusive_group()
    framing.add_argument(
        "--tcp",
        dest="framing",
        action="store_const",
        const=Framing.SIZE,
        help="HOST PORT over TCP, OSC 1.0 size prefix (liblo's framing)",
    )
    framing.add_argument(
        "--slip",
        dest="framing",
        action="store_const",
        const=Framing.SLIP,
        help="TCP with OSC 1.1 SLIP framing (with HOST PORT or osc.tcp://)",
    )
    parser.add_argument(
        "--timeout",
        type=_positive_float,
        default=timeout,
        metavar="S",
        help="give up connecting or sending after S seconds (default 5)",
    )


def command_send(options: argparse.Namespace) -> int:
    words: list[str] = list(options.words)
    if words[:1] == ["--"]:
        words = words[1:]
    plan = plan_send(words, options.framing)
    if plan.trailing:
        # Options written after the values: read them, then plan again with them.
        trailing = _Parser(prog="oscwire send", add_help=False)
        _add_send_options(trailing, timeout=None)
        late, unknown = trailing.parse_known_args(list(plan.trailing))
        if unknown:
            raise UsageError(
                f"{len(unknown)} word(s) left over after the values: {' '.join(unknown)}"
            )
        if late.framing is not None and options.framing not in (None, late.framing):
            raise UsageError("--tcp and --slip cannot both be given")
        if late.timeout is not None:
            options.timeout = late.timeout
        framing = late.framing or options.framing
        plan = plan_send(words[: len(words) - len(plan.trailing)], framing)
    return run_send(plan, options.timeout)


# ---------------------------------------------------------------------------- dump

DUMP_USAGE = (
    "oscwire dump [-h] [-L] [-r | --format F] [--tcp] [--framing size|slip|auto] "
    "[--host ADDR] [--count N] [--timeout S] PORT|URL [GROUP]"
)
DUMP_DESCRIPTION = """\
Print the OSC packets that arrive, as liblo's oscdump does: by default the very lines
oscdump prints, so that scripts reading them work unchanged:

  SSSSSSSS.FFFFFFFF ADDRESS TYPES VALUES...

one line per message; the time is the time tag of the bundle around the message, or the
time it arrived; messages of a bundle timed in the future are printed when it is due.

PORT|URL is a port number (0: any free one), or a liblo URL: osc.udp://:9000,
osc.tcp://:9000, osc.udp://224.0.1.9:9000 (a multicast group), osc.udp://[::1]:9000.
GROUP, after a port, is a multicast group to join (as oscdump takes it).

It says where it listens on stderr, reports bad packets there (throttled), and when it
stops (Ctrl-C, SIGTERM, --count, --timeout) prints a summary there: packets, bad packets,
peers."""
DUMP_EPILOG = """\
formats (--format):
  oscdump   liblo's oscdump lines (default)
  readable  ADDRESS TYPES VALUES, bundles as '#bundle TIME' with their elements indented
  json      one JSON object per packet and line: time, source, message or bundle
  raw       each message's bytes, bundles unpacked (same as -r, as oscdump -r)

examples:
  oscwire dump 9000
  oscwire dump -L osc.tcp://:9000 | grep /fader
  oscwire dump --format json --count 10 osc.udp://[::1]:9000
  oscwire dump 9000 224.0.1.9

exit status: 0 stopped (signal, --count, --timeout), 1 cannot listen, 2 wrong command line"""


def command_dump(options: argparse.Namespace) -> int:
    from oscwire import _cli_dump
    from oscwire._cli_format import FORMATS

    request = _cli_dump.listen_request(
        options.where, options.group, options.host, options.tcp, options.framing
    )
    return _cli_dump.run_dump(
        request,
        FORMATS[options.format](),
        line_buffered=options.line_buffered,
        count=options.count,
        timeout=options.timeout,
    )


def _add_dump_parser(commands: Any) -> None:
    from oscwire._cli_format import FORMATS

    dump = commands.add_parser(
        "dump",
        help="print the OSC packets that arrive (like liblo's oscdump)",
        usage=DUMP_USAGE,
        description=DUMP_DESCRIPTION,
        epilog=DUMP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    dump.add_argument("where", metavar="PORT|URL", help="port number or liblo URL")
    dump.add_argument("group", metavar="GROUP", nargs="?", help="multicast group to join")
    dump.add_argument(
        "-L",
        dest="line_buffered",
        action="store_true",
        help="line buffering: write each line at once even to a pipe or file (oscdump -L)",
    )
    dump.add_argument(
        "-r",
        dest="format",
        action="store_const",
        const="raw",
        help="write each message's raw bytes (oscdump -r; same as --format raw)",
    )
    dump.add_argument(
        "--format",
        choices=sorted(FORMATS),
        default="oscdump",
        metavar="F",
        help="oscdump (default), readable, json or raw: see below",
    )
    dump.add_argument("--tcp", action="store_true", help="listen on TCP (PORT form)")
    dump.add_argument(
        "--framing",
        choices=["size", "slip", "auto"],
        default="auto",
        help="TCP framing: OSC 1.0 size prefix, OSC 1.1 SLIP, or detected per peer (default)",
    )
    dump.add_argument(
        "--host",
        metavar="ADDR",
        help="address to listen on with PORT (default 0.0.0.0; :: for IPv6)",
    )
    dump.add_argument(
        "--count", type=_count, default=0, metavar="N", help="stop after N good packets"
    )
    dump.add_argument(
        "--timeout",
        type=_non_negative_float,
        default=0.0,
        metavar="S",
        help="stop after S seconds (default: run until Ctrl-C or SIGTERM)",
    )
    dump.set_defaults(handler=command_dump, format="oscdump")


# ---------------------------------------------------------------------- bench, demo


def command_bench(options: argparse.Namespace) -> int:
    from oscwire import _quickbench

    return _quickbench.run(seconds=options.seconds, as_json=options.json, quiet=options.quiet)


def command_demo(options: argparse.Namespace) -> int:
    from oscwire import _demo

    return _demo.run(count=options.count)


def make_parser() -> argparse.ArgumentParser:
    """The parser of the ``oscwire`` command line."""
    parser = _Parser(
        prog="oscwire",
        description="Open Sound Control tools: send, dump, bench, demo.",
        epilog="'oscwire COMMAND --help' tells more about each command.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"oscwire {oscwire.__version__} ({oscwire.IMPLEMENTATION})",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    send = commands.add_parser(
        "send",
        help="send one OSC message (like liblo's oscsend)",
        usage=SEND_USAGE,
        description=SEND_DESCRIPTION,
        epilog=SEND_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_send_options(send)
    send.add_argument(
        "words",
        nargs=argparse.REMAINDER,
        metavar="DESTINATION ADDRESS [TYPES [VALUES ...]]",
        help="see above",
    )
    send.set_defaults(handler=command_send)

    _add_dump_parser(commands)

    bench = commands.add_parser(
        "bench",
        help="time the compiled core against the pure twins",
        description="Time each workload on the compiled twins and on the pure-Python ones, "
        "side by side, on this machine (a quick look: the full suites are in bench/).",
    )
    bench.add_argument(
        "--seconds",
        type=_positive_float,
        default=0.2,
        metavar="S",
        help="time per measurement (default 0.2)",
    )
    bench.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document (versions, implementation, each measurement with "
        "its unit) instead of the table",
    )
    bench.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    bench.set_defaults(handler=command_bench)

    demo = commands.add_parser(
        "demo",
        help="a loopback server and client in one process",
        description="Run an OSC server and client in one process on loopback: messages, "
        "a timed bundle, a throughput burst, and which implementation is in use.",
    )
    demo.add_argument(
        "--count",
        type=_count,
        default=2000,
        metavar="N",
        help="messages for the throughput part (default 2000)",
    )
    demo.set_defaults(handler=command_demo)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``oscwire`` command; returns the exit status."""
    command: Optional[str] = None
    try:
        options = make_parser().parse_args(argv)
        command = options.command
        status: int = options.handler(options)
        return status
    except SystemExit as done:  # --help, --version
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_FAILURE)
    except _ParserError as error:
        print(f"{error.prog}: {' '.join(str(error).split())}", file=sys.stderr)
        return EXIT_USAGE
    except CliError as error:
        print(error_line(command, str(error)), file=sys.stderr)
        return error.status
    except KeyboardInterrupt:
        print(error_line(command, "interrupted"), file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        silence_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as error:
        print(error_line(command, str(error)), file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:
        if _accel.env_flag("OSCWIRE_DEBUG"):
            raise
        print(
            error_line(
                command,
                f"internal error: {type(error).__name__}: {error} "
                "(OSCWIRE_DEBUG=1 shows the traceback; please report it)",
            ),
            file=sys.stderr,
        )
        return EXIT_FAILURE
