"""The speeds the docs state are those of one committed benchmark run, and name it.

No benchmark runs here (a timing is no test): ``bench/compare/run_all.py`` measured, its
JSON is committed under ``bench/results/<run-id>/``, and ``bench/compare/render.py`` turns
it into the tables between ``<!-- bench:NAME -->`` and ``<!-- /bench -->`` and into
``docs/_static/performance.svg``. These tests check that the pages are what ``render.py``
makes of the committed run (cell by cell, in-process), that every page quotes the same
run, that the run is a whole real one, that the figure is drawn from it and shown, and
that prose quoting a figure names its run: each sentence stating a ratio, each paragraph
stating a rate or a time. The pipeline itself is tested on a ``--quick`` run into a
temporary directory.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPARE = ROOT / "bench" / "compare"
RESULTS = ROOT / "bench" / "results"
if str(COMPARE) not in sys.path:
    sys.path.insert(0, str(COMPARE))

import _results  # noqa: E402
import render  # noqa: E402
import run_all  # noqa: E402

#: The pages whose figures come from a run (those with marked tables, and the others that
#: state speeds in prose).
PAGES = [
    ROOT / "README.md",
    *(
        ROOT / "docs" / name
        for name in (
            "asyncio.md",
            "client-server.md",
            "codec.md",
            "framing.md",
            "index.md",
            "matching.md",
            "performance.md",
            "pyliblo3.md",
            "python-osc.md",
            "runtime.md",
            "tcp.md",
        )
    ),
]
SOURCE = re.compile(r"^run `([^`]+)`, `python bench/compare/([a-z_]+)\.py`$")
RUN_NAMED = re.compile(r"run `([^`]+)`")
#: A ratio: ``2.5×``, ``31×``, ``23.8x`` (not ``2×2``, an array's shape, nor ``0x…``).
RATIO = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?[×x](?![\w×…])")
#: A measured rate or time: ``424k msgs/s``, ``1,139,000 msgs/s``, ``0.3 µs``, ``61 ns``.
MEASURE = re.compile(
    r"\d[\d,.]*\s?[kM]?\s?(?:msgs/s|messages per second|messages a second)|\d\s?(?:µs|ns)\b"
)
FENCE = re.compile(r"^```")


class Block(NamedTuple):
    """A marked block of a page: its view name, its line, the lines between its markers."""

    page: str
    name: str
    line: int
    lines: list[str]


def marked_blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").split("\n")
    found = []
    for index, line in enumerate(lines):
        opening = render.OPEN.match(line)
        if opening:
            end = lines.index(render.CLOSE, index + 1)
            page = str(path.relative_to(ROOT))
            found.append(Block(page, opening.group(1), index + 1, lines[index + 1 : end]))
    return found


BLOCKS = [block for page in render.pages(ROOT) for block in marked_blocks(page)]


def cells(lines: list[str]) -> list[list[str]]:
    """The table rows of *lines* (header included, the ``---`` line left out)."""
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    return [row for line, row in zip(lines, rows) if line.startswith("|") and "---" not in line]


def run_of(block: Block) -> str:
    """The run id a block's source line names."""
    sources = [SOURCE.match(line) for line in block.lines]
    named = [match.group(1) for match in sources if match]
    assert len(named) == 1, f"{block.page}:{block.line}: no source line 'run `…`, `python …`'"
    return named[0]


def real_runs() -> list[str]:
    return sorted(path.parent.name for path in RESULTS.glob("*/run.json"))


# ------------------------------------------------------------------ tables and the run
def test_pages_have_the_tables() -> None:
    """performance.md holds a table of every view (the others hold some of them)."""
    names = {block.name for block in BLOCKS if block.page == "docs/performance.md"}
    assert names == set(render.VIEWS) - {"udp-capacity", "udp-burst", "udp-send", "pattern-length"}


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: f"{b.page}:{b.line}:{b.name}")
def test_marked_table_is_what_the_run_gives(block: Block) -> None:
    run = render.load_run(RESULTS / run_of(block))
    expected = render.render_block(block.name, run)
    shown, wanted = cells(block.lines), cells(expected)
    assert [row[0] for row in shown] == [row[0] for row in wanted], f"{block.page}: rows"
    for row, want in zip(shown, wanted):
        for column, (cell, expected_cell) in enumerate(zip(row, want)):
            assert cell == expected_cell, (
                f"{block.page}:{block.line} {block.name}, row {row[0]!r}, column "
                f"{wanted[0][column]!r}: the page says {cell!r}, run {run.run_id} gives "
                f"{expected_cell!r} (python bench/compare/render.py rewrites the pages)"
            )
    assert block.lines == expected, f"{block.page}:{block.line}: rerun render.py"


