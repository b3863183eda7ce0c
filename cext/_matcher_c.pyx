# cython: language_level=3
"""OSC 1.0/1.1 address pattern matching, compiled twin of ``oscwire._matcher_py``.

Same functions, classes, errors and answers as the pure twin, which is the specification
(see its docstring for the semantics). Characters are read in place from the ``str``
objects (``PyUnicode_READ``); positions reachable in a part, or in the parts of an
address, are kept as flag arrays, so a match costs at most ``len(pattern) * len(address)``
steps and never backtracks. No regular expressions: osc4py3's "osc" kind
(:class:`OscPattern`) runs the steps parsed by ``oscwire._osckind`` the same way.

The ``call_methods*`` functions use what ``oscwire._dispatchable.Dispatchable`` declares of
a method filter (``fastfunc``, ``failed()``, ``failures``, calling it), nothing else.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.unicode cimport PyUnicode_DATA, PyUnicode_KIND, PyUnicode_READ
from libc.string cimport memcpy, memset

import logging

from oscwire import _osckind
from oscwire._errors import OSCPatternError
from oscwire._logutil import LogThrottle

cdef object _LOGGER = logging.getLogger("oscwire.oscdispatching")
# What escapes a method filter (not a handler) can repeat for every message of a batch.
cdef object _ESCAPED = LogThrottle(_LOGGER)

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

WILDCARD_CHARS = "?*[]{}"

cdef enum:
    _STACK_FLAGS = 256

cdef enum TokenKind:
    LITERAL = 0
    ANY_CHAR = 1
    STAR = 2
    CHARSET = 3
    ALTERNATIVES = 4


cdef str _text(object value, str name):
    """*value* as an exact str (a str subclass is copied, as the pure twin accepts them)."""
    if type(value) is str:
        return <str>value
    if isinstance(value, str):
        return str.__str__(value)
    raise TypeError(
        f"Argument {name!r} has incorrect type (expected str, got {type(value).__name__})"
    )


def has_wildcards(address):
    """True when *address* holds any of ``? * [ ] { }`` or ``//``: it is a pattern."""
    cdef str text = _text(address, "address")
    cdef Py_ssize_t i, n = len(text)
    cdef int kind = PyUnicode_KIND(text)
    cdef void *data = PyUnicode_DATA(text)
    cdef Py_UCS4 c, previous = 0
    for i in range(n):
        c = PyUnicode_READ(kind, data, i)
        if c == 63 or c == 42 or c == 91 or c == 93 or c == 123 or c == 125:  # ?*[]{}
            return True
        if c == 47 and previous == 47:  # //
            return True
        previous = c
    return False


cdef class _Token:
    cdef int kind
    cdef str text            # LITERAL
    cdef bint negate         # CHARSET
    cdef str singles         # CHARSET: single characters
    cdef str lows            # CHARSET: range starts
    cdef str highs           # CHARSET: range ends (same length as lows)
    cdef tuple alternatives  # ALTERNATIVES


cdef _Token _make(int kind):
    cdef _Token token = _Token.__new__(_Token)
    token.kind = kind
    return token


cdef inline bint _equal_at(int nkind, void *ndata, Py_ssize_t nlen, Py_ssize_t pos, str text):
    """True when *text* occurs in the name (nkind/ndata/nlen) at *pos*."""
    cdef Py_ssize_t i, m = len(text)
    if pos + m > nlen:
        return False
    cdef int tkind = PyUnicode_KIND(text)
    cdef void *tdata = PyUnicode_DATA(text)
    for i in range(m):
        if PyUnicode_READ(nkind, ndata, pos + i) != PyUnicode_READ(tkind, tdata, i):
            return False
    return True


cdef bint _in_set(_Token token, Py_UCS4 c):
    cdef Py_ssize_t i
    cdef bint found = False
    cdef str singles = token.singles
    cdef str lows = token.lows
    cdef str highs = token.highs
    for i in range(len(singles)):
        if <Py_UCS4>singles[i] == c:
            found = True
            break
    if not found:
        for i in range(len(lows)):
            if <Py_UCS4>lows[i] <= c <= <Py_UCS4>highs[i]:
                found = True
                break
    return found != token.negate


