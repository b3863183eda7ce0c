"""osc4py3's own demos (``osc4py3/demos/``), copied and patched to run unattended.

``rundemo.py`` (one process: a server and a client of itself, driven by a text menu) runs
in each policy and each network mode (UDP, multicast, broadcast), its menu answered by a
script instead of ``input()``. ``speedudpsrv.py`` and ``speedudpcli.py`` (a server and a
client process, fixed port 6503) run as pairs under a small driver. Every patch is the
same for the osc4py3 run and the oscwire run, and each one must apply (a changed demo
fails the test instead of running unpatched). The demos use fixed ports: they need a
private network namespace.

Where osc4py3 1.0.8 itself cannot run a demo correctly (it never sends with as_comthreads
and loses packets with as_allthreads), the expected output is the output of the same demo
with osc4py3's event loop policy, kept in ``demos/<name>.expected``.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Optional

from _runner import HERE, Need, Program

EXPECTED_DIR = HERE / "demos"
POLICIES = ("as_eventloop", "as_allthreads", "as_comthreads")
MODES = ("udp", "multicast", "broadcast")

#: Menu answers given to rundemo.py, one per loop turn, with the seconds to keep calling
#: osc_process() after it (the timed bundle is patched to 0.5 s ahead).
RUNDEMO_SCRIPT = [
    ("s", 0.3),
    ("m", 0.4),
    ("b", 0.3),
    ("f", 1.0),
    ("l", 0.2),
    ("k", 0.3),
    ("a", 0.3),
    ("q", 0.0),
]

_BUG_COMTHREADS = (
    "as_comthreads never sends over UDP: osc_udp_client() and the multicast/broadcast "
    "clients get a write_workqueue (as_comthreads.py:145, :174, :207) that no thread and no "
    "osc_process() call drains (as_comthreads.py:96-104). Expected output: the event loop "
    "policy's output of the same demo."
)
_BUG_ALLTHREADS = (
    "as_allthreads loses and duplicates datagrams: its write jobs, run by a pool of threads "
    "(as_allthreads.py:66-70), send whatever write_running holds when they run "
    "(oscudpmc.py:458) while the monitor thread may already have marked it written "
    "(oscchannel.py:778-798). Expected output: the event loop policy's output of the same demo."
)


def demos_dir() -> Optional[Path]:
    """The installed osc4py3's demos directory, or None when osc4py3 is not installed."""
    spec = importlib.util.find_spec("osc4py3")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "demos"
    return path if path.is_dir() else None


def patch(text: str, old: str, new: str, count: int = 1) -> str:
    """Replace *old* by *new* exactly *count* times, or fail (the demo changed)."""
    found = text.count(old)
    if found != count:
        raise ValueError(f"demo patch expected {count} x {old!r}, found {found}")
    return text.replace(old, new)


_SCRIPTED_INPUT = """
# Patched in by the compat suite: the menu's answers, each given after calling
# osc_process() for a while, so that the previous action's packets are all handled first.
_script = iter({script!r})
_settle = 0.0


def _next_action(prompt):
    global _settle
    end = time.time() + _settle
    while time.time() < end:
        osc_process()
        time.sleep(0.01)
    action, _settle = next(_script)
    print(prompt + action)
    return action
"""


def _rundemo_source(text: str) -> str:
    text = patch(text, 'act = input("Action:")', 'act = _next_action("Action:")')
    text = patch(text, 'print("\\n" + time.asctime())', 'print("\\n<time>")')
    text = patch(
        text,
        "exectime = time.time() + 10   # execute in 10 seconds",
        "exectime = time.time() + 0.5",
    )
    text = patch(
        text,
        "finished = False\nwhile not finished:",
        _SCRIPTED_INPUT.format(script=RUNDEMO_SCRIPT) + "\nfinished = False\nwhile not finished:",
    )
    return text


_HANDLER_LINE = re.compile(
    r"^##### \d+ handler function called with: (?P<arguments>\(.*?\))(?P<rest>.*)$"
)
_LINE_STARTS = re.compile(r"(?=##### \d+ handler)|(?=Action:)")


def normalize_rundemo(stdout: str) -> str:
    """The handler lines that follow one menu answer, unnumbered and sorted, just before the
    next answer: threads call handlers in any order, and how many packets one
    osc_process() call gets through differs (osc4py3 sends one per call), so the lines may
    land before or after the next menu. print() writes a line and its end separately, so
    a handler thread's line can be glued to another line (before or after it): lines are
    split where a handler line starts and after its arguments (the demo's arguments hold
    no parenthesis), and empty lines dropped. The timed bundle's send time is masked."""
    out: list[str] = []
    block: list[str] = []
    pending = [part for raw in stdout.splitlines() for part in _LINE_STARTS.split(raw)]
    pending.reverse()
    while pending:
        line = pending.pop()
        match = _HANDLER_LINE.match(line)
        if match:
            arguments = re.sub(r"\d+\.\d+\)$", "<time>)", match["arguments"])
            block.append("##### handler function called with: " + arguments)
            if match["rest"]:
                pending.append(match["rest"])
            continue
        if line.startswith("Action:"):
            out.extend(sorted(block))
            block = []
        if line.strip():
            out.append(line)
    out.extend(sorted(block))
    return "\n".join(out) + "\n"


