"""OSC 1.0/1.1 address pattern matching, pure-Python twin (the specification).

The compiled twin ``oscwire._matcher_c`` has the same functions, classes and errors and
gives the same answer for every (pattern, address) pair. Neither twin uses :mod:`re`.

Semantics (what "spec" matching means in oscwire):

* A pattern and an address are split on ``/`` into parts; the pattern must start with ``/``
  and an address that does not start with ``/`` matches nothing. Matching is a full match.
* Inside a part: ``?`` is one character, ``*`` is any run of characters (never a ``/``),
  ``[abc]`` / ``[a-z]`` / ``[!a-z]`` is one character of / not of a set (``-`` is literal
  first or last in the brackets; a reversed range such as ``z-a`` is empty),
  ``{foo,bar}`` is one of literal alternatives (empty ones allowed: ``{,a}``).
  Every other character is literal.
* OSC 1.1 ``//`` stands for any number of levels, zero included: ``/a//b`` matches ``/a/b``
  and ``/a/x/y/b``; a leading ``//b`` matches ``b`` at any depth; a trailing ``/a//`` matches
  every address below ``/a`` (one level or more), not ``/a`` itself.
* Malformed patterns (no leading ``/``, unclosed ``[`` or ``{``, stray ``]`` or ``}``,
  empty brackets ``[]`` / ``[!]``) raise :class:`~oscwire._errors.OSCPatternError`.

Matching simulates the pattern as a set of reachable positions (in the characters of a
part, and in the parts of an address), so its cost is bounded by
``len(pattern) * len(address)`` whatever the pattern; there is no backtracking.

:func:`compile_osc_pattern` does the same for osc4py3's "osc" kind (the steps of
:mod:`oscwire._osckind`): the answers of its regular expression, without the regex.

The ``call_methods*`` functions use what :class:`oscwire._dispatchable.Dispatchable`
declares of a method filter, nothing else.
"""

from __future__ import annotations

import logging
from typing import Any

from oscwire import _osckind
from oscwire._errors import OSCPatternError
from oscwire._logutil import LogThrottle

_LOGGER = logging.getLogger("oscwire.oscdispatching")
# What escapes a method filter (not a handler) can repeat for every message of a batch.
_ESCAPED = LogThrottle(_LOGGER)

__all__ = [
    "WILDCARD_CHARS",
    "CompiledPattern",
    "OscPattern",
    "PartPattern",
    "call_flat_failures",
    "call_methods",
    "call_methods_failures",
    "compile_osc_pattern",
    "compile_part",
    "compile_pattern",
    "has_wildcards",
    "match_pattern",
]

#: Characters that make an address a pattern (with ``//``, OSC 1.1's any-depth wildcard).
WILDCARD_CHARS = "?*[]{}"

# Token kinds inside a part.
_LITERAL = 0
_ANY_CHAR = 1
_STAR = 2
_SET = 3
_ALTERNATIVES = 4


def _need_str(value: Any, name: str) -> None:
    """Raise TypeError for a non-str argument (str subclasses pass), as the compiled twin does."""
    if not isinstance(value, str):
        raise TypeError(
            f"Argument {name!r} has incorrect type (expected str, got {type(value).__name__})"
        )


def has_wildcards(address: str) -> bool:
    """True when *address* holds any of ``? * [ ] { }`` or ``//``: it is a pattern."""
    for char in WILDCARD_CHARS:
        if char in address:
            return True
    return "//" in address


def _parse_set(text: str, start: int, part: str) -> tuple[tuple[Any, ...], int]:
    """Parse a bracket set whose ``[`` is at ``start - 1``; return (token, index after ``]``)."""
    end = text.find("]", start)
    if end < 0:
        raise OSCPatternError(f"unclosed '[' in pattern part {part!r}")
    body = text[start:end]
    negate = body.startswith("!")
    if negate:
        body = body[1:]
    if not body:
        raise OSCPatternError(f"empty character set '[{'!' if negate else ''}]' in {part!r}")
    singles = []
    ranges = []
    i = 0
    n = len(body)
    while i < n:
        # "a-z" is a range; a '-' first or last (nothing on one side) is a literal '-'.
        if i + 2 < n and body[i + 1] == "-":
            ranges.append((body[i], body[i + 2]))
            i += 3
        else:
            singles.append(body[i])
            i += 1
    return (_SET, negate, "".join(singles), tuple(ranges)), end + 1


