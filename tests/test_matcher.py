"""The spec pattern matcher twins (``oscwire._matcher_c`` / ``oscwire._matcher_py``).

Expected values come from the OSC 1.0 spec ("OSC Message Dispatching and Pattern Matching")
and the OSC 1.1 paper's ``//``, worked out by hand; oscwire's documented decisions
(reversed ranges are empty, trailing ``//`` is "one level or more below") are marked.
Rows python-osc can express are cross-checked against its Dispatcher, and a regex oracle
written here (independent of both twins) checks random patterns.
"""

from __future__ import annotations

import inspect
import re
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oscwire import _accel
from oscwire._errors import OSCError, OSCPatternError

T, F = True, False

# (pattern, address, expected)
SPEC_TABLE = [
    # literal parts, full match only
    ("/a/b/c", "/a/b/c", T),
    # A range spanning '/' (0x2F) still matches inside one part only.
    ("/a[.-0]b", "/a/b", F),
    ("/a[.-0]b", "/a.b", T),
    ("/a[!x]b", "/a/b", F),
    ("/a/b/c", "/a/b", F),
    ("/a/b", "/a/b/c", F),
    ("/a/b", "/a/bc", F),
    ("/a", "/a/", F),
    ("/a", "a", F),
    ("/", "/", T),
    ("/", "/a", F),
    # ? is exactly one character, never '/'
    ("/a/?", "/a/x", T),
    ("/a/?", "/a/", F),
    ("/a/?", "/a/xy", F),
    ("/a?c", "/a/c", F),
    ("/??", "/ab", T),
    # * is any run inside one part, empty included, never crossing '/'
    ("/a/*", "/a/", T),
    ("/a/*", "/a/anything", T),
    ("/a/*", "/a/b/c", F),
    ("/*", "/a", T),
    ("/*", "/a/b", F),
    ("/qwer/*/zxcv", "/qwer/a/zxcv", T),
    ("/qwer/*/zxcv", "/qwer/a/zxcvmore", F),
    ("/qwer/*/zxcv", "/qwer/a/b/zxcv", F),
    ("/a*b", "/ab", T),
    ("/a*b", "/axxb", T),
    ("/a*b", "/axxbc", F),
    ("/a*b*c", "/abbbc", T),
    ("/a**b", "/ab", T),
    ("/*x", "/x", T),
    ("/*x", "/xy", F),
    ("/*?", "/", F),
    ("/*?", "/q", T),
    # [set], ranges, negation, '-' literal at either end
    ("/a/[abc]", "/a/b", T),
    ("/a/[abc]", "/a/d", F),
    ("/a/[abc]", "/a/ab", F),
    ("/[a-z]", "/m", T),
    ("/[a-z]", "/M", F),
    ("/[!a-z]", "/m", F),
    ("/[!a-z]", "/M", T),
    ("/[!a-z]", "/", F),
    ("/[-a]", "/-", T),
    ("/[-a]", "/a", T),
    ("/[a-]", "/-", T),
    ("/[a-]", "/b", F),
    ("/[!-a]", "/-", F),
    ("/[!-a]", "/b", T),
    ("/[a-c-e]", "/-", T),
    ("/[a-c-e]", "/d", F),
    ("/[a-c-e]", "/e", T),
    ("/[a!]", "/!", T),
    ("/[*?]", "/*", T),
    ("/[*?]", "/x", F),
    # reversed range: oscwire decision, an empty range
    ("/[z-a]", "/m", F),
    ("/[z-a]", "/z", F),
    ("/[z-a]", "/a", F),
    ("/[!z-a]", "/m", T),
    ("/[z-ab]", "/b", T),
    # {alternatives}, empty alternatives
    ("/{foo,bar}", "/foo", T),
    ("/{foo,bar}", "/bar", T),
    ("/{foo,bar}", "/baz", F),
    ("/{foo,bar}", "/foobar", F),
    ("/{,a}b", "/b", T),
    ("/{,a}b", "/ab", T),
    ("/{,a}b", "/aab", F),
    ("/{a,}", "/", T),
    ("/x{}", "/x", T),
    ("/x{}", "/xy", F),
    ("/{a,ab}c", "/abc", T),
    ("/*{ab,b}c", "/xabc", T),
    ("/{a*,b}", "/a*", T),
    ("/{a*,b}", "/ax", F),
    ("/n{1,2}/[0-9]", "/n2/7", T),
    # regex-special characters are plain characters
    ("/a+b", "/a+b", T),
    ("/a+b", "/aab", F),
    ("/a.b", "/a.b", T),
    ("/a.b", "/axb", F),
    ("/f(x)$", "/f(x)$", T),
    ("/f(x)$", "/fx", F),
    ("/a^b|c", "/a^b|c", T),
    ("/a\\d", "/a\\d", T),
    ("/a\\d", "/a5", F),
    ("/[.]", "/.", T),
    ("/[.]", "/x", F),
    ("/[+(]", "/(", T),
    ("/[^]", "/^", T),
    ("/a$", "/a", F),
    # OSC 1.1 '//': any number of levels, zero included
    ("//b", "/b", T),
    ("//b", "/a/b", T),
    ("//b", "/a/x/b", T),
    ("//b", "/a/bc", F),
    ("/a//b", "/a/b", T),
    ("/a//b", "/a/x/y/b", T),
    ("/a//b", "/ab", F),
    ("/a//b", "/x/a/b", F),
    ("/a//b", "/a/b/c", F),
    ("/a///b", "/a/b", T),
    ("//*/c", "/a/b/c", T),
    ("/a//*", "/a/b", T),
    ("/a//[0-9]/x", "/a/q/7/x", T),
    ("/a//[0-9]/x", "/a/q/x", F),
    # trailing '//': oscwire decision, every address below, not the node itself
    ("/a//", "/a", F),
    ("/a//", "/a/x", T),
    ("/a//", "/a/x/y", T),
    ("/a//", "/b/x", F),
    ("//", "/a", T),
    ("//", "/a/b/c", T),
    # non-ASCII characters are characters, not bytes
    ("/é?", "/éx", T),
    ("/?", "/é", T),
    ("/[à-ü]", "/é", T),
    ("/{é,ü}", "/ü", T),
]

