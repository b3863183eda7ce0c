"""Side-by-side codec timings: oscwire (compiled and pure) against python-osc, osc4py3, pyliblo3.

Run ``python bench/compare/compare_codec.py`` (``--quick`` for a shorter run, ``--markdown`` for a
table to paste into docs, ``--json PATH`` for every repeat and the run's metadata). Each cell is the best of several repeats, in microseconds per
operation, measured in this one process so that the ratios are fair on a shared machine.
Peers that are not installed are left out. Workloads:

* ``msg``: ``/test/addr ,ifs 1 2.5 "hello"``;
* ``bundle10``: a bundle of 10 such messages;
* ``blob1k``: ``/test/blob`` with a 1 KiB blob and 64 floats;
* ``send``: what a sender does with ``/test/addr`` and ``(1, 2.5, "hi")``: ``direct`` is
  oscwire's ``encode_message`` (no message object), pyliblo3's ``liblo.Message(...)``,
  python-osc's builder, osc4py3's ``encode_packet(OSCMessage(...))`` (it has no direct
  way); ``via message`` builds an ``OSCMessage`` and encodes it (oscwire, osc4py3). The
  ``OSCMessage`` constructor is the one of the twin ``oscbuildparse`` selected (the
  compiled twin's when it is built), in both oscwire columns.

Encode means "from Python values to packet bytes" the way a user of each library does it
(python-osc: builder + ``build()``; pyliblo3: ``liblo.Message(...)`` construction, which
is as far as its Python API goes); decode means "from bytes to Python values", touching
the arguments (python-osc: ``OscMessage(dgram).params``, ``OscBundle(dgram)`` and the
params of its messages).
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import oscwire.oscbuildparse  # noqa: F401  (installs the selected twin's constructors)
from _results import Results, add_json_option
from _table import format_table
from oscwire import _accel

ADDRESS = "/test/addr"
ARGS = (1, 2.5, "hello")
SEND_ARGS = (1, 2.5, "hi")
BLOB = bytes(range(256)) * 4
FLOATS = tuple(float(i) / 8 for i in range(64))


def _oscwire_cases(module: Any) -> dict[tuple[str, str], Callable[[], Any]]:
    from oscwire._types import OSC_IMMEDIATELY, OSCBundle, OSCMessage

    encode, decode = module.encode_packet, module.decode_packet
    msg = OSCMessage(ADDRESS, None, list(ARGS))
    bundle = OSCBundle(OSC_IMMEDIATELY, [msg] * 10)
    blob = OSCMessage("/test/blob", None, [BLOB, *FLOATS])
    raw_msg, raw_bundle, raw_blob = encode(msg), encode(bundle), encode(blob)
    encode_message = module.encode_message
    return {
        ("msg", "encode"): lambda: encode(msg),
        ("msg", "decode"): lambda: decode(raw_msg),
        ("bundle10", "encode"): lambda: encode(bundle),
        ("bundle10", "decode"): lambda: decode(raw_bundle),
        ("blob1k", "encode"): lambda: encode(blob),
        ("blob1k", "decode"): lambda: decode(raw_blob),
        ("send", "direct"): lambda: encode_message(ADDRESS, SEND_ARGS),
        ("send", "via message"): lambda: encode(OSCMessage(ADDRESS, None, SEND_ARGS)),
    }


def _pythonosc_cases() -> dict[tuple[str, str], Callable[[], Any]]:
    from pythonosc.osc_bundle import OscBundle
    from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
    from pythonosc.osc_message import OscMessage
    from pythonosc.osc_message_builder import OscMessageBuilder

    def build_msg(args: tuple[Any, ...] = ARGS) -> Any:
        builder = OscMessageBuilder(ADDRESS)
        for value in args:
            builder.add_arg(value)
        return builder.build()

    def build_bundle() -> Any:
        builder = OscBundleBuilder(IMMEDIATELY)
        for _ in range(10):
            builder.add_content(build_msg())
        return builder.build()

    def build_blob() -> Any:
        builder = OscMessageBuilder("/test/blob")
        builder.add_arg(BLOB)
        for value in FLOATS:
            builder.add_arg(value)
        return builder.build()

    raw_msg, raw_bundle, raw_blob = build_msg().dgram, build_bundle().dgram, build_blob().dgram

    def decode_bundle() -> Any:
        return [content.params for content in OscBundle(raw_bundle)]

    return {
        ("msg", "encode"): lambda: build_msg().dgram,
        ("msg", "decode"): lambda: OscMessage(raw_msg).params,
        ("bundle10", "encode"): lambda: build_bundle().dgram,
        ("bundle10", "decode"): decode_bundle,
        ("blob1k", "encode"): lambda: build_blob().dgram,
        ("blob1k", "decode"): lambda: OscMessage(raw_blob).params,
        ("send", "direct"): lambda: build_msg(SEND_ARGS).dgram,
    }


def _osc4py3_cases() -> dict[tuple[str, str], Callable[[], Any]]:
    from osc4py3 import oscbuildparse as obp  # type: ignore[import-untyped]

    msg = obp.OSCMessage(ADDRESS, None, list(ARGS))
    bundle = obp.OSCBundle(obp.OSC_IMMEDIATELY, [msg] * 10)
    blob = obp.OSCMessage("/test/blob", None, [BLOB, *FLOATS])
    raw_msg, raw_bundle, raw_blob = (
        obp.encode_packet(msg),
        obp.encode_packet(bundle),
        obp.encode_packet(blob),
    )
    return {
        ("msg", "encode"): lambda: obp.encode_packet(msg),
        ("msg", "decode"): lambda: obp.decode_packet(raw_msg),
        ("bundle10", "encode"): lambda: obp.encode_packet(bundle),
        ("bundle10", "decode"): lambda: obp.decode_packet(raw_bundle),
        ("blob1k", "encode"): lambda: obp.encode_packet(blob),
        ("blob1k", "decode"): lambda: obp.decode_packet(raw_blob),
        ("send", "direct"): lambda: obp.encode_packet(obp.OSCMessage(ADDRESS, None, SEND_ARGS)),
        ("send", "via message"): lambda: obp.encode_packet(
            obp.OSCMessage(ADDRESS, None, SEND_ARGS)
        ),
    }


def _pyliblo3_cases() -> dict[tuple[str, str], Callable[[], Any]]:
    import pyliblo3 as liblo  # type: ignore[import-untyped]

    def bundle() -> Any:
        return liblo.Bundle(*[liblo.Message(ADDRESS, *ARGS) for _ in range(10)])

    return {
        ("msg", "encode"): lambda: liblo.Message(ADDRESS, *ARGS),
        ("bundle10", "encode"): bundle,
        ("blob1k", "encode"): lambda: liblo.Message("/test/blob", BLOB, *FLOATS),
        ("send", "direct"): lambda: liblo.Message(ADDRESS, *SEND_ARGS),
    }


def collect() -> dict[str, dict[tuple[str, str], Callable[[], Any]]]:
    """Every available implementation's cases, by column name."""
    columns: dict[str, dict[tuple[str, str], Callable[[], Any]]] = {}
    try:
        columns["oscwire[c]"] = _oscwire_cases(_accel.load_twin("codec", "cython"))
    except ImportError:
        print("oscwire compiled codec not built: column left out", file=sys.stderr)
    columns["oscwire[py]"] = _oscwire_cases(_accel.load_twin("codec", "python"))
    for name, factory in (
        ("python-osc", _pythonosc_cases),
        ("osc4py3", _osc4py3_cases),
        ("pyliblo3", _pyliblo3_cases),
    ):
        try:
            columns[name] = factory()
        except ImportError:
            print(f"{name} is not installed: column left out", file=sys.stderr)
    return columns


