"""Method filters: which function an OSC message calls, and how its arguments are built.

A :class:`MethodFilter` ties an address pattern to a function, as osc4py3's does (same
name, signature, attributes and ``OSCARG_*`` argument schemes, combinable with ``+``).
Three kinds of patterns (``patternkind``):

* ``"osc"`` — osc4py3's semantics, kept for its programs: the filter's pattern is
  matched against the incoming address from its start, and anything may follow
  (``/test`` also matches ``/test/sub`` and ``/testing``);
* ``"spec"`` — OSC 1.0/1.1 exactly: a literal address, matched in full; a message whose
  address is a pattern (``/mixer/*/fader``) reaches every literal address it matches.
  A spec filter may also hold a pattern itself (handler-side, full match);
* ``"re"`` — a raw Python regular expression (``re.match``), as in osc4py3.

:func:`match_pattern` is the spec matcher as a function, and :class:`MethodIndex` is what a
dispatcher uses to find the filters of an incoming address in flat time.
"""

from __future__ import annotations

import copy
import inspect
import logging
import re
import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Optional

from oscwire._accel import NO_EXTENSIONS
from oscwire._errors import (
    OSCArgschemeError,
    OSCHandlerSignatureError,
    OSCInvalidAddressError,
    OSCPatternError,
    OSCRegexError,
)
from oscwire._logutil import LogThrottle

# The matcher twin, chosen once (type checkers always see the pure one).
if TYPE_CHECKING or NO_EXTENSIONS:
    from oscwire import _matcher_py as _matcher
else:
    try:
        from oscwire import _matcher_c as _matcher
    except ImportError:
        from oscwire import _matcher_py as _matcher

#: The twin everything here calls through; tests and benchmarks may point it at the other
#: one (``_accel.load_twin("matcher", ...)``). Types come from ``_matcher``.
_impl: ModuleType = _matcher

__all__ = [
    "MAX_PATTERN_ADDRESS",
    "OSCARG_ADDRESS",
    "OSCARG_DATA",
    "OSCARG_DATAUNPACK",
    "OSCARG_EXTRA",
    "OSCARG_EXTRAUNPACK",
    "OSCARG_MESSAGE",
    "OSCARG_MESSAGEUNPACK",
    "OSCARG_METHODFILTER",
    "OSCARG_PACKOPT",
    "OSCARG_READERNAME",
    "OSCARG_READTIME",
    "OSCARG_SRCIDENT",
    "OSCARG_TYPETAGS",
    "PATTERN_CACHE_BYTES",
    "PATTERN_KINDS",
    "MethodFilter",
    "MethodIndex",
    "call_flat_failures",
    "call_methods",
    "call_methods_failures",
    "check_handler",
    "compile_pattern",
    "convert_osc2re",
    "has_wildcards",
    "match_pattern",
    "validate_address",
]

_log = logging.getLogger("oscwire.oscmethod")

# Argument schemes: one-item tuples, so that ``OSCARG_ADDRESS + OSCARG_DATAUNPACK`` lists
# the handler's parameters in order, as in osc4py3.
OSCARG_DATAUNPACK = ("data_unpack",)  # message arguments as N parameters
OSCARG_DATA = ("data",)  # message arguments as one tuple
OSCARG_MESSAGE = ("message",)  # the OSCMessage
OSCARG_MESSAGEUNPACK = ("message_unpack",)  # address, type tags, arguments
OSCARG_ADDRESS = ("address",)  # the message's address (pattern)
OSCARG_TYPETAGS = ("typetags",)  # the message's type tags
OSCARG_EXTRAUNPACK = ("extra_unpack",)  # the filter's extra, unpacked
OSCARG_EXTRA = ("extra",)  # the filter's extra as one parameter
OSCARG_METHODFILTER = ("methodfilter",)  # the MethodFilter itself
OSCARG_PACKOPT = ("packopt",)  # the packet options (may be None)
OSCARG_READERNAME = ("readername",)  # name of the channel that read the packet, or None
OSCARG_SRCIDENT = ("srcident",)  # source identification, e.g. (host, port), or None
OSCARG_READTIME = ("readtime",)  # when the packet was read, or None

_SCHEMES = frozenset(
    OSCARG_DATAUNPACK
    + OSCARG_DATA
    + OSCARG_MESSAGE
    + OSCARG_MESSAGEUNPACK
    + OSCARG_ADDRESS
    + OSCARG_TYPETAGS
    + OSCARG_EXTRAUNPACK
    + OSCARG_EXTRA
    + OSCARG_METHODFILTER
    + OSCARG_PACKOPT
    + OSCARG_READERNAME
    + OSCARG_SRCIDENT
    + OSCARG_READTIME
)

#: The accepted values of ``patternkind``.
PATTERN_KINDS = ("osc", "spec", "re")

