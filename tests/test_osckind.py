"""osc4py3's "osc" pattern kind without its regex: ``OscPattern`` on both matcher twins.

The specification is the regular expression osc4py3 matches with
(``re.match(convert_osc2re(pattern), address)``): every answer, malformed patterns
included, is compared with it on random patterns and addresses. The one documented
departure: an empty negated set ``[!]`` is refused, where the regex reads ``[^]`` as a set
that starts with ``]`` and runs on into the rest of the pattern.
"""

from __future__ import annotations

import re
import warnings
from types import ModuleType
from typing import Any, Union

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from oscwire import oscmethod
from oscwire._errors import OSCPatternError, OSCRegexError
from oscwire.oscmethod import convert_osc2re

FIXTURE_CHECKS = [HealthCheck.function_scoped_fixture]


def regex_answer(pattern: str, address: str) -> Union[bool, str]:
    """What osc4py3's way gives: the regex's answer, or "error" when it does not compile."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # '--' in a set: "set difference"
        try:
            regex = re.compile(convert_osc2re(pattern))
        except re.error:
            return "error"
    return regex.match(address) is not None


def twin_answer(matcher: ModuleType, pattern: str, address: str) -> Union[bool, str]:
    try:
        compiled = matcher.compile_osc_pattern(pattern)
    except OSCRegexError:
        return "error"
    return bool(compiled.match(address))


def agree(matcher: ModuleType, pattern: str, address: str) -> None:
    expected = regex_answer(pattern, address)
    got = twin_answer(matcher, pattern, address)
    if got == "error" and expected != "error":
        assert "[!]" in pattern, (pattern, address)  # the documented departure
    else:
        assert got == expected, (pattern, address, convert_osc2re(pattern))


# Rows worked out by hand from the regex (the corner cases the issue names).
HAND_ROWS = [
    # osc4py3's prefix rule: anything may follow
    ("/test", "/test/sub", True),
    ("/test", "/testing", True),
    ("/test", "/tes", False),
    # '.*$': the rest may hold no newline, except one at its very end
    ("/test", "/test\n", True),
    ("/test", "/test\nmore", False),
    ("/test", "/test\n\n", False),
    ("/*", "/abc\n", True),
    ("/*", "/a\nb", True),  # [^/]* crosses newlines, .* does not
    ("/*", "/a/\n\n", False),
    ("/a?", "/a\n", True),  # '?' is [^/]: a newline is one character
    # '//' is '/?.*/': any characters but a newline, then '/'
    ("/a//b", "/a/x/y/b", True),
    ("/a//b", "/ab/b", True),
    ("/a//b", "/a/x\ny/b", False),
    ("//b", "/b", True),
    # sets: one character, '/' and newline included; '-' first or last is literal
    ("/[!a-c]x", "/dx", True),
    ("/[!a-c]x", "/bx", False),
    ("/[.-0]", "//", True),
    ("/[!a]", "/\n", True),
    ("/[-a]", "/-", True),
    ("/[a-]", "/-", True),
    # alternatives, empty ones too, split on ',' only
    ("/{ab,c}x", "/cx", True),
    ("/{,a}b", "/b", True),
    ("/{a,b}/{c,d}", "/b/d/e", True),
    ("/{a*,b}x", "/aqqx", True),
    # regex-special characters are literal
    ("/a.b", "/axb", False),
    ("/f(x)$", "/f(x)$", True),
    ("/a+b", "/aab", False),
    # unclosed brackets and braces are literal text
    ("/a[", "/a[", True),
    ("/a{b", "/a{b", True),
    ("/a]", "/a]", True),
    ("/[]", "/[]", True),
    ("/[]", "/x", False),
]


@pytest.mark.parametrize(("pattern", "address", "expected"), HAND_ROWS)
def test_hand_rows(matcher_impl: ModuleType, pattern: str, address: str, expected: bool) -> None:
    assert regex_answer(pattern, address) is expected  # the rows say what the regex does
    assert matcher_impl.compile_osc_pattern(pattern).match(address) is expected


@pytest.mark.parametrize("pattern", ["/[z-a]", "/x/[!z-a]", "/{a,[c-b]}", "/[a--]"])
def test_invalid_regex_patterns_raise_like_the_regex(
    matcher_impl: ModuleType, pattern: str
) -> None:
    assert regex_answer(pattern, "/") == "error"
    with pytest.raises(OSCRegexError, match="bad character range"):
        matcher_impl.compile_osc_pattern(pattern)


@pytest.mark.parametrize("pattern", ["/[!]", "/[!]a[b]"])
def test_empty_negated_set_is_refused(matcher_impl: ModuleType, pattern: str) -> None:
    with pytest.raises(OSCRegexError, match=r"empty negated character set '\[!\]'") as info:
        matcher_impl.compile_osc_pattern(pattern)
    assert isinstance(info.value, re.error) and isinstance(info.value, OSCPatternError)


_osc_alphabet = "/ab*?[]{}!,-.\n^$\\"
_address_alphabet = "/ab.-!,]{}\n^$\\*"


@settings(max_examples=1500, deadline=None, suppress_health_check=FIXTURE_CHECKS)
@given(
    pattern=st.text(alphabet=_osc_alphabet, max_size=12),
    address=st.text(alphabet=_address_alphabet, max_size=12),
)
@example(pattern="/*", address="/a/\n\n")
@example(pattern="/[a-]{,b}//", address="/-b/x/")
def test_agrees_with_the_regex_on_anything(
    matcher_impl: ModuleType, pattern: str, address: str
) -> None:
    agree(matcher_impl, pattern, address)


_token = st.one_of(
    st.text(alphabet="ab/.\n", min_size=1, max_size=3),
    st.sampled_from(["*", "?", "//", "[ab]", "[!a]", "[a-c]", "[-a]", "[.-0]", "{a,b}", "{,a}"]),
    st.sampled_from(["{a*,b?}", "{a//b,c}", "{[ab],x}", "[a-]", "{}", "[!\n]"]),
)


@settings(max_examples=1500, deadline=None, suppress_health_check=FIXTURE_CHECKS)
@given(
    pattern=st.lists(_token, max_size=6).map(lambda tokens: "/" + "".join(tokens)),
    address=st.lists(
        st.sampled_from(["/", "a", "b", "c", "ab", "\n", "-", ".", "0"]), max_size=14
    ).map(lambda parts: "/" + "".join(parts)),
)
def test_agrees_with_the_regex_on_osc_like_patterns(
    matcher_impl: ModuleType, pattern: str, address: str
) -> None:
    # Well-formed patterns and addresses near them: most answers are True here, where
    # random text mostly gives False.
    agree(matcher_impl, pattern, address)


def test_long_addresses_use_heap_buffers(matcher_impl: ModuleType) -> None:
    # Longer than the compiled twin's on-stack rows (256 positions).
    compiled = matcher_impl.compile_osc_pattern("/{a,b}*x")
    assert compiled.match("/a" + "y" * 1000 + "x")
    assert compiled.match("/b" + "y" * 1000 + "x/more")
    assert not compiled.match("/c" + "y" * 1000 + "x")
    assert not compiled.match("/a" + "y" * 1000 + "/x")


def test_literal_attribute(matcher_impl: ModuleType) -> None:
    assert matcher_impl.compile_osc_pattern("/a/b").literal == "/a/b"
    assert matcher_impl.compile_osc_pattern("/a]").literal == "/a]"
    assert matcher_impl.compile_osc_pattern("").literal == ""
    assert matcher_impl.compile_osc_pattern("/a*").literal is None
    assert matcher_impl.compile_osc_pattern("/a//b").literal is None
    assert matcher_impl.compile_osc_pattern("/a//b").pattern == "/a//b"


@pytest.mark.parametrize("value", [None, b"/a", 3])
def test_non_str_raise_type_error(matcher_impl: ModuleType, value: Any) -> None:
    with pytest.raises(TypeError):
        matcher_impl.compile_osc_pattern(value)
    with pytest.raises(TypeError):
        matcher_impl.compile_osc_pattern("/a*").match(value)


# --- MethodFilter("osc") no longer runs the regex ----------------------------------------


class RegexMustNotRun:
    def match(self, address: str) -> Any:
        raise AssertionError("the backtracking regex was run")


@pytest.fixture
def om(matcher_impl: ModuleType, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setattr(oscmethod, "_impl", matcher_impl)
    monkeypatch.setattr(oscmethod, "has_wildcards", matcher_impl.has_wildcards)
    return oscmethod


@pytest.mark.parametrize("pattern", ["/*", "/a*/b{c,d}", "/a//b", "/"])
def test_osc_filter_matches_64k_addresses_without_the_regex(om: ModuleType, pattern: str) -> None:
    # The issue: '^/[^/]*.*$' took 17-21 s of backtracking for one 64 KB address like
    # this one ('[^/]*' then '.*' split every way before '$' fails on the newlines).
    method = om.MethodFilter(pattern, lambda *args: None)
    assert method.repattern == convert_osc2re(pattern)  # kept for osc4py3 code
    assert method.reobject is not None and method.reobject.pattern == method.repattern
    method.reobject = RegexMustNotRun()
    worst = "/" + "a" * 65536 + "/\n\n"
    assert method.match(worst) is False
    assert method.match("/" + "a" * 65536 + "/b\n") is (pattern != "/a*/b{c,d}")
    index = om.MethodIndex()
    index.add(method)
    assert index.match("/a/bc") == [method]