def _tokenize(part: str) -> list[tuple[Any, ...]]:
    """Turn one pattern part (no ``/`` in it) into a list of tokens."""
    tokens: list[tuple[Any, ...]] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            tokens.append((_LITERAL, "".join(literal)))
            literal.clear()

    i = 0
    n = len(part)
    while i < n:
        char = part[i]
        if char == "*":
            flush()
            # Consecutive stars mean the same as one star.
            if not tokens or tokens[-1][0] != _STAR:
                tokens.append((_STAR,))
            i += 1
        elif char == "?":
            flush()
            tokens.append((_ANY_CHAR,))
            i += 1
        elif char == "[":
            flush()
            token, i = _parse_set(part, i + 1, part)
            tokens.append(token)
        elif char == "{":
            flush()
            end = part.find("}", i + 1)
            if end < 0:
                raise OSCPatternError(f"unclosed '{{' in pattern part {part!r}")
            tokens.append((_ALTERNATIVES, tuple(part[i + 1 : end].split(","))))
            i = end + 1
        elif char == "]" or char == "}":
            raise OSCPatternError(f"unmatched {char!r} in pattern part {part!r}")
        else:
            literal.append(char)
            i += 1
    flush()
    return tokens


def _in_set(token: tuple[Any, ...], char: str) -> bool:
    found = char in token[2]
    if not found:
        for low, high in token[3]:
            if low <= char <= high:
                found = True
                break
    return bool(found != token[1])


class PartPattern:
    """One part of a pattern (between two ``/``), compiled; ``match(name)`` tests one name.

    ``text`` is the source; ``literal`` is the text itself when it holds no wildcard
    (then matching is plain equality), else None.
    """

    __slots__ = ("_tokens", "literal", "text")

    def __init__(self, text: str) -> None:
        _need_str(text, "text")
        if "/" in text:
            raise OSCPatternError(f"a pattern part cannot hold '/': {text!r}")
        self.text = text
        self._tokens = _tokenize(text)
        if not self._tokens:
            self.literal: str | None = ""
        elif len(self._tokens) == 1 and self._tokens[0][0] == _LITERAL:
            self.literal = self._tokens[0][1]
        else:
            self.literal = None

    def __repr__(self) -> str:
        return f"PartPattern({self.text!r})"

    def match(self, name: str) -> bool:
        """True when the address part *name* matches this pattern part entirely."""
        if type(name) is not str:
            _need_str(name, "name")
        if self.literal is not None:
            return name == self.literal
        size = len(name)
        # Set of positions in name reachable after the tokens seen so far.
        positions = {0}
        for token in self._tokens:
            kind = token[0]
            if kind == _STAR:
                positions = set(range(min(positions), size + 1))
                continue
            reached = set()
            if kind == _LITERAL:
                text = token[1]
                for pos in positions:
                    if name.startswith(text, pos):
                        reached.add(pos + len(text))
            elif kind == _ANY_CHAR:
                for pos in positions:
                    if pos < size:
                        reached.add(pos + 1)
            elif kind == _SET:
                for pos in positions:
                    if pos < size and _in_set(token, name[pos]):
                        reached.add(pos + 1)
            else:
                for pos in positions:
                    for alternative in token[1]:
                        if name.startswith(alternative, pos):
                            reached.add(pos + len(alternative))
            if not reached:
                return False
            positions = reached
        return size in positions


def compile_part(text: str) -> PartPattern:
    """Compile one pattern part (no ``/``); raises OSCPatternError when malformed."""
    return PartPattern(text)