# Characters never allowed in a part of a literal OSC address (OSC 1.0), plus controls.
_FORBIDDEN_IN_ADDRESS = frozenset(" #*,/?[]{}") | frozenset(map(chr, range(32))) | {"\x7f"}

has_wildcards: Callable[[str], bool] = _impl.has_wildcards


#: Bytes (estimated) that the cache of :func:`compile_pattern` holds at most.
PATTERN_CACHE_BYTES = 1 << 20
#: Patterns longer than this (characters) are compiled for each call, never cached.
PATTERN_CACHE_MAX_LENGTH = 256


def pattern_footprint(pattern: str) -> int:
    """An upper estimate of the bytes a compiled *pattern* and its cache entry take.

    Measured with tracemalloc on both twins: at most about 125 bytes per pattern
    character (a pattern of one-character parts, ``/?/?/?...``); this adds margin.
    """
    return 512 + 160 * len(pattern)


class _PatternCache:
    """:func:`compile_pattern`: compiled spec patterns in a cache bounded in bytes.

    Least recently used entries go first when the estimated total
    (:func:`pattern_footprint`) would pass ``max_bytes``; patterns longer than
    ``max_length`` are not cached at all. oscwire itself never caches a pattern a peer
    sent: the dispatcher compiles those for one lookup and keeps only its result.
    """

    def __init__(self, max_bytes: int, max_length: int) -> None:
        self.max_bytes = max_bytes
        self.max_length = max_length
        self._entries: OrderedDict[str, _matcher.CompiledPattern] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __call__(self, pattern: str) -> _matcher.CompiledPattern:
        """Compile a spec-semantics OSC pattern (cached); raises OSCPatternError."""
        with self._lock:
            cached = self._entries.get(pattern)
            if cached is not None:
                self._entries.move_to_end(pattern)
                return cached
        compiled: _matcher.CompiledPattern = _impl.compile_pattern(pattern)
        if type(pattern) is not str or len(pattern) > self.max_length:
            return compiled
        size = pattern_footprint(pattern)
        with self._lock:
            if pattern not in self._entries:
                while self._entries and self._bytes + size > self.max_bytes:
                    oldest, _ = self._entries.popitem(last=False)
                    self._bytes -= pattern_footprint(oldest)
                if self._bytes + size <= self.max_bytes:
                    self._entries[pattern] = compiled
                    self._bytes += size
        return compiled

    @property
    def cached_bytes(self) -> int:
        """Estimated bytes held now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def cache_clear(self) -> None:
        """Drop every cached pattern (as ``functools.lru_cache`` objects do)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0


compile_pattern = _PatternCache(PATTERN_CACHE_BYTES, PATTERN_CACHE_MAX_LENGTH)


def match_pattern(pattern: str, address: str) -> bool:
    """True when the literal *address* matches the OSC 1.0/1.1 *pattern* (full match).

    ``?``, ``*``, ``[...]``, ``[!...]``, ``{a,b}`` work inside one part (never across
    ``/``) and ``//`` stands for any number of levels. A malformed pattern raises
    :class:`~oscwire._errors.OSCPatternError`. Short patterns are cached
    (:func:`compile_pattern`, bounded in bytes).
    """
    return compile_pattern(pattern).match(address)


def validate_address(address: str) -> str:
    """Return *address* when it is a valid literal OSC address, else raise an error.

    A literal address starts with ``/`` and has non-empty parts holding none of
    ``space # * , / ? [ ] { }`` nor control characters. The error is
    :class:`~oscwire._errors.OSCInvalidAddressError` (a ``ValueError``).
    """
    if not isinstance(address, str):
        raise OSCInvalidAddressError(f"an OSC address is a str, not {type(address).__name__}")
    if not address.startswith("/"):
        raise OSCInvalidAddressError(f"an OSC address starts with '/': {address!r}")
    for part in address[1:].split("/"):
        if not part:
            raise OSCInvalidAddressError(f"empty part in OSC address {address!r}")
        bad = _FORBIDDEN_IN_ADDRESS.intersection(part)
        if bad:
            shown = ", ".join(repr(char) for char in sorted(bad))
            raise OSCInvalidAddressError(
                f"OSC address {address!r} holds {shown}, not allowed in an address part"
            )
    return address


# Characters with a meaning in a regular expression outside a character class.
_RE_SPECIAL = frozenset(".^$*+?{}[]\\|()")


