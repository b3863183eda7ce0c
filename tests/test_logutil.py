"""Rate-limited logging: first occurrences in full, then counted summaries, never silent."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

from oscwire._logutil import LogThrottle, flush_all, suppressed_total


def _records(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def test_first_in_full_then_counted_and_flushed(caplog) -> None:
    logger = logging.getLogger("oscwire.test.throttle")
    throttle = LogThrottle(logger, full=2, interval=3600)
    before = suppressed_total()
    with caplog.at_level(logging.WARNING, logger="oscwire.test.throttle"):
        for number in range(10):
            throttle.log(logging.WARNING, "h", "failures of handler 'h'", "fail %d", number)
        assert _records(caplog) == ["fail 0", "fail 1"]
        assert throttle.suppressed == 8
        assert suppressed_total() - before == 8
        throttle.flush()
        assert (
            _records(caplog)[-1] == "…and 8 more failures of handler 'h' (only the first are shown)"
        )
        throttle.flush()  # nothing new: no second summary
        assert len(caplog.records) == 3


def test_causes_are_separate_and_bounded(caplog) -> None:
    logger = logging.getLogger("oscwire.test.throttle2")
    throttle = LogThrottle(logger, interval=3600, max_causes=3)
    with caplog.at_level(logging.WARNING, logger="oscwire.test.throttle2"):
        for cause in range(10):
            throttle.log(logging.WARNING, cause, f"lines of {cause}", "line %d", cause)
    # Causes 0..2 have their own entry; the rest share one, logged in full once.
    assert _records(caplog) == ["line 0", "line 1", "line 2", "line 3"]
    assert throttle.suppressed == 6


def test_summary_after_interval(caplog) -> None:
    logger = logging.getLogger("oscwire.test.throttle3")
    throttle = LogThrottle(logger, interval=0.0)
    with caplog.at_level(logging.WARNING, logger="oscwire.test.throttle3"):
        throttle.log(logging.WARNING, "x", "bad packets from x", "first")
        throttle.log(logging.WARNING, "x", "bad packets from x", "second")
    assert _records(caplog) == [
        "first",
        "…and 1 more bad packets from x (only the first are shown)",
    ]


def test_forget_reports_pending(caplog) -> None:
    logger = logging.getLogger("oscwire.test.throttle4")
    throttle = LogThrottle(logger, interval=3600)
    with caplog.at_level(logging.WARNING, logger="oscwire.test.throttle4"):
        for _ in range(3):
            throttle.log(logging.WARNING, "c", "things", "thing")
        throttle.forget("c")
        throttle.forget("c")
    assert _records(caplog) == ["thing", "…and 2 more things (only the first are shown)"]
    assert throttle.count("c") == 0


def test_reaches_stderr_without_logging_configured() -> None:
    """No logging set up: the traceback and the summary reach stderr (last resort)."""
    program = textwrap.dedent(
        """
        import logging
        import oscwire
        from oscwire._logutil import LogThrottle
        throttle = LogThrottle(logging.getLogger("oscwire.demo"), interval=3600)
        for n in range(5):
            try:
                raise ValueError(f"boom {n}")
            except ValueError:
                throttle.log(logging.ERROR, "h", "failures of handler 'h'",
                             "handler failed", exc_info=True)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    assert "handler failed" in result.stderr
    assert "ValueError: boom 0" in result.stderr
    assert "boom 1" not in result.stderr
    # Reported at exit, not lost.
    assert "…and 4 more failures of handler 'h'" in result.stderr


def test_flush_all_flushes_live_throttles(caplog) -> None:
    logger = logging.getLogger("oscwire.test.throttle5")
    throttle = LogThrottle(logger, interval=3600)
    with caplog.at_level(logging.WARNING, logger="oscwire.test.throttle5"):
        throttle.log(logging.WARNING, 1, "ones", "one")
        throttle.log(logging.WARNING, 1, "ones", "one")
        flush_all()
    assert _records(caplog)[-1] == "…and 1 more ones (only the first are shown)"