def normalize_speed(stdout: str) -> str:
    """Timings masked."""
    return re.sub(r"\d+\.\d{3} sec", "<seconds> sec", stdout)


_DRIVER = """
import subprocess, sys, time
server = subprocess.Popen([sys.executable, "-u", "speedudpsrv.py"], stdout=subprocess.PIPE, text=True)
lines = []
for line in server.stdout:
    lines.append(line)
    if line.startswith("Now, you can start the client."):
        break
client = subprocess.run([sys.executable, "-u", "speedudpcli.py"], capture_output=True, text=True)
rest, _ = server.communicate()
print("=== server ===")
print("".join(lines) + rest, end="")
print("=== server exit status", server.returncode)
print("=== client ===")
print(client.stdout, end="")
print("=== client exit status", client.returncode)
sys.stderr.write(client.stderr)
"""


def _speed_files(demos: Path, server_policy: str, client_policy: str) -> dict[str, str]:
    server = (demos / "speedudpsrv.py").read_text(encoding="utf-8")
    server = patch(server, 'SCHEDULING = "comthreads"', f'SCHEDULING = "{server_policy}"')
    server = patch(
        server,
        "while hcount < MESSAGES_COUNT:",
        "_end = time.time() + 5\n    while hcount < MESSAGES_COUNT and time.time() < _end:",
    )
    server = patch(
        server,
        'input("Waiting while processing...")',
        "_end = time.time() + 5\n    while hcount < MESSAGES_COUNT and time.time() < _end:\n        time.sleep(0.01)",
    )
    server = patch(server, 'print("\\nElapsed', 'print(flush=True)\n            print("\\nElapsed')
    client = (demos / "speedudpcli.py").read_text(encoding="utf-8")
    client = patch(client, 'SCHEDULING = "eventloop"', f'SCHEDULING = "{client_policy}"')
    client = patch(client, "delay = time.time() + 10    # leave 10 sec.", "delay = time.time() + 1")
    client = patch(
        client,
        'input("When server has all received, you can press enter to close client.")',
        "time.sleep(1)",
    )
    common = (demos / "speedudpcommon.py").read_text(encoding="utf-8")
    common = patch(common, "MESSAGES_COUNT = 1000", "MESSAGES_COUNT = 200")
    return {
        "speedudpsrv.py": server,
        "speedudpcli.py": client,
        "speedudpcommon.py": common,
        "demoslogger.py": (demos / "demoslogger.py").read_text(encoding="utf-8"),
        "driver.py": _DRIVER,
    }


def _expected(name: str) -> Optional[str]:
    path = EXPECTED_DIR / f"{name}.expected"
    return path.read_text(encoding="utf-8") if path.exists() else None


def demo_programs() -> list[Program]:
    """One Program per demo run (none when osc4py3 is not installed)."""
    demos = demos_dir()
    if demos is None:
        return []
    rundemo = _rundemo_source((demos / "rundemo.py").read_text(encoding="utf-8"))
    logger = (demos / "demoslogger.py").read_text(encoding="utf-8")
    programs = []
    for policy in POLICIES:
        for mode in MODES:
            name = f"demo_rundemo_{policy}_{mode}"
            needs = {Need.NETNS} | ({Need.MULTICAST} if mode == "multicast" else set())
            bug = {"as_comthreads": _BUG_COMTHREADS, "as_allthreads": _BUG_ALLTHREADS}.get(policy)
            programs.append(
                Program(
                    name=name,
                    files={"rundemo.py": rundemo, "demoslogger.py": logger},
                    entry="rundemo.py",
                    argv=(policy, "nolog") + (() if mode == "udp" else (mode,)),
                    needs=frozenset(needs),
                    expected=_expected(name),
                    osc4py3_bug=bug,
                    normalize=normalize_rundemo,
                    kind="demo",
                    summary=f"osc4py3's demos/rundemo.py, {policy}, {mode}, menu answered by a script",
                )
            )
    # The server in each policy fed by the event loop client (osc4py3 receives in every
    # policy), then the threaded clients sending to an event loop server.
    pairs = [
        ("eventloop", "eventloop"),
        ("allthreads", "eventloop"),
        ("comthreads", "eventloop"),
        ("eventloop", "allthreads"),
        ("eventloop", "comthreads"),
    ]
    for server_policy, client_policy in pairs:
        name = f"demo_speedudp_srv_{server_policy}_cli_{client_policy}"
        bug = {"comthreads": _BUG_COMTHREADS, "allthreads": _BUG_ALLTHREADS}.get(client_policy)
        programs.append(
            Program(
                name=name,
                files=_speed_files(demos, server_policy, client_policy),
                entry="driver.py",
                needs=frozenset({Need.NETNS}),
                expected=_expected(name),
                osc4py3_bug=bug,
                normalize=normalize_speed,
                kind="demo",
                summary=f"osc4py3's demos/speedudpsrv.py ({server_policy}) fed by speedudpcli.py "
                f"({client_policy}), 200 messages",
            )
        )
    return programs
