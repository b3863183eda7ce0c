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
"""

from __future__ import annotations

import logging
from typing import Any

from oscwire._errors import OSCPatternError

_LOGGER = logging.getLogger("oscwire.oscdispatching")

__all__ = [
    "WILDCARD_CHARS",
    "CompiledPattern",
    "PartPattern",
    "call_flat_failures",
    "call_methods",
    "call_methods_failures",
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


def _parse_set(text: str, start: int, part: str) -> tuple[tuple, int]:
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


def _tokenize(part: str) -> list[tuple]:
    """Turn one pattern part (no ``/`` in it) into a list of tokens."""
    tokens: list[tuple] = []
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


def _in_set(token: tuple, char: str) -> bool:
    found = char in token[2]
    if not found:
        for low, high in token[3]:
            if low <= char <= high:
                found = True
                break
    return found != token[1]


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


def call_methods(methods: Any, message: Any, packopt: Any) -> int:
    """Call each method filter of *methods* with ``(message, packopt)``; return the count."""
    count = 0
    for method in methods:
        method(message, packopt)
        count += 1
    return count


def call_methods_failures(methods: Any, message: Any, packopt: Any) -> int:
    """Call each method filter of *methods* like :func:`call_methods`; return how many failed.

    A call fails when its handler raises (logged and counted in the filter's ``failures``,
    never propagated); a dispatcher adds the result to its statistics.
    """
    failed = 0
    arguments = None
    for method in methods:
        function = method._fastfunc
        if function is not None:
            if arguments is None:
                arguments = message.arguments
            try:
                function(*arguments)
            except Exception:
                method._failed()
                failed += 1
        else:
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
    for index in range(0, len(flat) - 2, 3):
        methods = flat[index]
        calls += len(methods)
        try:
            failed += call_methods_failures(methods, flat[index + 1], flat[index + 2])
        except Exception:
            failed += 1
            _LOGGER.exception("OSC dispatch: failure in method call")
    return calls, failed