def test_every_page_is_what_render_makes_of_its_run() -> None:
    run = render.load_run(RESULTS / run_of(BLOCKS[0]))
    for page in render.pages(ROOT):
        text = page.read_text(encoding="utf-8")
        assert render.render_page(text, run) == text, f"{page.name}: rerun render.py"


def test_pages_quote_one_run_the_newest() -> None:
    quoted = {run_of(block) for block in BLOCKS}
    assert quoted == {render.newest_run(RESULTS).name}, quoted


def test_committed_runs_are_whole_real_runs() -> None:
    assert real_runs(), "no run committed under bench/results/"
    for name in real_runs():
        directory = RESULTS / name
        info = json.loads((directory / "run.json").read_text(encoding="utf-8"))
        assert info["run_id"] == name
        assert info["quick"] is False, f"{name} is a --quick run: not to be committed"
        assert info["uptime_before"] and info["uptime_after"], "the load is noted"
        assert re.fullmatch(r"[0-9a-f]{40}", info["git"]["commit"]), "the commit measured"
        scripts = {step["script"]: step for step in info["steps"]}
        assert set(scripts) == {step.script for step in run_all.STEPS}, f"{name}: not whole"
        for script, step in scripts.items():
            assert step["returncode"] == 0, f"{name}: {script} failed"
            document = json.loads((directory / f"{Path(script).stem}.json").read_text())
            assert document["format"] == _results.FORMAT and document["quick"] is False
            assert document["meta"]["cpu_count"] and document["meta"]["versions"]["oscwire"]
            for m in document["measurements"]:
                assert m["library"] in _results.LIBRARIES
                assert (m["library"] == "oscwire") == (m["implementation"] is not None)


# ------------------------------------------------------------------------------ figure
def test_figure_is_drawn_from_the_quoted_run_and_shown() -> None:
    figure = render.FIGURE
    assert figure.is_file(), "python bench/compare/render.py draws it (matplotlib, dev extra)"
    svg = figure.read_text(encoding="utf-8")
    assert f"run {run_of(BLOCKS[0])}" in svg, "the figure is of the run the tables quote"
    assert len(svg) < 150_000, "a small figure"
    page = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    assert re.search(r"!\[[^\]]+\]\(_static/performance\.svg\)", page), "shown on the page"


# ------------------------------------------------------------------------------- prose
def paragraphs(path: Path) -> list[tuple[int, str]]:
    """(first line, text) of each paragraph or list item outside code, tables and marked
    blocks."""
    found: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    skipping = None  # the line that ends what is skipped: a fence or a block's end

    def flush() -> None:
        if current:
            found.append((start, " ".join(current)))
            current.clear()

    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if skipping is not None:
            if (skipping == "```" and FENCE.match(line)) or line == skipping:
                skipping = None
            continue
        if FENCE.match(line) or render.OPEN.match(line):
            flush()
            skipping = "```" if FENCE.match(line) else render.CLOSE
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "|", "<!--")):
            flush()
            continue
        if re.match(r"^([*-]|\d+\.)\s", stripped):
            flush()
        if not current:
            start = number
        current.append(stripped)
    flush()
    return found


def sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+(?=[A-Z`(*\[])", text)


def _named_runs(text: str) -> list[str]:
    return RUN_NAMED.findall(text)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_ratio_sentences_name_a_committed_run(page: Path) -> None:
    runs = set(real_runs())
    for line, paragraph in paragraphs(page):
        for sentence in sentences(paragraph):
            if RATIO.search(sentence):
                named = _named_runs(sentence)
                assert named, f"{page.name}:{line}: a ratio without its run: {sentence!r}"
                assert set(named) <= runs, f"{page.name}:{line}: no such run {named}"
        if MEASURE.search(paragraph):
            named = _named_runs(paragraph)
            assert named, f"{page.name}:{line}: figures without their run: {paragraph!r}"
            assert set(named) <= runs, f"{page.name}:{line}: no such run {named}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_tables_of_figures_are_rendered(page: Path) -> None:
    """A table stating ratios or rates is a marked block, rendered from the run."""
    marked = {i for b in marked_blocks(page) for i in range(b.line, b.line + len(b.lines))}
    for number, line in enumerate(page.read_text(encoding="utf-8").split("\n")):
        if line.startswith("|") and number not in marked:
            assert not (RATIO.search(line) or MEASURE.search(line)), (
                f"{page.name}:{number + 1}: figures in a table no run renders: {line!r}"
            )


# ------------------------------------------------------------------ render's formatting
@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1_943_211.0, "1.94M"),
        (999_600.0, "1M"),
        (424_400.0, "424k"),
        (6_931.0, "6.93k"),
        (14_649.0, "14.6k"),
        (950.0, "950"),
        (None, "–"),
    ],
)
def test_rates_read_in_three_digits(value: float | None, text: str) -> None:
    assert render.rate(value) == text


def test_ratios_and_durations() -> None:
    assert render.ratio(424e3, 170e3) == "2.5×"
    assert render.ratio(3.1e6, 1e5) == "31×"
    assert render.ratio(60e3, 170e3) == "0.35×"
    assert render.ratio(1.0, None) == "–"
    assert render.duration(6.1e-8) == "61 ns"
    assert render.duration(1.414e-6) == "1.41 µs"
    assert render.duration(2.5e-3) == "2.5 ms"
    assert render.micros(1.1e-4) == "110"


def test_an_unknown_view_or_an_open_block_is_an_error(tmp_path: Path) -> None:
    run = render.load_run(RESULTS / run_of(BLOCKS[0]))
    with pytest.raises(render.RunError, match="no view named 'codex'"):
        render.render_page("<!-- bench:codex -->\n<!-- /bench -->", run)
    with pytest.raises(render.RunError, match="is not closed by <!-- /bench -->"):
        render.render_page("<!-- bench:codec -->\n", run)
    with pytest.raises(render.RunError, match=r"holds no run\.json"):
        render.load_run(tmp_path)


# ------------------------------------------------------------------------ the pipeline
def test_results_refuse_a_cell_that_names_no_library_or_twin(tmp_path: Path) -> None:
    results = _results.Results("x.py", "nothing", [], quick=True)
    with pytest.raises(ValueError, match=r"no library of .* starts the label 'pyosc'"):
        results.add("g", "w", "pyosc", unit="s/op", statistic="min", samples=[1.0])
    with pytest.raises(ValueError, match="an oscwire twin, and only oscwire's, is named"):
        results.add("g", "w", "oscwire x", unit="s/op", statistic="min", samples=[1.0])
    with pytest.raises(ValueError, match="unknown statistic 'mean'"):
        results.add("g", "w", "raw x", unit="s/op", statistic="mean", samples=[1.0])
    results.add("g", "w", "raw x", unit="s/op", statistic="median", samples=[3.0, 1.0, 2.0])
    results.write(tmp_path / "x.json")
    written = json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))
    assert written["measurements"][0]["value"] == 2.0
    assert written["meta"]["load_average_end"] and written["meta"]["python"]


def test_a_failing_pure_twin_subprocess_is_raised(tmp_path: Path) -> None:
    script = tmp_path / "fails.py"
    script.write_text("import sys\nsys.exit('cannot measure: no socket')\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"fails\.py on the pure twins exited 1:\ncannot"):
        _results.measure_pure_twin(str(script), [])


def test_quick_run_feeds_render_and_is_refused_for_the_docs(tmp_path: Path) -> None:
    out = tmp_path / "quick"
    command = [sys.executable, str(COMPARE / "run_all.py"), "--quick", "--out", str(out)]
    done = subprocess.run(
        [*command, "--only", "pattern_length", "--run-id", "quick-test"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout
    run = render.load_run(out)
    assert run.run_id == "quick-test" and run.quick
    page = "<!-- bench:pattern-length -->\n<!-- /bench -->\n"
    rendered = render.render_page(page, run)
    rows = cells(rendered.split("\n"))
    assert rows[0][1:] == [f"{n} B" for n in (64, 256, 1024, 4096, 16384, 65536)]
    assert [row[0] for row in rows[1:]][:2] == ["osc `/*` filter", "osc `/a*/b{c,d}` filter"]
    assert "run `quick-test`, `python bench/compare/compare_pattern_length.py`" in rendered
    refused = subprocess.run(
        [sys.executable, str(COMPARE / "render.py"), str(out), "--check", "--no-plot"],
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "run quick-test is a --quick run: its figures are no measurements" in refused.stderr
