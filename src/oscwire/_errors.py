"""The exception hierarchy, shared by the compiled and the pure twins.

Every error oscwire raises about OSC data derives from :class:`OSCError`. The classes
keep osc4py3's names; those about bad values also derive from :class:`ValueError`, which
is what osc4py3 code sometimes leaked, so ``except ValueError`` in old callers still works.
"""

from __future__ import annotations

import re


class OSCError(Exception):
    """Base class of every OSC error raised by oscwire."""


class OSCInvalidRawError(OSCError, ValueError):
    """Raw bytes that are not a valid OSC packet (truncated, misaligned, bad sizes...)."""


class OSCCorruptedRawError(OSCInvalidRawError):
    """Raw bytes failed an integrity check (checksum, signature, decryption)."""


class OSCUnknownTypetagError(OSCError, ValueError):
    """A type tag that oscwire does not know, or that options forbid."""


class OSCInternalBugError(OSCError):
    """An inconsistency inside oscwire itself: please report it."""


class OSCInvalidDataError(OSCError, ValueError):
    """A Python value that cannot be encoded as requested."""


class OSCInvalidSignatureError(OSCError, ValueError):
    """An authentication signature that does not verify."""


class OSCFramingError(OSCInvalidRawError):
    """A stream or SLIP framing error.

    ``packets`` holds the complete packets decoded from the same chunk before the error,
    so that a caller who catches the error loses nothing.
    """

    def __init__(self, message: str, packets: list[bytes] | None = None) -> None:
        super().__init__(message)
        self.packets: list[bytes] = packets if packets is not None else []


class OSCPacketTooLargeError(OSCFramingError):
    """A framed packet (SLIP frame or size-prefixed) exceeds the configured maximum."""


class OSCPatternError(OSCError, ValueError):
    """A malformed OSC address pattern (unclosed ``[`` or ``{``, no leading ``/``...)."""


class OSCInvalidAddressError(OSCError, ValueError):
    """An address registered for a method that is not a valid literal OSC address."""


class OSCUnknownChannelError(OSCError, LookupError):
    """A send to a channel name that no writer channel has (the known names are listed)."""


class OSCSendError(OSCError, OSError):
    """A packet the operating system refused to send, for a reason the program can fix (a
    datagram too large for UDP); the ``errno`` of the refusal is kept."""


class OSCRegexError(OSCPatternError, re.error):
    """A pattern of a regex-based kind ("osc", "re") whose regular expression is invalid.

    Also a :class:`re.error`, which is what osc4py3 raised, so ``except re.error`` in an
    osc4py3 program still works; ``msg``, ``pattern`` and ``pos`` are those of the regex
    error when there was one (``pos`` is None otherwise).
    """

    def __init__(self, message: str, cause: re.error | None = None) -> None:
        OSCPatternError.__init__(self, message)
        self.msg = message
        self.pattern = cause.pattern if cause is not None else None
        self.pos = cause.pos if cause is not None else None
        # re.error sets them to None too when it has no position (typeshed says int).
        self.lineno = cause.lineno if cause is not None else None  # type: ignore[assignment]
        self.colno = cause.colno if cause is not None else None  # type: ignore[assignment]


class OSCArgschemeError(OSCError, ValueError, RuntimeError):
    """An unknown argument scheme given to a MethodFilter.

    Also a :class:`RuntimeError`, which is what osc4py3 raised, and a :class:`ValueError`,
    which is what earlier oscwire versions raised.
    """


class OSCHandlerSignatureError(OSCError, TypeError):
    """A handler whose signature cannot take the arguments its argument scheme passes."""