cdef _Token _parse_set(str part, Py_ssize_t start, Py_ssize_t *after):
    cdef Py_ssize_t end = part.find("]", start)
    if end < 0:
        raise OSCPatternError(f"unclosed '[' in pattern part {part!r}")
    cdef str body = part[start:end]
    cdef bint negate = body.startswith("!")
    if negate:
        body = body[1:]
    if not body:
        raise OSCPatternError(f"empty character set '[{'!' if negate else ''}]' in {part!r}")
    singles = []
    lows = []
    highs = []
    cdef Py_ssize_t i = 0, n = len(body)
    while i < n:
        # "a-z" is a range; a '-' first or last (nothing on one side) is a literal '-'.
        if i + 2 < n and body[i + 1] == "-":
            lows.append(body[i])
            highs.append(body[i + 2])
            i += 3
        else:
            singles.append(body[i])
            i += 1
    cdef _Token token = _make(CHARSET)
    token.negate = negate
    token.singles = "".join(singles)
    token.lows = "".join(lows)
    token.highs = "".join(highs)
    after[0] = end + 1
    return token


cdef list _tokenize(str part):
    cdef list tokens = []
    cdef list literal = []
    cdef Py_ssize_t i = 0, n = len(part), end
    cdef Py_UCS4 c
    cdef _Token token
    while i < n:
        c = part[i]
        if c == "*" or c == "?" or c == "[" or c == "{":
            if literal:
                token = _make(LITERAL)
                token.text = "".join(literal)
                tokens.append(token)
                literal = []
        if c == "*":
            # Consecutive stars mean the same as one star.
            if not tokens or (<_Token>tokens[len(tokens) - 1]).kind != STAR:
                tokens.append(_make(STAR))
            i += 1
        elif c == "?":
            tokens.append(_make(ANY_CHAR))
            i += 1
        elif c == "[":
            tokens.append(_parse_set(part, i + 1, &i))
        elif c == "{":
            end = part.find("}", i + 1)
            if end < 0:
                raise OSCPatternError(f"unclosed '{{' in pattern part {part!r}")
            token = _make(ALTERNATIVES)
            token.alternatives = tuple(part[i + 1:end].split(","))
            tokens.append(token)
            i = end + 1
        elif c == "]" or c == "}":
            raise OSCPatternError(f"unmatched {part[i]!r} in pattern part {part!r}")
        else:
            literal.append(part[i])
            i += 1
    if literal:
        token = _make(LITERAL)
        token.text = "".join(literal)
        tokens.append(token)
    return tokens


