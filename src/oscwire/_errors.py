"""The exception hierarchy, shared by the compiled and the pure twins.

Every error oscwire raises about OSC data derives from :class:`OSCError`. The classes
keep osc4py3's names; those about bad values also derive from :class:`ValueError`, which
is what osc4py3 code sometimes leaked, so ``except ValueError`` in old callers still works.

Where osc4py3 1.0.8 leaked a standard exception for the same input (``struct.error`` for a
truncated field, ``UnicodeDecodeError`` for a string its codec refused, ...), the codec
raises a subclass that is both the ``OSCError`` and that exception, so ``except`` clauses
written for osc4py3 still catch it.
"""

from __future__ import annotations

import re
import struct
from typing import Any


class OSCError(Exception):
    """Base class of every OSC error raised by oscwire."""


class OSCInvalidRawError(OSCError, ValueError):
    """Raw bytes that are not a valid OSC packet (truncated, misaligned, bad sizes...)."""


class OSCTruncatedRawError(OSCInvalidRawError, struct.error):
    """A fixed-size field (number, time tag, size) that runs past the end of the data.

    Also a ``struct.error``, which osc4py3 leaked for the same packets.
    """


class OSCElementSizeError(OSCInvalidRawError, IndexError):
    """A bundle element whose size is zero or negative.

    Also an ``IndexError``, which osc4py3 leaked for the same packets.
    """


class OSCStringDecodeError(OSCInvalidRawError, UnicodeDecodeError):
    """An OSC-string whose bytes the ``str_decode`` codec refuses.

    Also a ``UnicodeDecodeError`` (with its ``encoding``, ``object``, ``start``, ``end`` and
    ``reason``), which osc4py3 leaked for the same packets.
    """

    def __init__(self, message: str, error: UnicodeDecodeError) -> None:
        UnicodeDecodeError.__init__(
            self, error.encoding, error.object, error.start, error.end, error.reason
        )
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        original = UnicodeDecodeError(self.encoding, self.object, self.start, self.end, self.reason)
        return (type(self), (self.message, original))


class OSCCorruptedRawError(OSCInvalidRawError):
    """Raw bytes failed an integrity check (checksum, signature, decryption)."""


class OSCUnknownTypetagError(OSCError, ValueError):
    """A type tag that oscwire does not know, or that options forbid."""


class OSCInternalBugError(OSCError):
    """An inconsistency inside oscwire itself: please report it."""


class OSCInvalidDataError(OSCError, ValueError):
    """A Python value that cannot be encoded as requested."""


class OSCValueRangeError(OSCInvalidDataError, OverflowError, struct.error):
    """A number outside what its type tag holds (int32, int64, float32, a byte...).

    Also an ``OverflowError`` and a ``struct.error``, which osc4py3 leaked for such values.
    """


class OSCValueTypeError(OSCInvalidDataError, TypeError):
    """A value of a type its type tag cannot take (``None`` for ``i``, ``5`` for ``b``...).

    Also a ``TypeError``, which osc4py3 leaked for such values.
    """


class OSCNoTypeError(OSCValueTypeError, RuntimeError):
    """A value auto-typing has no OSC type for (a ``dict``, an ``object()``...).

    Also a ``RuntimeError``, which osc4py3 raised for it (and a ``TypeError``).
    """


class OSCMissingArgumentError(OSCInvalidDataError, IndexError):
    """Type tags that describe more arguments than the message has.

    Also an ``IndexError``, which osc4py3 leaked for it.
    """


class OSCStringEncodeError(OSCInvalidDataError, UnicodeEncodeError):
    """A string the ``str_encode`` (or ``char_encode``) codec refuses.

    Also a ``UnicodeEncodeError`` (with its fields), which osc4py3 leaked for such strings.
    """

    def __init__(self, message: str, error: UnicodeEncodeError) -> None:
        UnicodeEncodeError.__init__(
            self, error.encoding, error.object, error.start, error.end, error.reason
        )
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        original = UnicodeEncodeError(self.encoding, self.object, self.start, self.end, self.reason)
        return (type(self), (self.message, original))


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
