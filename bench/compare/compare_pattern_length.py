"""Match time per address character, for every pattern kind, from 64 B to 64 KB addresses.

Run ``python bench/compare/compare_pattern_length.py`` (``--markdown`` for a table to paste into
docs, ``--budget`` to change the time a case may take before longer addresses are
skipped, ``--json PATH`` for every timing and the run's metadata). Each cell is nanoseconds per character of the address (best of a few runs): a
linear matcher shows the same number in every column, a quadratic one a number that grows
with the address. Cases that exceeded the budget at a shorter length show ``>budget``.

Every address is a worst case for its pattern: it almost matches and fails at its end
(``"/aaa…a/\\n\\n"``: osc4py3's ``.*$`` fails on the two newlines, after the regex has
tried every way to split the address between ``[^/]*`` and ``.*``). The ``index`` rows go
through :class:`~oscwire.oscmethod.MethodIndex` (the dispatcher's path, no result cache),
where addresses longer than its bound only get exact lookups.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from typing import Any, Callable

# bench/compare/ (_table.py) and bench/ (the workloads shared with bench/suites/).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _dispatch_support import use_twin
from _results import Results, add_json_option
from _table import format_table
from oscwire import _accel, oscmethod

LENGTHS = (64, 256, 1024, 4096, 16384, 65536)


def _noop(*args: Any) -> None:
    pass


def _almost(length: int, head: str = "/") -> str:
    """An address of *length* characters that a prefix pattern reaches and ``$`` refuses."""
    return head + "a" * max(0, length - len(head) - 3) + "/\n\n"


def _filter_case(pattern: str, kind: str, head: str = "/") -> Callable[[int], Callable[[], Any]]:
    def make(length: int) -> Callable[[], Any]:
        method = oscmethod.MethodFilter(pattern, _noop, patternkind=kind)
        address = _almost(length, head)
        return lambda: method.match(address)

    return make


def _index_case(pattern: str, kind: str, head: str = "/") -> Callable[[int], Callable[[], Any]]:
    def make(length: int) -> Callable[[], Any]:
        index = oscmethod.MethodIndex(cache_size=0)
        index.add(oscmethod.MethodFilter(pattern, _noop, patternkind=kind))
        address = _almost(length, head)
        return lambda: index.match(address)

    return make


def _message_side_case(length: int) -> Callable[[], Any]:
    """A peer's pattern ``/a*a*…a*b`` against 10 literal spec methods ``/aaaa…``."""
    index = oscmethod.MethodIndex(cache_size=0)
    for i in range(10):
        index.add(oscmethod.MethodFilter("/" + "a" * (i + 1), _noop, patternkind="spec"))
    pattern = "/" + "a*" * max(1, (length - 2) // 2) + "b"
    return lambda: index.match(pattern)


CASES: dict[str, Callable[[int], Callable[[], Any]]] = {
    "osc '/*' filter": _filter_case("/*", "osc"),
    "osc '/a*/b{c,d}' filter": _filter_case("/a*/b{c,d}", "osc"),
    "osc '/a' (literal) filter": _filter_case("/a", "osc"),
    "spec '/*' (handler-side) filter": _filter_case("/*", "spec"),
    "osc '/*' index": _index_case("/*", "osc"),
    "re '^/[^/]*.*$' index": _index_case("^/[^/]*.*$", "re"),
    "spec message-side '/a*a*…b' index": _message_side_case,
}


def per_char(make: Callable[[int], Callable[[], Any]], length: int, budget: float) -> list[float]:
    """Nanoseconds per character of one call: the first call, then three timed loops (the
    table shows the best); empty when the first call exceeds *budget*."""
    call = make(length)
    start = time.perf_counter()
    call()
    once = time.perf_counter() - start
    if once > budget:
        return []
    loops = max(1, int(0.02 / max(once, 1e-7)))
    times = [once]
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(loops):
            call()
        times.append((time.perf_counter() - start) / loops)
    return [seconds / length * 1e9 for seconds in times]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--budget", type=float, default=0.5, help="seconds one call may take")
    parser.add_argument("--twin", choices=["cython", "python"], action="append")
    add_json_option(parser)
    options = parser.parse_args(argv)
    results = (
        Results(
            "compare_pattern_length.py",
            "one match of a worst-case address ('/aaa…a/\\n\\n') per pattern kind, 64 B to "
            "64 KB; nanoseconds per address character, best of the first call and three loops",
            sys.argv[1:] if argv is None else argv,
            False,
        )
        if options.json
        else None
    )
    # The index logs each address too long for pattern matching: not what is measured.
    logging.getLogger("oscwire.oscmethod").setLevel(logging.ERROR)
    compiled = _accel.compiled_available("matcher")
    twins = options.twin or (["cython", "python"] if compiled else ["python"])
    if not compiled and "cython" in twins:
        # A pure install (no compiler): measure what there is, and say so.
        print("compiled matcher not built: the pure twin is measured instead", file=sys.stderr)
        twins = [twin for twin in twins if twin != "cython"] or ["python"]
    header = ["case", *(f"{n} B" for n in LENGTHS)]
    for twin in twins:
        use_twin(twin)
        rows = []
        for name, make in CASES.items():
            cells = [name]
            over = False
            for length in LENGTHS:
                samples = [] if over else per_char(make, length, options.budget)
                over = not samples
                cells.append(">budget" if over else f"{min(samples):.1f}")
                if results is not None:
                    results.add(
                        "pattern-length",
                        name,
                        f"oscwire {twin}",
                        unit="ns/char",
                        statistic="min",
                        samples=samples,
                        implementation=twin,
                        length=length,
                        over_budget=over,
                    )
            rows.append(cells)
        print(f"\nns per address character, matcher twin {twin}")
        print(format_table(header, rows, options.markdown))
    if results is not None:
        results.write(options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