cdef class PartPattern:
    """One part of a pattern (between two ``/``), compiled; ``match(name)`` tests one name.

    ``text`` is the source; ``literal`` is the text itself when it holds no wildcard
    (then matching is plain equality), else None.
    """

    cdef readonly str text
    cdef readonly object literal
    cdef list _tokens

    def __init__(self, text):
        text = _text(text, "text")
        if "/" in text:
            raise OSCPatternError(f"a pattern part cannot hold '/': {text!r}")
        self.text = text
        self._tokens = _tokenize(text)
        if not self._tokens:
            self.literal = ""
        elif len(self._tokens) == 1 and (<_Token>self._tokens[0]).kind == LITERAL:
            self.literal = (<_Token>self._tokens[0]).text
        else:
            self.literal = None

    def __repr__(self):
        return f"PartPattern({self.text!r})"

    def match(self, name):
        """True when the address part *name* matches this pattern part entirely."""
        return self._match(_text(name, "name"))

    cdef bint _match(self, str name) except -1:
        if self.literal is not None:
            return name == <str>self.literal
        cdef Py_ssize_t size = len(name)
        cdef char stack_flags[2 * _STACK_FLAGS]
        cdef char *flags = stack_flags
        if size + 1 > _STACK_FLAGS:
            flags = <char *>PyMem_Malloc(2 * (size + 1))
            if flags == NULL:
                raise MemoryError()
        try:
            return self._simulate(name, size, flags, flags + size + 1)
        finally:
            if flags != stack_flags:
                PyMem_Free(flags)

    cdef bint _simulate(self, str name, Py_ssize_t size, char *current, char *reached) except -1:
        cdef int kind = PyUnicode_KIND(name)
        cdef void *data = PyUnicode_DATA(name)
        cdef Py_ssize_t pos, first, step, j
        cdef bint any_reached
        cdef _Token token
        cdef char *swap
        cdef str alternative
        memset(current, 0, size + 1)
        current[0] = 1
        for token in self._tokens:
            memset(reached, 0, size + 1)
            any_reached = False
            if token.kind == STAR:
                first = 0
                while not current[first]:
                    first += 1
                for pos in range(first, size + 1):
                    reached[pos] = 1
                any_reached = True
            elif token.kind == LITERAL:
                step = len(token.text)
                for pos in range(size + 1):
                    if current[pos] and _equal_at(kind, data, size, pos, token.text):
                        reached[pos + step] = 1
                        any_reached = True
            elif token.kind == ANY_CHAR:
                for pos in range(size):
                    if current[pos]:
                        reached[pos + 1] = 1
                        any_reached = True
            elif token.kind == CHARSET:
                for pos in range(size):
                    if current[pos] and _in_set(token, PyUnicode_READ(kind, data, pos)):
                        reached[pos + 1] = 1
                        any_reached = True
            else:
                for pos in range(size + 1):
                    if current[pos]:
                        for j in range(len(token.alternatives)):
                            alternative = <str>token.alternatives[j]
                            if _equal_at(kind, data, size, pos, alternative):
                                reached[pos + len(alternative)] = 1
                                any_reached = True
            if not any_reached:
                return False
            swap = current
            current = reached
            reached = swap
        return current[size] != 0


def compile_part(text):
    """Compile one pattern part (no ``/``); raises OSCPatternError when malformed."""
    return PartPattern(text)


cdef class CompiledPattern:
    """A whole address pattern, compiled once, matched many times with ``match(address)``.

    ``levels`` is a tuple with one item per level of the pattern: a :class:`PartPattern`, or
    None for OSC 1.1's ``//`` (any number of levels). A trailing ``//`` is stored as None
    followed by the part pattern ``*``.
    """

    cdef readonly str pattern
    cdef readonly tuple levels

    def __init__(self, pattern):
        pattern = _text(pattern, "pattern")
        if not pattern.startswith("/"):
            raise OSCPatternError(f"an OSC address pattern starts with '/': {pattern!r}")
        self.pattern = pattern
        cdef list texts = pattern[1:].split("/")
        cdef Py_ssize_t index, last = len(texts) - 1
        cdef list levels = []
        cdef str text
        for index in range(last + 1):
            text = texts[index]
            if not text and index < last:
                # An empty part between two slashes is '//'; several in a row are one.
                if not levels or levels[len(levels) - 1] is not None:
                    levels.append(None)
            elif not text and levels and levels[len(levels) - 1] is None:
                # Trailing '//': any name at the last level (one level or more below).
                levels.append(PartPattern("*"))
            else:
                levels.append(PartPattern(text))
        self.levels = tuple(levels)

    def __repr__(self):
        return f"CompiledPattern({self.pattern!r})"

    def match(self, address):
        """True when the literal *address* matches the whole pattern."""
        return self._match(_text(address, "address"))

    cdef bint _match(self, str address) except -1:
        if not address.startswith("/"):
            return False
        cdef list names = address[1:].split("/")
        cdef Py_ssize_t count = len(names)
        cdef char stack_flags[2 * _STACK_FLAGS]
        cdef char *flags = stack_flags
        if count + 1 > _STACK_FLAGS:
            flags = <char *>PyMem_Malloc(2 * (count + 1))
            if flags == NULL:
                raise MemoryError()
        try:
            return self._simulate(names, count, flags, flags + count + 1)
        finally:
            if flags != stack_flags:
                PyMem_Free(flags)

    cdef bint _simulate(self, list names, Py_ssize_t count, char *current,
                        char *reached) except -1:
        cdef Py_ssize_t pos, first
        cdef bint any_reached
        cdef object level
        cdef char *swap
        memset(current, 0, count + 1)
        current[0] = 1
        for level in self.levels:
            memset(reached, 0, count + 1)
            any_reached = False
            if level is None:
                first = 0
                while not current[first]:
                    first += 1
                for pos in range(first, count + 1):
                    reached[pos] = 1
                any_reached = True
            else:
                for pos in range(count):
                    if current[pos] and (<PartPattern>level)._match(<str>names[pos]):
                        reached[pos + 1] = 1
                        any_reached = True
            if not any_reached:
                return False
            swap = current
            current = reached
            reached = swap
        return current[count] != 0