class CompiledPattern:
    """A whole address pattern, compiled once, matched many times with ``match(address)``.

    ``levels`` is a tuple with one item per level of the pattern: a :class:`PartPattern`, or
    None for OSC 1.1's ``//`` (any number of levels). A trailing ``//`` is stored as None
    followed by the part pattern ``*``.
    """

    __slots__ = ("levels", "pattern")

    def __init__(self, pattern: str) -> None:
        _need_str(pattern, "pattern")
        if not pattern.startswith("/"):
            raise OSCPatternError(f"an OSC address pattern starts with '/': {pattern!r}")
        self.pattern = pattern
        texts = pattern[1:].split("/")
        last = len(texts) - 1
        levels: list[PartPattern | None] = []
        for index, text in enumerate(texts):
            if text == "" and index < last:
                # An empty part between two slashes is '//'; several in a row are one.
                if not levels or levels[-1] is not None:
                    levels.append(None)
            elif text == "" and levels and levels[-1] is None:
                # Trailing '//': any name at the last level (one level or more below).
                levels.append(PartPattern("*"))
            else:
                levels.append(PartPattern(text))
        self.levels: tuple[PartPattern | None, ...] = tuple(levels)

    def __repr__(self) -> str:
        return f"CompiledPattern({self.pattern!r})"

    def match(self, address: str) -> bool:
        """True when the literal *address* matches the whole pattern."""
        if type(address) is not str:
            _need_str(address, "address")
        if not address.startswith("/"):
            return False
        names = address[1:].split("/")
        count = len(names)
        positions = {0}
        for level in self.levels:
            if level is None:
                positions = set(range(min(positions), count + 1))
                continue
            reached = set()
            for pos in positions:
                if pos < count and level.match(names[pos]):
                    reached.add(pos + 1)
            if not reached:
                return False
            positions = reached
        return count in positions


def compile_pattern(pattern: str) -> CompiledPattern:
    """Compile an OSC address pattern; raises OSCPatternError when it is malformed."""
    return CompiledPattern(pattern)


def match_pattern(pattern: str, address: str) -> bool:
    """True when the literal *address* matches the OSC *pattern* (spec semantics, full match)."""
    return CompiledPattern(pattern).match(address)


def _stop_run(positions: set[int], address: str, stop: str) -> set[int]:
    """Positions reached from *positions* by a run of characters other than *stop*."""
    reached: set[int] = set()
    size = len(address)
    covered = -1
    for start in sorted(positions):
        if start <= covered:
            continue  # inside the run of an earlier start: it ends at the same place
        end = address.find(stop, start)
        covered = size if end < 0 else end
        reached.update(range(start, covered + 1))
    return reached


def _one_char(positions: set[int], address: str, step: tuple[Any, ...]) -> set[int]:
    """Positions reached from *positions* by one character that *step* accepts."""
    size = len(address)
    if step[0] == _osckind.ANY_BUT_SLASH:
        return {pos + 1 for pos in positions if pos < size and address[pos] != "/"}
    negate, singles, lows, highs = step[1], step[2], step[3], step[4]
    reached = set()
    for pos in positions:
        if pos < size:
            char = address[pos]
            found = char in singles or any(low <= char <= high for low, high in zip(lows, highs))
            if found != negate:
                reached.add(pos + 1)
    return reached


def _run_steps(steps: Any, positions: set[int], address: str) -> set[int]:
    """Positions of *address* reachable from *positions* through *steps*."""
    for step in steps:
        kind = step[0]
        if kind == _osckind.LITERAL:
            text = step[1]
            positions = {pos + len(text) for pos in positions if address.startswith(text, pos)}
        elif kind == _osckind.RUN_BUT_SLASH:
            positions = _stop_run(positions, address, "/")
        elif kind == _osckind.RUN_BUT_NEWLINE:
            positions = _stop_run(positions, address, "\n")
        elif kind == _osckind.OPTIONAL_SLASH:
            positions = positions | {pos + 1 for pos in positions if address.startswith("/", pos)}
        elif kind == _osckind.ALTERNATIVES:
            reached: set[int] = set()
            for alternative in step[1]:
                reached |= _run_steps(alternative, positions, address)
            positions = reached
        else:
            positions = _one_char(positions, address, step)
        if not positions:
            break
    return positions


