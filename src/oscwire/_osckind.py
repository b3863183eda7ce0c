"""osc4py3's "osc" pattern kind as a list of steps, shared by both matcher twins.

osc4py3 matches an "osc" filter with the regular expression ``^<pattern>.*$`` built by
:func:`oscwire.oscmethod.convert_osc2re`. Python's backtracking engine needs quadratic time
for it (``[^/]*`` then ``.*``), so the twins do not run the regex: they run the steps
parsed here over a set of reachable positions, which answers exactly as the regex does,
in time linear in the address (times the pattern's length). This parser mirrors
``convert_osc2re`` piece by piece; a property test checks them against each other.

Steps (tuples, the first item says which):

* ``(LITERAL, text)`` — the characters of *text*;
* ``(ANY_BUT_SLASH,)`` — ``[^/]``: one character that is not ``/`` (a newline is one);
* ``(RUN_BUT_SLASH,)`` — ``[^/]*``: any run of characters without ``/``;
* ``(OPTIONAL_SLASH,)`` — ``/?``;
* ``(RUN_BUT_NEWLINE,)`` — ``.*``: any run of characters without a newline;
* ``(CHARSET, negate, singles, lows, highs)`` — one character of (or, negated, not of)
  *singles* and the ranges ``lows[i]..highs[i]``; ``/`` and newlines are characters too;
* ``(ALTERNATIVES, (steps, steps, ...))`` — ``(?:...|...)``: one of the step lists
  (never nested).

After the steps, the regex's tail ``.*$`` accepts the rest of the address when it holds no
newline, except one at its very end (``$`` also matches before a final newline).
"""

from __future__ import annotations

from typing import Any

from oscwire._errors import OSCRegexError

__all__ = [
    "ALTERNATIVES",
    "ANY_BUT_SLASH",
    "CHARSET",
    "LITERAL",
    "OPTIONAL_SLASH",
    "RUN_BUT_NEWLINE",
    "RUN_BUT_SLASH",
    "Step",
    "parse_osc_pattern",
    "tail_start",
]

LITERAL = 0
ANY_BUT_SLASH = 1
RUN_BUT_SLASH = 2
OPTIONAL_SLASH = 3
RUN_BUT_NEWLINE = 4
CHARSET = 5
ALTERNATIVES = 6

#: One step; its first item is one of the constants above.
Step = tuple[Any, ...]


def _charset(body: str, pattern: str) -> Step:
    """A bracket body (between ``[`` and ``]``) read as Python's regex class reads it."""
    negate = body.startswith("!")
    if negate:
        body = body[1:]
    if not body:
        # convert_osc2re writes '[^]', which the regex reads as a set starting with ']'
        # that runs on to a later ']' (or does not compile): refused, as an empty set.
        raise OSCRegexError(f"empty negated character set '[!]' in osc pattern {pattern!r}")
    singles: list[str] = []
    lows: list[str] = []
    highs: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        # "a-z" is a range; a '-' first or last is a literal '-' (as in a regex class).
        if i + 2 < n and body[i + 1] == "-":
            low, high = body[i], body[i + 2]
            if high < low:
                raise OSCRegexError(f"bad character range {low}-{high} in osc pattern {pattern!r}")
            lows.append(low)
            highs.append(high)
            i += 3
        else:
            singles.append(body[i])
            i += 1
    return (CHARSET, negate, "".join(singles), "".join(lows), "".join(highs))


def _piece(text: str, pattern: str) -> list[Step]:
    """Steps of a piece without brace groups (convert_osc2re's ``_convert_part``)."""
    steps: list[Step] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            steps.append((LITERAL, "".join(literal)))
            literal.clear()

    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if text.startswith("//", i):
            # '/?.*/': its last '/' joins the literal text that follows.
            flush()
            steps.append((OPTIONAL_SLASH,))
            steps.append((RUN_BUT_NEWLINE,))
            literal.append("/")
            i += 2
            continue
        if char == "*":
            flush()
            steps.append((RUN_BUT_SLASH,))
        elif char == "?":
            flush()
            steps.append((ANY_BUT_SLASH,))
        elif char == "[" and text.find("]", i + 1) > i + 1:
            flush()
            end = text.find("]", i + 1)
            steps.append(_charset(text[i + 1 : end], pattern))
            i = end
        else:
            literal.append(char)
        i += 1
    flush()
    return steps


def parse_osc_pattern(pattern: str) -> list[Step]:
    """The steps of the "osc" kind *pattern*; raises OSCRegexError where its regex would
    not compile (a reversed range such as ``[z-a]``) and for an empty negated set ``[!]``.
    """
    steps: list[Step] = []
    i = 0
    n = len(pattern)
    while i < n:
        brace = pattern.find("{", i)
        close = pattern.find("}", brace + 1) if brace >= 0 else -1
        if brace < 0 or close < 0:
            steps.extend(_piece(pattern[i:], pattern))
            break
        steps.extend(_piece(pattern[i:brace], pattern))
        words = pattern[brace + 1 : close].split(",")
        steps.append((ALTERNATIVES, tuple(tuple(_piece(word, pattern)) for word in words)))
        i = close + 1
    return steps


def tail_start(address: str) -> int:
    """The first position from which the regex's tail ``.*$`` accepts the rest of *address*.

    ``.*`` stops at a newline and ``$`` matches at the end or before a final newline, so
    the rest may hold no newline but a last one.
    """
    end = len(address) - 1 if address.endswith("\n") else len(address)
    return address.rfind("\n", 0, end) + 1