def _convert_part(text: str) -> str:
    """Regex for a piece of osc-kind pattern (no braces handling needed inside braces)."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if text.startswith("//", i):
            # osc4py3's OSC 1.1 rendering: any characters, slashes included.
            out.append("/?.*/")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[" and text.find("]", i + 1) > i + 1:
            end = text.find("]", i + 1)
            body = text[i + 1 : end]
            head = "["
            if body.startswith("!"):
                head, body = "[^", body[1:]
            # Escape what the regex class syntax would read; keep '-' for ranges.
            body = "".join("\\" + c if c in "\\^[]&~|" else c for c in body)
            out.append(head + body + "]")
            i = end + 1
        else:
            # Only regex metacharacters are escaped, so repattern reads as osc4py3's does
            # ('-', ' ', '#'... are plain outside a class; re.escape would add '\\').
            out.append("\\" + char if char in _RE_SPECIAL else char)
            i += 1
    return "".join(out)


def convert_osc2re(expr: str) -> str:
    """The Python regular expression osc4py3's "osc" pattern kind matches with.

    ``*`` and ``?`` stay within a part, ``[!...]`` negates, ``{a,b}`` alternates, ``//``
    crosses any levels, other characters are literal, and the expression is anchored at
    the start only: whatever follows the pattern matches too (osc4py3's prefix rule).
    """
    out: list[str] = []
    i = 0
    n = len(expr)
    while i < n:
        start = i
        # Copy up to the next brace group.
        brace = expr.find("{", i)
        close = expr.find("}", brace + 1) if brace >= 0 else -1
        if brace < 0 or close < 0:
            out.append(_convert_part(expr[start:]))
            break
        out.append(_convert_part(expr[start:brace]))
        words = expr[brace + 1 : close].split(",")
        out.append("(?:" + "|".join("(?:" + _convert_part(w) + ")" for w in words) + ")")
        i = close + 1
    return "^" + "".join(out) + ".*$"


#: osc4py3's helper of its ``convert_osc2re``: finds a ``{word,word}`` list in a pattern
#: (group 1: the words). oscwire's :func:`convert_osc2re` does not use it.
optlistmatcher = re.compile(r"\{([^}]*)\}")


def optlistsubstituer(matchobj: re.Match[str]) -> str:
    """osc4py3's helper: the regular expression of a ``{word,word}`` list matched by
    :data:`optlistmatcher`, longest words first (``re.sub(optlistmatcher,
    optlistsubstituer, pattern)``). The words are not escaped, as in osc4py3."""
    words = sorted(matchobj.group(1).split(","), key=len, reverse=True)
    return "(?:" + "|".join(f"(?:{word})" for word in words) + ")"


def _default_packopt_copy(packopt: Any) -> Any:
    duplicate = getattr(packopt, "duplicate", None)
    return duplicate() if duplicate is not None else copy.copy(packopt)


# --- handler signatures --------------------------------------------------------------

# What each scheme passes, in words, for error messages.
_SCHEME_WORDS = {
    "data_unpack": "the message's arguments, one parameter each",
    "data": "the message's arguments as one tuple",
    "message": "the message",
    "message_unpack": "address, type tags and arguments (3 parameters)",
    "address": "the address",
    "typetags": "the type tags",
    "extra_unpack": "the items of extra",
    "extra": "extra",
    "methodfilter": "the MethodFilter",
    "packopt": "the packet options",
    "readername": "the reader's name",
    "srcident": "the source",
    "readtime": "the read time",
}

# First parameter names that can only mean "the OSC address" (python-osc's examples).
_ADDRESS_ONLY_NAMES = frozenset({"unused_addr", "osc_address", "address_pattern", "addrpattern"})
# Names that mean it when *args follows them: ``def handler(address, *args)``.
_ADDRESS_NAMES = frozenset({"address", "addr"}) | _ADDRESS_ONLY_NAMES


def _handler_name(function: Callable[..., Any]) -> str:
    name = getattr(function, "__qualname__", None)
    return repr(name) if isinstance(name, str) else repr(function)


def _scheme_counts(argscheme: Sequence[str], extra: Any) -> tuple[int, bool]:
    """(positional arguments the scheme always passes, True when more may come)."""
    fixed = 0
    variable = False
    for scheme in argscheme:
        if scheme == "data_unpack":
            variable = True
        elif scheme == "message_unpack":
            fixed += 3
        elif scheme == "extra_unpack":
            try:
                fixed += len(extra)
            except TypeError:
                variable = True  # extra may be set later; its size is not known now
        else:
            fixed += 1
    return fixed, variable


def check_handler(
    function: Callable[..., Any], argscheme: Sequence[str], extra: Any = None
) -> None:
    """Raise :class:`~oscwire._errors.OSCHandlerSignatureError` (a ``TypeError``) when
    *function* cannot take what *argscheme* passes it.

    Fixed schemes are checked exactly (``inspect.Signature.bind``). With
    ``OSCARG_DATAUNPACK`` the number of arguments is known only per message, so what can
    be known is checked: required keyword-only parameters, more fixed arguments than the
    function takes, and python-osc's ``def handler(address, *args)`` (its first parameter
    would receive the first OSC argument, not the address; see docs/matching.md).
    Callables without a signature (some builtins and C functions) are not checked.
    """
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return
    scheme = tuple(argscheme)
    fixed, variable = _scheme_counts(scheme, extra)
    passes = " + ".join(_SCHEME_WORDS.get(s, s) for s in scheme) or "no arguments"
    problem = _signature_problem(signature, scheme, fixed, variable)
    if problem is None:
        return
    raise OSCHandlerSignatureError(
        f"handler {_handler_name(function)} with signature {signature} cannot take what "
        f"argscheme {scheme!r} passes ({passes}): {problem}"
    )


def _signature_problem(
    signature: inspect.Signature, scheme: tuple[str, ...], fixed: int, variable: bool
) -> Optional[str]:
    """Why *signature* cannot take the arguments, with the fix; None when it can."""
    parameters = list(signature.parameters.values())
    positional = [
        p
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    star = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters)
    if not variable:
        try:
            signature.bind(*([None] * fixed))
        except TypeError as error:
            return f"{error}. Make its parameters match, or change argscheme"
        return None
    keyword_only = [
        p.name
        for p in parameters
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
    ]
    if keyword_only:
        return (
            f"required keyword-only parameter(s) {', '.join(keyword_only)} are never "
            "passed. Give them defaults, or make them positional"
        )
    if fixed > len(positional) and not star:
        return (
            f"it takes at most {len(positional)} positional argument(s) and argscheme "
            f"always passes {fixed} besides the message's arguments. Add parameters, or "
            "change argscheme"
        )
    if scheme[0] == "data_unpack" and positional:
        first = positional[0]
        follows = parameters[parameters.index(first) + 1 : parameters.index(first) + 2]
        after_star = bool(follows) and follows[0].kind is inspect.Parameter.VAR_POSITIONAL
        if first.name in _ADDRESS_ONLY_NAMES or (first.name in _ADDRESS_NAMES and after_star):
            return (
                f"its first parameter {first.name!r} looks like python-osc's address "
                "parameter, but OSCARG_DATAUNPACK passes the message's first argument there. "
                "To receive the address first, use argscheme=OSCARG_ADDRESS + "
                "OSCARG_DATAUNPACK; if that parameter really takes the first OSC argument, "
                "rename it"
            )
    return None


# --- the filter ----------------------------------------------------------------------

# Serialises failure counting and the lazy creation of a filter's log throttle.
_FAILURE_LOCK = threading.Lock()


class MethodFilter:
    """An address pattern and the function to call for the messages it matches.

    Attributes keep osc4py3's names: ``addrpattern``, ``function``, ``patternkind``,
    ``repattern`` / ``reobject`` (the regular expression of "osc" and "re" kinds, None for
    "spec"), ``argscheme``, ``needpackopt``, ``extra``, ``workqueue``, ``lock``, ``logger``.
    ``failures`` counts handler calls that raised (they are logged, never propagated).
    Malformed patterns raise :class:`~oscwire._errors.OSCPatternError`, invalid literal
    spec addresses :class:`~oscwire._errors.OSCInvalidAddressError` (both ``ValueError``);
    an invalid regular expression ("re", or an "osc" pattern whose osc4py3 regex would be
    invalid) raises :class:`~oscwire._errors.OSCRegexError`, also a ``re.error``; an
    unknown argument scheme :class:`~oscwire._errors.OSCArgschemeError`, also a
    ``RuntimeError``; a function that cannot take what the scheme passes
    :class:`~oscwire._errors.OSCHandlerSignatureError`, a ``TypeError``
    (:func:`check_handler`). It implements :class:`oscwire._dispatchable.Dispatchable`.
    """

    # fastfunc is a slot, read by the matcher twins for every call; __dict__ keeps
    # instances open to the extra attributes osc4py3 code may set on them.
    __slots__ = ("__dict__", "__weakref__", "fastfunc")

    #: The function when a call is just ``function(*message.arguments)``, else None.
    #: Read-only: it follows ``function``, ``argscheme``, ``workqueue`` and ``lock``. A
    #: dispatcher may call it directly (as :func:`call_methods` does) and must then report
    #: a raising call with :meth:`failed`.
    fastfunc: Optional[Callable[..., Any]]
    #: A handler whose result is a reply: the matcher twins call it as
    #: ``replyfunc(*arguments)`` (``replyfunc(address, *arguments)`` when ``replyaddress``)
    #: and pass a result that is not None to :meth:`answer`; None for osc4py3's filters,
    #: whose handlers' results mean nothing (see :mod:`oscwire._dispatchable`).
    replyfunc: Optional[Callable[..., Any]] = None
    replyaddress: bool = False

    def __init__(
        self,
        addrpattern: str,
        function: Callable[..., Any],
        patternkind: str = "osc",
        argscheme: Sequence[str] = OSCARG_DATAUNPACK,
        extra: Any = None,
        workqueue: Any = None,
        lock: Any = None,
        logger: Optional[logging.Logger] = None,
    ) -> None:
        if not callable(function):
            raise TypeError(f"MethodFilter function must be callable, not {function!r}")
        if patternkind not in PATTERN_KINDS:
            raise ValueError(f"OSC patternkind must be one of {PATTERN_KINDS}, not {patternkind!r}")
        if not isinstance(addrpattern, str):
            raise OSCPatternError(f"an address pattern is a str, not {type(addrpattern).__name__}")
        for scheme in argscheme:
            if scheme not in _SCHEMES:
                raise OSCArgschemeError(f"OSC MethodFilter unknown argument scheme {scheme!r}")
        check_handler(function, argscheme, extra)
        self.addrpattern = addrpattern
        self.patternkind = patternkind
        self.logger = logger
        self.extra = extra
        self.failures = 0
        self._throttle: Optional[LogThrottle] = None
        #: Literal part the index files this filter under (spec address, osc prefix), or None.
        self.literal: Optional[str] = None
        #: Compiled spec pattern for a handler-side spec pattern, else None.
        self.compiled: Any = None
        #: Compiled "osc" kind pattern (the twin's OscPattern), else None.
        self.oscpattern: Optional[_matcher.OscPattern] = None
        self.repattern: Optional[str] = None
        self.reobject: Optional[re.Pattern[str]] = None
        if patternkind == "spec":
            if has_wildcards(addrpattern):
                self.compiled = _impl.compile_pattern(addrpattern)
            else:
                self.literal = validate_address(addrpattern)
        else:
            if patternkind == "osc":
                # Matched by the twin's linear OscPattern; the regex is kept for osc4py3
                # code that reads repattern/reobject (running it can take quadratic time).
                self.oscpattern = _impl.compile_osc_pattern(addrpattern)
                self.literal = self.oscpattern.literal
                self.repattern = convert_osc2re(addrpattern)
            else:
                self.repattern = addrpattern
            try:
                self.reobject = re.compile(self.repattern)
            except re.error as error:
                raise OSCRegexError(
                    f"bad {patternkind} pattern {addrpattern!r}: {error}", error
                ) from None
        self._function = function
        self._argscheme = tuple(argscheme)
        self._workqueue = workqueue
        self._lock = lock
        self._refresh()

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "fastfunc":
            raise AttributeError(
                "MethodFilter.fastfunc is read-only: it follows function, argscheme, "
                "workqueue and lock"
            )
        object.__setattr__(self, name, value)

    # function, argscheme, workqueue and lock decide the fast path: keep it in step.
    def _refresh(self) -> None:
        self.needpackopt = OSCARG_PACKOPT[0] in self._argscheme
        simple = (
            self._argscheme == OSCARG_DATAUNPACK
            and self._workqueue is None
            and self._lock is None
            and self.plain_call()
        )
        object.__setattr__(self, "fastfunc", self._function if simple else None)

    def plain_call(self) -> bool:
        """True when a plain ``function(*arguments)`` call does this filter's whole job, so
        that a dispatcher may make it directly (:attr:`fastfunc`). A subclass that calls
        its handler itself (to use its result, say) returns False: then it is always
        called through :meth:`__call__`."""
        return True

    @property
    def function(self) -> Callable[..., Any]:
        return self._function

    @function.setter
    def function(self, value: Callable[..., Any]) -> None:
        self._function = value
        self._refresh()

    @property
    def argscheme(self) -> tuple[str, ...]:
        return self._argscheme

    @argscheme.setter
    def argscheme(self, value: Sequence[str]) -> None:
        self._argscheme = tuple(value)
        self._refresh()

    @property
    def workqueue(self) -> Any:
        return self._workqueue

    @workqueue.setter
    def workqueue(self, value: Any) -> None:
        self._workqueue = value
        self._refresh()

    @property
    def lock(self) -> Any:
        return self._lock

    @lock.setter
    def lock(self, value: Any) -> None:
        self._lock = value
        self._refresh()

    def __repr__(self) -> str:
        parts = [repr(self.addrpattern), repr(self._function)]
        if self.patternkind != "osc":
            parts.append(f"patternkind={self.patternkind!r}")
        if self._argscheme != OSCARG_DATAUNPACK:
            parts.append(f"argscheme={self._argscheme!r}")
        if self.extra is not None:
            parts.append(f"extra={self.extra!r}")
        if self._workqueue is not None:
            parts.append(f"workqueue={self._workqueue!r}")
        if self._lock is not None:
            parts.append(f"lock={self._lock!r}")
        return "MethodFilter(" + ", ".join(parts) + ")"

    def match(self, msgaddrpattern: str) -> bool:
        """True when a message sent to *msgaddrpattern* is for this filter (osc4py3 name).

        "osc" filters answer as osc4py3's regex does, in linear time. For a literal
        "spec" filter, an address holding wildcards is a message-side pattern matched
        against the filter's address (a malformed one matches nothing; it is compiled
        for this call only, never cached).
        """
        address = msgaddrpattern
        oscpattern = self.oscpattern
        if oscpattern is not None:
            return oscpattern.match(address)
        if self.reobject is not None:
            return self.reobject.match(address) is not None
        if self.compiled is not None:
            return bool(self.compiled.match(address))
        if address == self.literal:
            return True
        if self.literal is not None and has_wildcards(address):
            try:
                return bool(_impl.compile_pattern(address).match(self.literal))
            except OSCPatternError:
                return False
        return False

    def failed(self, what: str = "Failure in message processing") -> None:
        """Count and log (with the current exception) a call of this filter that raised.

        Call it from an ``except`` block when calling :attr:`fastfunc` yourself. The first
        failure of each kind (*what*) is logged with its traceback, on the filter's
        ``logger`` (else ``oscwire.oscmethod``); the next ones are counted and summed up
        in lines "…and N more failures of handler '/x' (<function f>)" (at most one per
        10 s, and when the filter is dropped or the program exits). ``failures`` counts
        every one.
        """
        with _FAILURE_LOCK:
            self.failures += 1
        self._log_throttle().log(
            logging.ERROR,
            what,
            f"failures of handler {self.addrpattern!r} ({self._function!r})",
            "OSC method %r (%r): %s",
            self.addrpattern,
            self._function,
            what,
            exc_info=True,
        )

    def __call__(self, message: Any, packopt: Any) -> None:
        """Build the handler's arguments from ``argscheme`` and call it (or queue the call).

        A handler that raises is logged and counted in ``failures``; nothing propagates.
        """
        fast = self.fastfunc
        if fast is not None:
            try:
                fast(*message.arguments)
            except Exception:
                self.failed()
            return
        if self.needpackopt and packopt is not None:
            # A copy, as the call may run later (workqueue) with its own options.
            packopt = _default_packopt_copy(packopt)
            packopt.message = message
            packopt.method = self
        args: list[Any] = []
        for scheme in self._argscheme:
            if scheme == "data_unpack":
                args.extend(message.arguments)
            elif scheme == "data":
                args.append(message.arguments)
            elif scheme == "message":
                args.append(message)
            elif scheme == "message_unpack":
                args.extend((message.addrpattern, message.typetags, message.arguments))
            elif scheme == "address":
                args.append(message.addrpattern)
            elif scheme == "typetags":
                args.append(message.typetags)
            elif scheme == "extra_unpack":
                try:
                    args.extend(self.extra)
                except TypeError:
                    self.failed("extra cannot be unpacked (OSCARG_EXTRAUNPACK)")
                    return
            elif scheme == "extra":
                args.append(self.extra)
            elif scheme == "methodfilter":
                args.append(self)
            elif scheme == "packopt":
                args.append(packopt)
            else:  # readername, srcident, readtime
                args.append(None if packopt is None else getattr(packopt, scheme, None))
        workqueue = self._workqueue
        if workqueue is None:
            self.protected_call(*args)
        elif getattr(workqueue, "terminated", False):
            # A message lost: said (on stderr without logging configured), rate-limited.
            self._log_throttle().log(
                logging.WARNING,
                "dismissed",
                f"messages dismissed by handler {self.addrpattern!r} ({self._function!r})",
                "OSC method %r (%r): message %s dismissed: its workqueue is terminated",
                self.addrpattern,
                self._function,
                message.addrpattern,
            )
        else:
            workqueue.send_callable(self.protected_call, tuple(args))

    def _log_throttle(self) -> LogThrottle:
        with _FAILURE_LOCK:
            throttle = self._throttle
            if throttle is None:
                throttle = LogThrottle(self.logger or _log)
                self._throttle = throttle
                weakref.finalize(self, throttle.flush)
        return throttle

    def protected_call(self, *args: Any) -> None:
        """Call the function with *args* under ``lock`` (if any); log and count failures."""
        lock = self._lock
        try:
            if lock is None:
                self._function(*args)
            else:
                # acquire()/release(), as osc4py3 calls them: any object with those two
                # methods works (not only context managers).
                lock.acquire()
                try:
                    self._function(*args)
                finally:
                    lock.release()
        except Exception:
            self.failed()


def call_methods(methods: Sequence[MethodFilter], message: Any, packopt: Any) -> int:
    """Call every filter of *methods* for *message*; return how many were called.

    The compiled twin calls the plain ``function(*arguments)`` filters directly, which is
    what makes fan-out to many handlers fast; failures are logged and counted as usual.
    """
    calls: int = _impl.call_methods(methods, message, packopt)
    return calls


#: ``call_methods_failures(methods, message, packopt) -> int``: call every filter of
#: *methods* for *message*, as :func:`call_methods` does (compiled fast path included), and
#: return how many calls failed — their handler raised, which is logged and counted in
#: that filter's ``failures`` and never propagated. The dispatcher's hot path.
call_methods_failures: Callable[[Sequence[MethodFilter], Any, Any], int] = (
    _impl.call_methods_failures
)

#: ``call_flat_failures(flat) -> (calls, failures)``: :data:`call_methods_failures` for
#: each ``methods, message, packopt`` triple of a flat list, in order (compiled loop); what
#: a handler thread runs for one batch of one source.
call_flat_failures: Callable[[list[Any]], tuple[int, int]] = _impl.call_flat_failures


class _Node:
    """A trie node: one level of registered literal spec addresses."""

    __slots__ = ("children", "methods")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.methods: list[MethodFilter] = []


#: Longest incoming address (characters) that pattern matching sees; see MethodIndex.
MAX_PATTERN_ADDRESS = 1024


def _cache_entry_bytes(address: str, result: tuple[MethodFilter, ...]) -> int:
    """Bytes one entry of a MethodIndex result cache takes (key, tuple, dict slot)."""
    return sys.getsizeof(address) + sys.getsizeof(result) + 64


class MethodIndex:
    """The registered filters of a dispatcher, found for an incoming address in flat time.

    Literal "spec" addresses sit in a dict (exact lookups) and in a trie of their parts
    (walked by message-side patterns such as ``/mixer/*/fader``); literal "osc" patterns
    sit in a dict of prefixes; other filters (patterns, "re") are tested one by one.
    Results are cached per address (bounded in entries and in bytes, cleared on
    add/remove). :meth:`match` returns filters in registration order, each once. Safe to
    use from several threads.

    Addresses longer than *max_pattern_address* characters get exact lookups only (literal
    "spec" addresses and literal "osc" prefixes): message-side patterns are not walked
    and pattern filters ("osc" with wildcards, handler-side "spec" patterns, "re") are not
    tried, because a raw regex can cost quadratic time or worse in the address's length.
    Each such address is counted in :attr:`too_long` and logged (rate-limited).
    """

    #: Addresses longer than this are not cached.
    MAX_CACHED_ADDRESS = 256

    def __init__(
        self,
        cache_size: int = 4096,
        cache_bytes: int = 2 << 20,
        max_pattern_address: int = MAX_PATTERN_ADDRESS,
    ) -> None:
        self._lock = threading.Lock()
        self._order: dict[MethodFilter, int] = {}
        self._counter = 0
        self._exact: dict[str, list[MethodFilter]] = {}
        self._trie = _Node()
        self._prefixes: dict[str, list[MethodFilter]] = {}
        self._prefix_lengths: list[int] = []
        self._scan: list[MethodFilter] = []
        self._cache: dict[str, tuple[MethodFilter, ...]] = {}
        self._cache_size = max(0, cache_size)
        self._cache_bytes = 0
        #: Bytes the result cache may hold (estimated with sys.getsizeof).
        self.cache_bytes = max(0, cache_bytes)
        #: Longest address that pattern matching sees (characters).
        self.max_pattern_address = max_pattern_address
        #: Lookups whose address was too long for pattern matching (and skipped some).
        self.too_long = 0
        self._throttle = LogThrottle(_log)

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[MethodFilter]:
        return iter(list(self._order))

    def __contains__(self, method: object) -> bool:
        return method in self._order

    def __repr__(self) -> str:
        return f"<MethodIndex of {len(self._order)} methods>"

    def add(self, method: MethodFilter) -> None:
        """Register *method* (adding the same filter twice keeps one registration)."""
        with self._lock:
            if method in self._order:
                return
            self._counter += 1
            self._order[method] = self._counter
            literal = method.literal
            if literal is not None and method.patternkind == "spec":
                self._exact.setdefault(literal, []).append(method)
                node = self._trie
                for name in literal[1:].split("/"):
                    node = node.children.setdefault(name, _Node())
                node.methods.append(method)
            elif literal is not None and method.patternkind == "osc":
                self._prefixes.setdefault(literal, []).append(method)
                self._prefix_lengths = sorted({len(p) for p in self._prefixes})
            else:
                self._scan.append(method)
            self.clear_cache()

    def remove(self, method: MethodFilter) -> bool:
        """Unregister *method*; False when it was not registered."""
        with self._lock:
            if self._order.pop(method, None) is None:
                return False
            literal = method.literal
            if literal is not None and method.patternkind == "spec":
                self._drop(self._exact, literal, method)
                path = [self._trie]
                for name in literal[1:].split("/"):
                    path.append(path[-1].children[name])
                path[-1].methods.remove(method)
                # Prune the branch that no longer leads to any method.
                names = literal[1:].split("/")
                for depth in range(len(names), 0, -1):
                    node = path[depth]
                    if node.methods or node.children:
                        break
                    del path[depth - 1].children[names[depth - 1]]
            elif literal is not None and method.patternkind == "osc":
                self._drop(self._prefixes, literal, method)
                self._prefix_lengths = sorted({len(p) for p in self._prefixes})
            else:
                self._scan.remove(method)
            self.clear_cache()
            return True

    def clear_cache(self) -> None:
        """Forget every cached result (add and remove do it themselves)."""
        self._cache.clear()
        self._cache_bytes = 0

    @staticmethod
    def _drop(table: dict[str, list[MethodFilter]], key: str, method: MethodFilter) -> None:
        methods = table[key]
        methods.remove(method)
        if not methods:
            del table[key]

    def match(self, address: str) -> list[MethodFilter]:
        """The filters a message sent to *address* is for, in registration order."""
        found = self._cache.get(address)
        if found is None:
            found = self._lookup(address)
        return list(found)

    def lookup(self, address: str) -> tuple[MethodFilter, ...]:
        """What :meth:`match` returns, as the cached tuple itself (no copy).

        The dispatcher's hot path: a repeated address costs one dict lookup and allocates
        nothing, which also spares the garbage collector when many messages are in flight.
        """
        found = self._cache.get(address)
        if found is None:
            found = self._lookup(address)
        return found

    def _lookup(self, address: str) -> tuple[MethodFilter, ...]:
        with self._lock:
            found: list[MethodFilter] = []
            size = len(address)
            searchable = size <= self.max_pattern_address
            skipped = False
            if has_wildcards(address):
                if not searchable:
                    skipped = True
                else:
                    # Compiled for this lookup only: the pattern is the peer's choice.
                    try:
                        compiled = _impl.compile_pattern(address)
                    except OSCPatternError:
                        _log.debug("malformed message address pattern %r matches nothing", address)
                    else:
                        found.extend(self._walk(compiled))
            else:
                found.extend(self._exact.get(address, ()))
            for length in self._prefix_lengths:
                if length > size:
                    break
                for method in self._prefixes.get(address[:length], ()):
                    # The filter has the last word (osc4py3's '.*$' stops at a newline).
                    if method.match(address):
                        found.append(method)
            if searchable:
                for method in self._scan:
                    if method.match(address):
                        found.append(method)
            elif self._scan:
                skipped = True
            if len(found) > 1:
                order = self._order
                found = sorted(set(found), key=order.__getitem__)
            result = tuple(found)
            if skipped:
                self._too_long(size)
            if self._cache_size and size <= self.MAX_CACHED_ADDRESS:
                self._remember(address, result)
            return result

    def _remember(self, address: str, result: tuple[MethodFilter, ...]) -> None:
        """Cache *result*, dropping the oldest entries to stay within both bounds."""
        cache = self._cache
        cost = _cache_entry_bytes(address, result)
        if cost > self.cache_bytes:
            return
        while cache and (
            len(cache) >= self._cache_size or self._cache_bytes + cost > self.cache_bytes
        ):
            # Dicts keep insertion order: the first key is the oldest.
            oldest = next(iter(cache))
            self._cache_bytes -= _cache_entry_bytes(oldest, cache.pop(oldest))
        cache[address] = result
        self._cache_bytes += cost

    def _too_long(self, size: int) -> None:
        self.too_long += 1
        self._throttle.log(
            logging.WARNING,
            "too long",
            "addresses too long for pattern matching",
            "OSC address of %d characters is longer than max_pattern_address (%d): only "
            "exact lookups, no pattern matching",
            size,
            self.max_pattern_address,
        )

    def _walk(self, compiled: Any) -> list[MethodFilter]:
        """Literal spec methods whose address matches the compiled message-side pattern."""
        nodes = [self._trie]
        for level in compiled.levels:
            if level is None:
                # '//': this node and every node below it, each once.
                seen: dict[int, _Node] = {}
                stack = list(nodes)
                while stack:
                    node = stack.pop()
                    if id(node) not in seen:
                        seen[id(node)] = node
                        stack.extend(node.children.values())
                nodes = list(seen.values())
                continue
            literal = level.literal
            reached = []
            for node in nodes:
                if literal is not None:
                    child = node.children.get(literal)
                    if child is not None:
                        reached.append(child)
                else:
                    for name, child in node.children.items():
                        if level.match(name):
                            reached.append(child)
            nodes = reached
            if not nodes:
                return []
        methods: list[MethodFilter] = []
        for node in nodes:
            methods.extend(node.methods)
        return methods