MALFORMED = ["", "a/b", "*", "/[abc", "/{a,b", "/a]", "/a}", "/[]", "/[!]", "/a/[b/c]", "/{a/b}"]

WILDCARD_TABLE = [
    ("/a/b", F),
    ("/a/*", T),
    ("/a?", T),
    ("/[a]", T),
    ("/a]", T),
    ("/{a}", T),
    ("/a}", T),
    ("/a//b", T),
    ("//", T),
    ("/a/", F),
    ("/a!-,.+($", F),
    ("", F),
]


@pytest.mark.parametrize(("pattern", "address", "expected"), SPEC_TABLE)
def test_spec_table(matcher_impl: ModuleType, pattern: str, address: str, expected: bool) -> None:
    assert matcher_impl.match_pattern(pattern, address) is expected
    assert matcher_impl.compile_pattern(pattern).match(address) is expected


@pytest.mark.parametrize("pattern", MALFORMED)
def test_malformed_patterns_raise(matcher_impl: ModuleType, pattern: str) -> None:
    with pytest.raises(OSCPatternError) as info:
        matcher_impl.compile_pattern(pattern)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, OSCError)


@pytest.mark.parametrize(("address", "expected"), WILDCARD_TABLE)
def test_has_wildcards(matcher_impl: ModuleType, address: str, expected: bool) -> None:
    assert matcher_impl.has_wildcards(address) is expected


def test_levels_structure(matcher_impl: ModuleType) -> None:
    levels = matcher_impl.compile_pattern("/a//b*/").levels
    # a, '//', b*, then the trailing '' of "/a//b*/" is a literal empty part
    assert [None if level is None else level.text for level in levels] == ["a", None, "b*", ""]
    assert levels[0].literal == "a"
    assert levels[2].literal is None
    trailing = matcher_impl.compile_pattern("/x//").levels
    assert trailing[1] is None and trailing[2].text == "*"
    assert matcher_impl.compile_pattern("/x//").pattern == "/x//"


def test_part_pattern(matcher_impl: ModuleType) -> None:
    part = matcher_impl.compile_part("ch[0-9]*")
    assert part.match("ch1")
    assert part.match("ch12x")
    assert not part.match("chx")
    assert matcher_impl.compile_part("plain").literal == "plain"
    with pytest.raises(OSCPatternError):
        matcher_impl.compile_part("a/b")


