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
import functools
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Callable, Optional

from oscwire import _accel
from oscwire._errors import OSCInvalidAddressError, OSCPatternError

__all__ = [
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
    "PATTERN_KINDS",
    "MethodFilter",
    "MethodIndex",
    "call_flat_failures",
    "call_methods",
    "call_methods_failures",
    "compile_pattern",
    "convert_osc2re",
    "has_wildcards",
    "match_pattern",
    "validate_address",
]

_impl = _accel.load("matcher")
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


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """Compile a spec-semantics OSC pattern (bounded cache); raises OSCPatternError."""
    return _impl.compile_pattern(pattern)


def match_pattern(pattern: str, address: str) -> bool:
    """True when the literal *address* matches the OSC 1.0/1.1 *pattern* (full match).

    ``?``, ``*``, ``[...]``, ``[!...]``, ``{a,b}`` work inside one part (never across
    ``/``) and ``//`` stands for any number of levels. A malformed pattern raises
    :class:`~oscwire._errors.OSCPatternError`.
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


def _default_packopt_copy(packopt: Any) -> Any:
    duplicate = getattr(packopt, "duplicate", None)
    return duplicate() if duplicate is not None else copy.copy(packopt)


class MethodFilter:
    """An address pattern and the function to call for the messages it matches.

    Attributes keep osc4py3's names: ``addrpattern``, ``function``, ``patternkind``,
    ``repattern`` / ``reobject`` (the regular expression of "osc" and "re" kinds, None for
    "spec"), ``argscheme``, ``needpackopt``, ``extra``, ``workqueue``, ``lock``, ``logger``.
    ``failures`` counts handler calls that raised (they are logged, never propagated).
    Malformed patterns raise :class:`~oscwire._errors.OSCPatternError`, invalid literal
    spec addresses :class:`~oscwire._errors.OSCInvalidAddressError` (both ``ValueError``).
    """

    # A slot makes the per-call read of _fastfunc (by call_methods) cheaper; __dict__ keeps
    # instances open to the extra attributes osc4py3 code may set on them.
    __slots__ = ("__dict__", "__weakref__", "_fastfunc")

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
                raise ValueError(f"OSC MethodFilter unknown argument scheme {scheme!r}")
        self.addrpattern = addrpattern
        self.patternkind = patternkind
        self.logger = logger
        self.extra = extra
        self.failures = 0
        #: Literal part the index files this filter under (spec address, osc prefix), or None.
        self.literal: Optional[str] = None
        #: Compiled spec pattern for a handler-side spec pattern, else None.
        self.compiled: Any = None
        self.repattern: Optional[str] = None
        self.reobject: Optional[re.Pattern[str]] = None
        if patternkind == "spec":
            if has_wildcards(addrpattern):
                self.compiled = compile_pattern(addrpattern)
            else:
                self.literal = validate_address(addrpattern)
        else:
            if patternkind == "osc":
                self.repattern = convert_osc2re(addrpattern)
                if not has_wildcards(addrpattern):
                    self.literal = addrpattern
            else:
                self.repattern = addrpattern
            try:
                self.reobject = re.compile(self.repattern)
            except re.error as error:
                raise OSCPatternError(
                    f"bad {patternkind} pattern {addrpattern!r}: {error}"
                ) from None
        self._function = function
        self._argscheme = tuple(argscheme)
        self._workqueue = workqueue
        self._lock = lock
        self._refresh()

    # function, argscheme, workqueue and lock decide the fast path: keep it in step.
    def _refresh(self) -> None:
        self.needpackopt = OSCARG_PACKOPT[0] in self._argscheme
        simple = (
            self._argscheme == OSCARG_DATAUNPACK and self._workqueue is None and self._lock is None
        )
        #: The function when a call is just ``function(*message.arguments)``, else None.
        self._fastfunc = self._function if simple else None

    @property
    def fastfunc(self) -> Optional[Callable[..., Any]]:
        """The function when a call is just ``function(*message.arguments)``, else None.

        Read-only; it follows ``function``, ``argscheme``, ``workqueue`` and ``lock``. A
        dispatcher may call it directly (that is what :func:`call_methods` does) and must
        then report a raising call with :meth:`failed`.
        """
        return self._fastfunc

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

    def match(self, address: str) -> bool:
        """True when a message sent to *address* is for this filter.

        For a literal "spec" filter, an *address* holding wildcards is a message-side pattern
        matched against the filter's address (a malformed one matches nothing).
        """
        if self.reobject is not None:
            return self.reobject.match(address) is not None
        if self.compiled is not None:
            return self.compiled.match(address)
        if address == self.literal:
            return True
        if has_wildcards(address):
            try:
                return match_pattern(address, self.literal)
            except OSCPatternError:
                return False
        return False

    def failed(self, what: str = "Failure in message processing") -> None:
        """Count and log (with the current exception) a call of this filter that raised.

        Call it from an ``except`` block when calling :attr:`fastfunc` yourself.
        """
        self.failures += 1
        (self.logger or _log).exception("OSC method %r: %s", self.addrpattern, what)

    # The compiled matcher and older code call it by this name.
    _failed = failed

    def __call__(self, message: Any, packopt: Any) -> None:
        """Build the handler's arguments from ``argscheme`` and call it (or queue the call).

        A handler that raises is logged and counted in ``failures``; nothing propagates.
        """
        fast = self._fastfunc
        if fast is not None:
            try:
                fast(*message.arguments)
            except Exception:
                self._failed()
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
                    self._failed("extra cannot be unpacked (OSCARG_EXTRAUNPACK)")
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
            (self.logger or _log).info("OSC message dismissed: its workqueue is terminated")
        else:
            workqueue.send_callable(self.protected_call, tuple(args))

    def protected_call(self, *args: Any) -> None:
        """Call the function with *args* under ``lock`` (if any); log and count failures."""
        lock = self._lock
        try:
            if lock is None:
                self._function(*args)
            else:
                with lock:
                    self._function(*args)
        except Exception:
            self._failed()


def call_methods(methods: Sequence[MethodFilter], message: Any, packopt: Any) -> int:
    """Call every filter of *methods* for *message*; return how many were called.

    The compiled twin calls the plain ``function(*arguments)`` filters directly, which is
    what makes fan-out to many handlers fast; failures are logged and counted as usual.
    """
    return _impl.call_methods(methods, message, packopt)


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
call_flat_failures: Callable[[list], tuple[int, int]] = _impl.call_flat_failures


class _Node:
    """A trie node: one level of registered literal spec addresses."""

    __slots__ = ("children", "methods")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.methods: list[MethodFilter] = []


class MethodIndex:
    """The registered filters of a dispatcher, found for an incoming address in flat time.

    Literal "spec" addresses sit in a dict (exact lookups) and in a trie of their parts
    (walked by message-side patterns such as ``/mixer/*/fader``); literal "osc" patterns
    sit in a dict of prefixes; other filters (patterns, "re") are tested one by one.
    Results are cached per address (bounded, cleared on add/remove). :meth:`match` returns
    filters in registration order, each once. Safe to use from several threads.
    """

    #: Addresses longer than this are not cached (keeps the cache's memory bounded).
    MAX_CACHED_ADDRESS = 256

    def __init__(self, cache_size: int = 4096) -> None:
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
            self._cache.clear()

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
            self._cache.clear()
            return True

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
            if has_wildcards(address):
                try:
                    compiled = compile_pattern(address)
                except OSCPatternError:
                    _log.debug("malformed message address pattern %r matches nothing", address)
                else:
                    found.extend(self._walk(compiled))
            else:
                found.extend(self._exact.get(address, ()))
            size = len(address)
            for length in self._prefix_lengths:
                if length > size:
                    break
                for method in self._prefixes.get(address[:length], ()):
                    # The regex has the last word (osc4py3's '.*$' stops at a newline).
                    if method.match(address):
                        found.append(method)
            for method in self._scan:
                if method.match(address):
                    found.append(method)
            if len(found) > 1:
                order = self._order
                found = sorted(set(found), key=order.__getitem__)
            result = tuple(found)
            if self._cache_size and size <= self.MAX_CACHED_ADDRESS:
                cache = self._cache
                if len(cache) >= self._cache_size:
                    # Drop the oldest entry: dicts keep insertion order.
                    del cache[next(iter(cache))]
                cache[address] = result
            return result

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
