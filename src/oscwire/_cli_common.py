"""What the ``oscwire`` subcommands share: their errors, exit statuses and stderr lines.

A subcommand reports a problem by raising :class:`CliError` (exit status 1) or
:class:`UsageError` (a wrong command line: exit status 2); :func:`oscwire.cli.main` turns
it into one line on stderr, ``oscwire <command>: <message>``. What the runtime logs while a
command runs goes through :func:`command_logger`, which prints the same kind of line: no
logging configuration is needed to see it, and never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import Optional

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
#: Exit status after a broken pipe on stdout, as a C tool killed by SIGPIPE (128 + 13).
EXIT_BROKEN_PIPE = 141


class CliError(Exception):
    """An error the command reports in one line on stderr, with exit status 1."""

    status = EXIT_FAILURE


class UsageError(CliError):
    """A wrong command line (bad value, port, URL, unknown host): exit status 2."""

    status = EXIT_USAGE


def parse_port(text: str) -> int:
    """A port number in 0..65535 from its command-line *text*."""
    stripped = text.strip()
    if not stripped.isdigit() or not stripped.isascii():
        raise UsageError(f"port {text!r} is not a number in 0..65535")
    port = int(stripped)
    if port > 65535:
        raise UsageError(f"port {port} is out of range 0..65535")
    return port


class _OneLineFormatter(logging.Formatter):
    """``oscwire <command>: message``; an exception adds its type and text, never a traceback."""

    def formatException(self, ei: object) -> str:
        error = ei[1] if isinstance(ei, tuple) and len(ei) > 1 else None
        if error is None:
            return ""
        return f"{type(error).__name__}: {error}"

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return " ".join(text.split("\n"))


class _StderrHandler(logging.Handler):
    """Writes to the ``sys.stderr`` of the moment (tests and redirections replace it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def command_logger(command: str, level: int = logging.WARNING) -> logging.Logger:
    """The logger a command gives the runtime: its lines go to stderr, one per record,
    prefixed ``oscwire <command>:``, whatever the program's logging configuration."""
    logger = logging.getLogger(f"oscwire.cli.{command}")
    if not any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(_OneLineFormatter(f"oscwire {command}: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


def error_line(command: Optional[str], message: str) -> str:
    """The one line that reports *message* for *command* (None: before one was parsed)."""
    prefix = f"oscwire {command}" if command else "oscwire"
    return f"{prefix}: {' '.join(message.split())}"


def silence_stdout() -> None:
    """After a broken pipe: send what Python still flushes at exit to /dev/null, so that
    it does not end with an error about stdout."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