def test_long_names_use_heap_buffers(matcher_impl: ModuleType) -> None:
    # Longer than the compiled twin's on-stack flag buffers (256), in a part and in levels.
    name = "x" * 1000 + "y"
    assert matcher_impl.match_pattern("/*y", "/" + name)
    assert not matcher_impl.match_pattern("/*z", "/" + name)
    deep = "/a" * 600 + "/end"
    assert matcher_impl.match_pattern("//end", deep)
    assert not matcher_impl.match_pattern("//nope", deep)


def test_pathological_pattern_is_bounded(matcher_impl: ModuleType) -> None:
    # A backtracking matcher is exponential here; the position-set simulation is not.
    pattern = "/" + "*a" * 30 + "b"
    assert not matcher_impl.match_pattern(pattern, "/" + "a" * 200)
    assert not matcher_impl.match_pattern("/a" + "//a" * 20 + "/b", "/a" * 60)


# --- cross-check with python-osc's Dispatcher (message-side patterns) -----------------

# Rows where python-osc departs from the OSC spec, so it cannot serve as a peer.
# A reversed range makes python-osc's whole regex invalid, so it matches nothing, even where
# the range is negated or sits beside other members; oscwire treats the range as empty.
# Where python-osc departs from the spec: reversed ranges, and brackets matching '/'
# (it turns a pattern into one regex over the whole address).
PYTHONOSC_DEPARTS = {
    ("/[!z-a]", "/m"),
    ("/[z-ab]", "/b"),
    ("/a[.-0]b", "/a/b"),
    ("/a[!x]b", "/a/b"),
}


def _pythonosc_rows() -> list[tuple[str, str, bool]]:
    rows = []
    for pattern, address, expected in SPEC_TABLE:
        literal = address.startswith("/") and not re.search(r"[ #*,?\[\]{}]|//|/$", address)
        if "//" in pattern or not literal or address == "/":
            continue  # python-osc has no '//', and dispatches to literal addresses only
        if (pattern, address) in PYTHONOSC_DEPARTS:
            continue
        rows.append((pattern, address, expected))
    return rows


@pytest.mark.interop
@pytest.mark.parametrize(("pattern", "address", "expected"), _pythonosc_rows())
def test_table_agrees_with_pythonosc(pattern: str, address: str, expected: bool) -> None:
    dispatcher_module = pytest.importorskip("pythonosc.dispatcher")
    dispatcher = dispatcher_module.Dispatcher()
    dispatcher.map(address, lambda *args: None)
    matched = bool(list(dispatcher.handlers_for_address(pattern)))
    assert matched is expected


# --- differential: both twins and an independent regex oracle --------------------------


def _oracle_part(text: str) -> str:
    """Regex of one pattern part under oscwire's spec semantics (written independently)."""
    out = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = text.index("]", i + 1)
            body = text[i + 1 : end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            members = []
            j = 0
            while j < len(body):
                if j + 2 < len(body) and body[j + 1] == "-":
                    low, high = body[j], body[j + 2]
                    if low <= high:
                        members.append(re.escape(low) + "-" + re.escape(high))
                    j += 3
                else:
                    members.append(re.escape(body[j]))
                    j += 1
            if negate:
                out.append("[^/" + "".join(members) + "]")
            else:
                # A bracket matches one character of a part: never '/', even in a range.
                out.append("(?!/)[" + "".join(members) + "]" if members else "(?!)")
            i = end
        elif char == "{":
            end = text.index("}", i + 1)
            words = text[i + 1 : end].split(",")
            out.append("(?:" + "|".join(re.escape(w) for w in words) + ")")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _oracle(pattern: str, address: str) -> bool:
    texts = pattern[1:].split("/")
    out = []
    for index, text in enumerate(texts):
        last = index == len(texts) - 1
        if text == "" and not last:
            out.append("(?:/[^/]*)*")  # '//' marker: zero or more levels
        elif text == "" and index > 0 and texts[index - 1] == "":
            out.append("/[^/]*")  # trailing '//': one more level, any name
        else:
            out.append("/" + _oracle_part(text))
    regex = "".join(out)
    # Consecutive '//' markers collapse; the regex form is equivalent either way.
    return re.fullmatch(regex, address, re.DOTALL) is not None


_LITERAL_CHARS = "ab-!,.+($é"
_literal = st.text(alphabet=_LITERAL_CHARS, min_size=1, max_size=3)
_set_body = st.text(alphabet="abz-!.^", min_size=1, max_size=4).filter(
    lambda body: body not in ("!",)
)
_token = st.one_of(
    _literal,
    st.just("*"),
    st.just("?"),
    _set_body.map(lambda body: "[" + body + "]"),
    st.lists(st.text(alphabet="ab.", max_size=2), min_size=1, max_size=3).map(
        lambda words: "{" + ",".join(words) + "}"
    ),
)
_part = st.lists(_token, min_size=0, max_size=4).map("".join)
_pattern = st.lists(_part, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))
_address = st.lists(st.text(alphabet="ab-!.+($éz^", max_size=4), min_size=1, max_size=5).map(
    lambda parts: "/" + "/".join(parts)
)