def compile_pattern(pattern):
    """Compile an OSC address pattern; raises OSCPatternError when it is malformed."""
    return CompiledPattern(pattern)


def match_pattern(pattern, address):
    """True when the literal *address* matches the OSC *pattern* (spec semantics, full match)."""
    return CompiledPattern(pattern)._match(_text(address, "address"))


# --- osc4py3's "osc" kind ------------------------------------------------------------

cdef enum OscStep:
    OSC_LITERAL = 0
    OSC_ANY_BUT_SLASH = 1
    OSC_RUN_BUT_SLASH = 2
    OSC_OPTIONAL_SLASH = 3
    OSC_RUN_BUT_NEWLINE = 4
    OSC_CHARSET = 5
    OSC_ALTERNATIVES = 6


cdef class _OscStep:
    cdef int kind
    cdef str text            # OSC_LITERAL
    cdef _Token charset      # OSC_CHARSET (its negate, singles, lows, highs)
    cdef list alternatives   # OSC_ALTERNATIVES: lists of _OscStep


cdef list _osc_steps(steps):
    """The ``oscwire._osckind`` step tuples as _OscStep objects."""
    cdef list out = []
    cdef _OscStep step
    for item in steps:
        step = _OscStep.__new__(_OscStep)
        step.kind = item[0]
        if step.kind == OSC_LITERAL:
            step.text = _text(item[1], "text")
        elif step.kind == OSC_CHARSET:
            step.charset = _make(CHARSET)
            step.charset.negate = item[1]
            step.charset.singles = item[2]
            step.charset.lows = item[3]
            step.charset.highs = item[4]
            if len(step.charset.lows) != len(step.charset.highs):
                raise ValueError("a charset step needs as many range ends as starts")
        elif step.kind == OSC_ALTERNATIVES:
            step.alternatives = [_osc_steps(words) for words in item[1]]
        elif step.kind < OSC_LITERAL or step.kind > OSC_ALTERNATIVES:
            raise ValueError(f"unknown osc pattern step {item!r}")
        out.append(step)
    return out