def repeat_times(func: Callable[[], Any], budget: float, repeat: int) -> list[float]:
    """Seconds per call in each of *repeat* repeats lasting about *budget* seconds each
    (the tables show the best)."""
    timer = timeit.Timer(func)
    number, elapsed = 1, 0.0
    while elapsed < budget / 5:
        number *= 2
        elapsed = timer.timeit(number)
    number = max(1, int(number * (budget / max(elapsed, 1e-9))))
    return [elapsed / number for elapsed in timer.repeat(repeat=repeat, number=number)]


def measure(quick: bool) -> dict[tuple[str, str], dict[str, list[float]]]:
    """Every column's repeat times (seconds per call) for each (workload, op)."""
    columns = collect()
    budget, repeat = (0.05, 3) if quick else (0.2, 5)
    rows: dict[tuple[str, str], dict[str, list[float]]] = {}
    keys = [(w, o) for w in ("msg", "bundle10", "blob1k") for o in ("encode", "decode")]
    keys += [("send", "direct"), ("send", "via message")]
    for key in keys:
        rows[key] = {}
        # Interleave the columns repeat by repeat so that load spikes hit them all alike.
        for name, cases in columns.items():
            if key in cases:
                rows[key][name] = repeat_times(cases[key], budget, repeat)
    return rows


#: The oscwire twin of each oscwire column.
TWINS = {"oscwire[c]": "cython", "oscwire[py]": "python"}


def record(samples: dict[tuple[str, str], dict[str, list[float]]], results: Results) -> None:
    for (workload, op), cells in samples.items():
        for name, times in cells.items():
            results.add(
                "codec",
                f"{workload} {op}",
                name,
                unit="s/op",
                statistic="min",
                samples=times,
                implementation=TWINS.get(name),
            )


def table(samples: dict[tuple[str, str], dict[str, list[float]]], markdown: bool) -> str:
    rows = {
        key: {name: min(times) for name, times in cells.items()} for key, cells in samples.items()
    }
    names: list[str] = []
    for cells in rows.values():
        names.extend(name for name in cells if name not in names)
    peers = [name for name in names if not name.startswith("oscwire")]
    header = ["workload", "op", *(f"{n} µs" for n in names)]
    header += [f"c vs {p}" for p in peers] + [f"py vs {p}" for p in peers]
    lines = [header]
    for (workload, op), cells in rows.items():
        line = [workload, op] + [f"{cells[n] * 1e6:.2f}" if n in cells else "-" for n in names]
        for twin in ("oscwire[c]", "oscwire[py]"):
            for peer in peers:
                if twin in cells and peer in cells:
                    line.append(f"{cells[peer] / cells[twin]:.1f}×")
                else:
                    line.append("-")
        lines.append(line)
    return format_table(lines[0], lines[1:], markdown, right=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter, noisier run")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    add_json_option(parser)
    options = parser.parse_args(argv)
    results = (
        Results(
            "compare_codec.py",
            "encode and decode of /test/addr ,ifs; a bundle of 10 of them; /test/blob with a "
            "1 KiB blob and 64 floats; a sender's path for /test/addr (1, 2.5, 'hi'). "
            "Seconds per operation, each repeat the mean of many calls, the best repeat shown",
            sys.argv[1:] if argv is None else argv,
            options.quick,
        )
        if options.json
        else None
    )
    samples = measure(options.quick)
    print(table(samples, options.markdown))
    print("ratios: peer time / oscwire time (higher is faster for oscwire)")
    if results is not None:
        record(samples, results)
        results.write(options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