class OscPattern:
    """An "osc" kind pattern (osc4py3's semantics), compiled; ``match(address)`` tests one.

    True exactly when ``re.match(convert_osc2re(pattern), address)`` would be: the
    pattern matches the start of the address and the rest holds no newline (but a final
    one). ``literal`` is the pattern when it is plain text (a prefix test), else None.
    """

    __slots__ = ("_steps", "literal", "pattern")

    def __init__(self, pattern: str) -> None:
        _need_str(pattern, "pattern")
        self.pattern = pattern
        self._steps = tuple(_osckind.parse_osc_pattern(pattern))
        steps = self._steps
        if not steps:
            self.literal: str | None = ""
        elif len(steps) == 1 and steps[0][0] == _osckind.LITERAL:
            self.literal = steps[0][1]
        else:
            self.literal = None

    def __repr__(self) -> str:
        return f"OscPattern({self.pattern!r})"

    def match(self, address: str) -> bool:
        """True when a message sent to *address* is for this pattern (osc4py3's answer)."""
        if type(address) is not str:
            _need_str(address, "address")
        literal = self.literal
        if literal is not None:
            return address.startswith(literal) and len(literal) >= _osckind.tail_start(address)
        positions = _run_steps(self._steps, {0}, address)
        return bool(positions) and max(positions) >= _osckind.tail_start(address)


def compile_osc_pattern(pattern: str) -> OscPattern:
    """Compile an "osc" kind pattern; raises OSCRegexError where osc4py3's regex would fail."""
    return OscPattern(pattern)


def call_methods(methods: Any, message: Any, packopt: Any) -> int:
    """Call each method filter of *methods* with ``(message, packopt)``; return the count."""
    count = 0
    for method in methods:
        function = getattr(method, "replyfunc", None)
        if function is not None:
            _call_replying(method, function, message, tuple(message.arguments), packopt)
        else:
            method(message, packopt)
        count += 1
    return count


def _call_replying(
    method: Any, function: Any, message: Any, arguments: tuple[Any, ...], packopt: Any
) -> bool:
    """Call a ``replyfunc`` and hand a non-None result to ``answer``; True when it failed
    (the handler raised, or its reply could not be sent: both counted by the filter)."""
    if method.replyaddress:
        arguments = (message.addrpattern, *arguments)
    try:
        result = function(*arguments)
    except Exception as error:
        method.handler_failed(message, arguments, error)
        return True
    if result is None:
        return False
    before = method.failures
    method.answer(result, packopt, message)
    return bool(method.failures != before)


def call_methods_failures(methods: Any, message: Any, packopt: Any) -> int:
    """Call each method filter of *methods* like :func:`call_methods`; return how many failed.

    A call fails when its handler raises (logged and counted in the filter's ``failures``,
    never propagated); a dispatcher adds the result to its statistics.
    """
    failed = 0
    arguments = None
    for method in methods:
        function = method.fastfunc
        if function is not None:
            if arguments is None:
                arguments = message.arguments
            try:
                function(*arguments)
            except Exception:
                method.failed()
                failed += 1
        else:
            function = getattr(method, "replyfunc", None)
            if function is not None:
                arguments = message.arguments
                if _call_replying(method, function, message, tuple(arguments), packopt):
                    failed += 1
                continue
            before = method.failures
            method(message, packopt)
            if method.failures != before:
                failed += 1
    return failed


def call_flat_failures(flat: Any) -> tuple[int, int]:
    """:func:`call_methods_failures` for each ``methods, message, packopt`` triple of the
    flat list *flat*, in order; return ``(calls, failures)``.

    What a handler thread runs for one batch of one source. An exception that escapes a
    filter (not a handler: those are caught there) is logged, counted as a failure, and
    does not stop the rest of the batch.
    """
    calls = 0
    failed = 0
    index = 0
    while index + 2 < len(flat):
        methods = flat[index]
        message = flat[index + 1]
        packopt = flat[index + 2]
        index += 3
        calls += len(methods)
        try:
            failed += call_methods_failures(methods, message, packopt)
        except Exception as error:
            failed += 1
            _ESCAPED.log(
                logging.ERROR,
                type(error).__name__,
                f"failures in method calls ({type(error).__name__})",
                "OSC dispatch: failure in method call",
                exc_info=True,
            )
    return calls, failed