cdef bint _osc_step(_OscStep step, int kind, void *data, Py_ssize_t size,
                    const char *current, char *reached) except -1:
    """Mark in *reached* (zeroed) the positions one step reaches from *current*."""
    cdef Py_ssize_t pos, step_size
    cdef bint any_reached = False, running = False
    cdef Py_UCS4 c, stop
    if step.kind == OSC_LITERAL:
        step_size = len(step.text)
        for pos in range(size - step_size + 1):
            if current[pos] and _equal_at(kind, data, size, pos, step.text):
                reached[pos + step_size] = 1
                any_reached = True
    elif step.kind == OSC_RUN_BUT_SLASH or step.kind == OSC_RUN_BUT_NEWLINE:
        stop = 47 if step.kind == OSC_RUN_BUT_SLASH else 10  # '/' or '\n'
        for pos in range(size + 1):
            if current[pos]:
                running = True
            if running:
                reached[pos] = 1
                any_reached = True
                if pos < size and PyUnicode_READ(kind, data, pos) == stop:
                    running = False
    elif step.kind == OSC_OPTIONAL_SLASH:
        for pos in range(size + 1):
            if current[pos]:
                reached[pos] = 1
                any_reached = True
                if pos < size and PyUnicode_READ(kind, data, pos) == 47:
                    reached[pos + 1] = 1
    elif step.kind == OSC_ANY_BUT_SLASH:
        for pos in range(size):
            if current[pos] and PyUnicode_READ(kind, data, pos) != 47:
                reached[pos + 1] = 1
                any_reached = True
    else:  # OSC_CHARSET
        for pos in range(size):
            if current[pos]:
                c = PyUnicode_READ(kind, data, pos)
                if _in_set(step.charset, c):
                    reached[pos + 1] = 1
                    any_reached = True
    return any_reached


cdef class OscPattern:
    """An "osc" kind pattern (osc4py3's semantics), compiled; ``match(address)`` tests one.

    True exactly when ``re.match(convert_osc2re(pattern), address)`` would be: the
    pattern matches the start of the address and the rest holds no newline (but a final
    one). ``literal`` is the pattern when it is plain text (a prefix test), else None.
    """

    cdef readonly str pattern
    cdef readonly object literal
    cdef list _steps

    def __init__(self, pattern):
        pattern = _text(pattern, "pattern")
        self.pattern = pattern
        steps = _osckind.parse_osc_pattern(pattern)
        self._steps = _osc_steps(steps)
        if not steps:
            self.literal = ""
        elif len(steps) == 1 and steps[0][0] == OSC_LITERAL:
            self.literal = steps[0][1]
        else:
            self.literal = None

    def __repr__(self):
        return f"OscPattern({self.pattern!r})"

    def match(self, address):
        """True when a message sent to *address* is for this pattern (osc4py3's answer)."""
        return self._match(_text(address, "address"))

    cdef bint _match(self, str address) except -1:
        cdef Py_ssize_t size = len(address)
        cdef Py_ssize_t tail = _osckind.tail_start(address)
        if self.literal is not None:
            return address.startswith(<str>self.literal) and len(<str>self.literal) >= tail
        # Four flag rows: current and next positions, and two more for alternatives.
        cdef char stack_flags[4 * _STACK_FLAGS]
        cdef char *flags = stack_flags
        if size + 1 > _STACK_FLAGS:
            flags = <char *>PyMem_Malloc(4 * (size + 1))
            if flags == NULL:
                raise MemoryError()
        try:
            return self._simulate(address, size, tail, flags)
        finally:
            if flags != stack_flags:
                PyMem_Free(flags)

    cdef bint _simulate(self, str address, Py_ssize_t size, Py_ssize_t tail,
                        char *flags) except -1:
        cdef int kind = PyUnicode_KIND(address)
        cdef void *data = PyUnicode_DATA(address)
        cdef Py_ssize_t row = size + 1, pos
        cdef char *current = flags
        cdef char *reached = flags + row
        cdef char *word_current = flags + 2 * row
        cdef char *word_reached = flags + 3 * row
        cdef char *swap
        cdef bint any_reached, word_alive
        cdef _OscStep step, word_step
        cdef list word
        memset(current, 0, row)
        current[0] = 1
        for step in self._steps:
            memset(reached, 0, row)
            if step.kind == OSC_ALTERNATIVES:
                any_reached = False
                for word in step.alternatives:
                    memcpy(word_current, current, row)
                    word_alive = True
                    for word_step in word:
                        memset(word_reached, 0, row)
                        word_alive = _osc_step(word_step, kind, data, size,
                                               word_current, word_reached)
                        swap = word_current
                        word_current = word_reached
                        word_reached = swap
                        if not word_alive:
                            break
                    if word_alive:
                        for pos in range(row):
                            if word_current[pos]:
                                reached[pos] = 1
                                any_reached = True
            else:
                any_reached = _osc_step(step, kind, data, size, current, reached)
            if not any_reached:
                return False
            swap = current
            current = reached
            reached = swap
        for pos in range(tail, row):
            if current[pos]:
                return True
        return False


