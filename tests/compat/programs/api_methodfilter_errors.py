"""Mistakes a program can make building a MethodFilter, and the exceptions it catches
(the types osc4py3 raises: re.error for a bad regular expression, ValueError for an
unknown pattern kind, RuntimeError for an unknown argument scheme). A program catching
only those would crash on anything else: each check prints such a type as UNCAUGHT."""

import re

from osc4py3 import oscmethod
from osc4py3.oscbuildparse import OSCMessage
from osc4py3.oscmethod import MethodFilter


def handler(*args):
    pass


def check(label, expected, build):
    try:
        build()
        print(label, "-> no error", flush=True)
    except expected:
        print(
            label,
            "->",
            "re.error" if expected is re.error else expected.__name__,
            "caught",
            flush=True,
        )
    except Exception as error:
        print(label, "-> UNCAUGHT", type(error).__name__, flush=True)


check("bad regular expression", re.error, lambda: MethodFilter("/bad[", handler, patternkind="re"))
check("unbalanced group", re.error, lambda: MethodFilter("/a(b", handler, patternkind="re"))
check("patternkind='glob'", ValueError, lambda: MethodFilter("/a", handler, patternkind="glob"))
check(
    "unknown argument scheme",
    RuntimeError,
    lambda: MethodFilter("/a", handler, argscheme=("data", "nonsense")),
)
check(
    "scheme spelled by hand",
    RuntimeError,
    lambda: MethodFilter("/a", handler, argscheme=oscmethod.OSCARG_DATA + ("message",)),
)

lock_calls = []


class CountingLock:
    def acquire(self):
        lock_calls.append("acquire")

    def release(self):
        lock_calls.append("release")


mf = MethodFilter("/l", lambda x: lock_calls.append(x), lock=CountingLock())
mf(OSCMessage("/l", None, [1]), None)
print("lock around the call:", lock_calls, flush=True)