def _pure() -> ModuleType:
    return _accel.load_twin("matcher", "python")


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pattern=_pattern, address=_address)
def test_twin_agrees_with_oracle(matcher_impl: ModuleType, pattern: str, address: str) -> None:
    assert matcher_impl.match_pattern(pattern, address) is _oracle(pattern, address)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pattern=st.text(alphabet="/ab*?[]{}!-,^.", max_size=12),
    address=st.text(alphabet="/ab*?[]{}!-,^.", max_size=12),
)
def test_twins_agree_on_anything(matcher_impl: ModuleType, pattern: str, address: str) -> None:
    # Any string, malformed ones included: same answer or the same error in both twins.
    def outcome(module: ModuleType) -> object:
        try:
            return module.match_pattern(pattern, address), module.has_wildcards(address)
        except OSCPatternError:
            return "OSCPatternError"

    assert outcome(matcher_impl) == outcome(_pure())


# --- argument types: both twins refuse non-str with TypeError and accept str subclasses ---


class _Sub(str):
    pass


@pytest.mark.parametrize(
    ("pattern", "address"), [(None, "/a"), ("/a", None), ("/a", b"/a"), (b"/a", "/a"), (1, "/a")]
)
def test_non_str_arguments_raise_type_error(
    matcher_impl: ModuleType, pattern: object, address: object
) -> None:
    with pytest.raises(TypeError):
        matcher_impl.match_pattern(pattern, address)
    with pytest.raises(TypeError):
        matcher_impl.compile_pattern("/a*").match(address if pattern == "/a" else pattern)
    with pytest.raises(TypeError):
        matcher_impl.compile_part("a*").match(address if pattern == "/a" else pattern)


def test_str_subclasses_are_strings(matcher_impl: ModuleType) -> None:
    # A StrEnum-like address (a common way to name OSC addresses) is a string to both twins.
    assert matcher_impl.match_pattern(_Sub("/a/*"), _Sub("/a/b")) is True
    assert matcher_impl.match_pattern("/a/?", _Sub("/a/bc")) is False
    assert matcher_impl.compile_pattern(_Sub("/x//y")).match(_Sub("/x/1/y")) is True
    assert matcher_impl.compile_part(_Sub("b[0-9]")).match(_Sub("b7")) is True
    assert matcher_impl.has_wildcards(_Sub("/a/{b,c}")) is True
    assert matcher_impl.has_wildcards(_Sub("/a/b")) is False


# --- one surface: both twins expose the same names and signatures -----------------------


def _parameters(function: object) -> list[tuple[str, object]]:
    """Names and kinds of the parameters (annotations aside: the compiled twin has none)."""
    return [(p.name, p.kind) for p in inspect.signature(function).parameters.values()]  # type: ignore[arg-type]


def test_twins_expose_the_same_names_and_signatures(matcher_impl: ModuleType) -> None:
    pure = _pure()
    assert matcher_impl.__all__ == pure.__all__
    for name in pure.__all__:
        ours, spec = getattr(matcher_impl, name), getattr(pure, name)
        if inspect.isclass(spec):
            # A cdef class shows no constructor signature: build it with keywords instead.
            keywords = {p: "/a*" if p != "text" else "a*" for p, _ in _parameters(spec)}
            built = ours(**keywords)
            public = {a for a in dir(spec(**keywords)) if not a.startswith("_")}
            assert public == {a for a in dir(built) if not a.startswith("_")}, name
            for attribute in public:
                if callable(getattr(spec, attribute)):
                    assert _parameters(getattr(ours, attribute)) == _parameters(
                        getattr(spec, attribute)
                    ), (name, attribute)
        elif callable(spec):
            assert _parameters(ours) == _parameters(spec), name
        else:
            assert ours == spec, name