def compile_osc_pattern(pattern):
    """Compile an "osc" kind pattern; raises OSCRegexError where osc4py3's regex would fail."""
    return OscPattern(pattern)


def call_methods(methods, message, packopt):
    """Call each method filter of *methods* with ``(message, packopt)``; return the count.

    A filter whose call is plain ``function(*message.arguments)`` (its ``fastfunc``) is
    called here directly; its failures are reported through its ``failed()`` as
    ``MethodFilter.__call__`` would.
    """
    cdef Py_ssize_t count = 0
    cdef tuple arguments = None
    for method in methods:
        function = method.fastfunc
        if function is not None:
            if arguments is None:
                values = message.arguments
                arguments = values if type(values) is tuple else tuple(values)
            try:
                function(*arguments)
            except Exception:
                method.failed()
        else:
            function = getattr(method, "replyfunc", None)
            if function is not None:
                if arguments is None:
                    values = message.arguments
                    arguments = values if type(values) is tuple else tuple(values)
                _call_replying(method, function, message, arguments, packopt)
            else:
                method(message, packopt)
        count += 1
    return count


cdef bint _call_replying(method, function, message, tuple arguments, packopt) except -1:
    """Call a ``replyfunc`` and hand a non-None result to ``answer``; True when it failed
    (the handler raised, or its reply could not be sent: both counted by the filter)."""
    if method.replyaddress:
        arguments = (message.addrpattern,) + arguments
    try:
        result = function(*arguments)
    except Exception as error:
        method.handler_failed(message, arguments, error)
        return True
    if result is None:
        return False
    before = method.failures
    method.answer(result, packopt, message)
    return method.failures != before


def call_methods_failures(methods, message, packopt):
    """Call each method filter of *methods* like :func:`call_methods`; return how many failed.

    A call fails when its handler raises (logged and counted in the filter's ``failures``,
    never propagated); a dispatcher adds the result to its statistics.
    """
    return _call_methods_failures(methods, message, packopt)


cdef Py_ssize_t _call_methods_failures(methods, message, packopt) except -1:
    cdef Py_ssize_t failed = 0
    cdef tuple arguments = None
    for method in methods:
        function = method.fastfunc
        if function is not None:
            if arguments is None:
                values = message.arguments
                arguments = values if type(values) is tuple else tuple(values)
            try:
                function(*arguments)
            except Exception:
                method.failed()
                failed += 1
        else:
            function = getattr(method, "replyfunc", None)
            if function is not None:
                if arguments is None:
                    values = message.arguments
                    arguments = values if type(values) is tuple else tuple(values)
                if _call_replying(method, function, message, arguments, packopt):
                    failed += 1
                continue
            before = method.failures
            method(message, packopt)
            if method.failures != before:
                failed += 1
    return failed


def call_flat_failures(list flat):
    """:func:`call_methods_failures` for each ``methods, message, packopt`` triple of the
    flat list *flat*, in order; return ``(calls, failures)``.

    What a handler thread runs for one batch of one source. An exception that escapes a
    filter (not a handler: those are caught there) is logged, counted as a failure, and
    does not stop the rest of the batch.
    """
    cdef Py_ssize_t index = 0
    cdef Py_ssize_t calls = 0
    cdef Py_ssize_t failed = 0
    # The length is read again at each triple: a handler runs Python code in between, and
    # items are read without bounds checks.
    while index + 2 < len(flat):
        methods = flat[index]
        message = flat[index + 1]
        packopt = flat[index + 2]
        index += 3
        calls += len(methods)
        try:
            failed += _call_methods_failures(methods, message, packopt)
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
