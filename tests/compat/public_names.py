"""Every public name of osc4py3 1.0.8's modules, and whether oscwire's module has it.

For each module of the osc4py3 package (its ``demos`` and ``tests`` packages aside), the
public names are the ones not starting with ``_`` that the module defines itself:
functions and classes whose ``__module__`` is that module, and every other value
(constants, module state) except imported modules. For each, ``oscwire.<module>`` is
inspected: the name exists with the same signature (or value), exists with a compatible
signature (every osc4py3 call still binds), differs, or is missing; a name oscwire keeps
only to refuse its use (marked ``__oscwire_unsupported__``, its message) raises
NotImplementedError when used; a ``__future__`` import needs no counterpart. Public
methods of osc4py3's classes (static and class methods too) are compared the same way;
those needing an instance are not listed for a class whose construction raises.

``python tests/compat/public_names.py`` prints the Markdown section used in
``docs/compat-report.md`` (``make_report.py`` writes it there).
"""

from __future__ import annotations
import __future__

import enum
import importlib
import inspect
import pkgutil
import re
import types
import warnings
from dataclasses import dataclass
from typing import Any, Optional


class Status(enum.Enum):
    """How oscwire's name compares with osc4py3's."""

    SAME = "exists"
    COMPATIBLE = "exists (compatible signature)"
    VALUE = "exists (other value)"
    DIFFERS = "differs in signature"
    KIND = "exists (other kind)"
    NO_MEANING = "raises NotImplementedError when used (says what to use)"
    NOT_NEEDED = "not needed (`__future__` import)"
    MISSING = "missing"
    NO_MODULE = "missing (no such module)"


#: The attribute oscwire sets on the names it keeps only to refuse them (its message).
UNSUPPORTED_MARK = "__oscwire_unsupported__"


def unsupported_message(value: Any) -> Optional[str]:
    """The message of a name oscwire keeps only to refuse its use, else None."""
    try:
        mark = getattr(value, UNSUPPORTED_MARK, None)
    except Exception:
        return None
    return mark if isinstance(mark, str) and mark else None


@dataclass(frozen=True)
class Row:
    """One osc4py3 name and what oscwire has under it."""

    module: str
    name: str
    kind: str
    status: Status
    detail: str = ""


def osc4py3_modules() -> list[str]:
    """The plain modules of the osc4py3 package, sorted."""
    package = importlib.import_module("osc4py3")
    return sorted(
        info.name
        for info in pkgutil.iter_modules(package.__path__)
        if not info.ispkg and not info.name.startswith("_")
    )


def _import(name: str) -> Optional[types.ModuleType]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # osc4py3.osctcp imports the deprecated asyncore
        try:
            return importlib.import_module(name)
        except ImportError:
            return None


def kind_of(value: Any) -> str:
    if inspect.isclass(value):
        return "class"
    if inspect.isroutine(value):
        return "function"
    return "constant"


def public_names(module: types.ModuleType) -> list[tuple[str, Any]]:
    """The names *module* defines itself and does not mark private."""
    names = []
    for name, value in vars(module).items():
        if name.startswith("_") or isinstance(value, types.ModuleType):
            continue
        if kind_of(value) != "constant" and getattr(value, "__module__", None) != module.__name__:
            continue  # imported from elsewhere
        names.append((name, value))
    return sorted(names)


def _signature(value: Any) -> Optional[inspect.Signature]:
    try:
        return inspect.signature(value)
    except (TypeError, ValueError):
        return None


def _binds_like(theirs: inspect.Signature, ours: inspect.Signature) -> Optional[str]:
    """None when every call valid for *theirs* is valid for *ours*, else the first reason."""
    kinds = inspect.Parameter
    ours_params = list(ours.parameters.values())
    takes_args = any(p.kind is kinds.VAR_POSITIONAL for p in ours_params)
    takes_kwargs = any(p.kind is kinds.VAR_KEYWORD for p in ours_params)
    positional = [
        p for p in ours_params if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)
    ]
    by_name = {p.name: p for p in ours_params if p.kind is not kinds.POSITIONAL_ONLY}
    used = set()
    mine: Optional[inspect.Parameter]
    for index, param in enumerate(theirs.parameters.values()):
        if param.kind is kinds.VAR_POSITIONAL:
            if not takes_args:
                return f"*{param.name} not accepted"
            continue
        if param.kind is kinds.VAR_KEYWORD:
            if not takes_kwargs:
                return f"**{param.name} not accepted"
            continue
        if param.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD):
            if index < len(positional):
                mine = positional[index]
                if param.kind is kinds.POSITIONAL_OR_KEYWORD and mine.name != param.name:
                    return f"parameter {index + 1} is {mine.name!r}, not {param.name!r}"
            elif not takes_args:
                return f"no parameter {index + 1} ({param.name!r})"
            else:
                mine = by_name.get(param.name)
        else:
            mine = by_name.get(param.name)
            if mine is None and not takes_kwargs:
                return f"no keyword {param.name!r}"
        if mine is not None:
            used.add(mine.name)
            if param.default is not kinds.empty and mine.default is kinds.empty:
                return f"{param.name!r} has no default"
    for param in ours_params:
        if param.name in used or param.kind in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD):
            continue
        if param.default is kinds.empty:
            return f"extra required parameter {param.name!r}"
    return None


def _same_defaults(theirs: inspect.Signature, ours: inspect.Signature) -> bool:
    def shape(sig: inspect.Signature) -> list[tuple[str, Any, str]]:
        return [(p.name, p.kind, repr(p.default)) for p in sig.parameters.values()]

    return shape(theirs) == shape(ours)


def compare_callable(theirs: Any, ours: Any) -> tuple[Status, str]:
    their_sig, our_sig = _signature(theirs), _signature(ours)
    if their_sig is None and our_sig is None:
        return Status.SAME, ""
    if their_sig is None or our_sig is None:
        return Status.SAME, "one signature is not inspectable"
    if _same_defaults(their_sig, our_sig):
        return Status.SAME, ""
    reason = _binds_like(their_sig, our_sig)
    if reason is None:
        return Status.COMPATIBLE, f"{their_sig} -> {our_sig}"
    return Status.DIFFERS, f"{reason}: {their_sig} -> {our_sig}"


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


def _counterparts(theirs: Any, ours: Any) -> bool:
    """True for an osc4py3 class and oscwire's class of the same name in the same module
    (``OSCtimetag`` in an osc4py3 table and in oscwire's)."""
    module = getattr(theirs, "__module__", "") or ""
    if not (inspect.isclass(theirs) and inspect.isclass(ours) and module.startswith("osc4py3.")):
        return False
    ours_module = _import("oscwire." + module.split(".", 1)[1])
    return ours_module is not None and getattr(ours_module, theirs.__name__, None) is ours


_NO_KEY = object()


def _same_key(key: Any, ours: dict[Any, Any]) -> Any:
    """oscwire's key standing for osc4py3's *key* in *ours* (equal, or its counterpart
    class), or ``_NO_KEY``."""
    if key in ours:
        return key
    return next((mine for mine in ours if _counterparts(key, mine)), _NO_KEY)


def first_difference(theirs: Any, ours: Any, path: str = "") -> Optional[str]:
    """None when oscwire's value stands for osc4py3's, else where and how they differ.

    Values are equal, or counterpart classes; dicts with the same keys and sequences of
    the same length are compared item by item; objects without a value equality of their
    own (locks, conditions) only need to be of the same type (identity cannot match
    across two libraries).
    """
    if unsupported_message(ours) is not None:
        return f"{path}: oscwire raises NotImplementedError for {_short(theirs)}"
    if _counterparts(theirs, ours):
        return None
    if isinstance(theirs, dict) and isinstance(ours, dict) and len(theirs) == len(ours):
        pairs = [(key, _same_key(key, ours)) for key in theirs]
        if all(our_key is not _NO_KEY for _key, our_key in pairs):
            for key, our_key in pairs:
                found = first_difference(theirs[key], ours[our_key], f"{path}[{key!r}]")
                if found is not None:
                    return found
            return None
    if (
        isinstance(theirs, tuple)
        and isinstance(ours, tuple)
        and len(theirs) == len(ours)
        and not _equal(theirs, ours)
    ):
        fields = getattr(theirs, "_fields", range(len(theirs)))
        for field, their_item, our_item in zip(fields, theirs, ours):
            where = f"{path}.{field}" if isinstance(field, str) else f"{path}[{field}]"
            found = first_difference(their_item, our_item, where)
            if found is not None:
                return found
        return None
    if _equal(theirs, ours):
        return None
    if type(theirs) is type(ours) and type(theirs).__eq__ is object.__eq__:
        return None
    return f"{path + ': ' if path else ''}{_short(theirs)} -> {_short(ours)}"


def compare(theirs: Any, ours: Any) -> tuple[Status, str]:
    """How oscwire's value *ours* compares with osc4py3's *theirs*."""
    message = unsupported_message(ours)
    if message is not None:
        return Status.NO_MEANING, message
    kind, our_kind = kind_of(theirs), kind_of(ours)
    if kind != our_kind:
        return Status.KIND, f"osc4py3 {kind}, oscwire {our_kind}"
    if kind == "constant":
        difference = first_difference(theirs, ours)
        if difference is None:
            return Status.SAME, ""
        return Status.VALUE, difference
    return compare_callable(theirs, ours)


def _short(value: Any, limit: int = 60) -> str:
    # A module's repr holds its path on this machine: the report would change with it.
    text = f"<module {value.__name__}>" if isinstance(value, types.ModuleType) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def name_rows() -> list[Row]:
    """One row per public osc4py3 name."""
    rows = []
    for module_name in osc4py3_modules():
        theirs_module = _import("osc4py3." + module_name)
        ours_module = _import("oscwire." + module_name)
        assert theirs_module is not None, module_name
        for name, value in public_names(theirs_module):
            kind = kind_of(value)
            if isinstance(value, __future__._Feature):
                rows.append(Row(module_name, name, kind, Status.NOT_NEEDED))
                continue
            if ours_module is None:
                rows.append(Row(module_name, name, kind, Status.NO_MODULE))
                continue
            try:
                ours = getattr(ours_module, name)
            except AttributeError:
                rows.append(Row(module_name, name, kind, Status.MISSING))
                continue
            status, detail = compare(value, ours)
            rows.append(Row(module_name, name, kind, status, detail))
    return rows


def class_methods(cls: type) -> list[tuple[str, Any]]:
    """The public methods osc4py3's class *cls* defines (``__init__`` too), sorted;
    static and class methods as the functions they wrap."""
    methods = []
    for name, member in sorted(vars(cls).items()):
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        elif not inspect.isfunction(member):
            continue
        methods.append((name, member))
    return methods


def needs_instance(cls: type, name: str) -> bool:
    """True for a method of *cls* that is called on an instance (not static or class)."""
    return not isinstance(vars(cls)[name], (staticmethod, classmethod))


def method_rows() -> list[Row]:
    """One row per public method of an osc4py3 class that oscwire lacks or changes."""
    rows = []
    for module_name in osc4py3_modules():
        theirs_module = _import("osc4py3." + module_name)
        ours_module = _import("oscwire." + module_name)
        assert theirs_module is not None
        for class_name, cls in public_names(theirs_module):
            if not inspect.isclass(cls) or ours_module is None:
                continue
            ours_cls = getattr(ours_module, class_name, None)
            if not inspect.isclass(ours_cls):
                continue
            refused = unsupported_message(ours_cls) is not None
            for method_name, method in class_methods(cls):
                if refused and needs_instance(cls, method_name):
                    continue  # no instance can exist: the class's row says so
                label = f"{class_name}.{method_name}"
                ours_method = getattr(ours_cls, method_name, None)
                if ours_method is None:
                    rows.append(Row(module_name, label, "method", Status.MISSING))
                    continue
                message = unsupported_message(ours_method)
                if message is not None:
                    rows.append(Row(module_name, label, "method", Status.NO_MEANING, message))
                    continue
                status, detail = compare_callable(method, ours_method)
                if status is not Status.SAME:
                    rows.append(Row(module_name, label, "method", status, detail))
    return rows


#: What a reader of a module's table needs to know first (checked against osc4py3 1.0.8's
#: sources and by running them).
NOTES = {
    "as__common": "osc4py3's `as__common` only documents the façade functions: its own do "
    "nothing. oscwire's are the façade functions themselves (on the default system). The "
    "channel functions take `(address, port, name)`, as osc4py3's `as_*` modules do, not "
    "the `(name, address, port)` that `as__common` documents: hence *differs in signature*.",
    "oscpeeradapt": "No osc4py3 1.0.8 module imports `oscpeeradapt`: its functions act on "
    "module state of its own that nothing reads (`PeerManager(...)` even raises "
    "AttributeError there). oscwire keeps its names, each saying what to use instead.",
    "oscscheduling": "osc4py3's `wait_select_timeout` takes a stray `self` first, so its "
    "own `wait_select_deadline()` raises TypeError; oscwire's takes `(fileno, timeout, "
    "waitevents)`.",
    "osctcp": "osc4py3 1.0.8 redefines `TcpChannel` as an empty class that takes no "
    "argument (`TcpChannel('n', 'r', {})` raises TypeError), and leaves the other TCP "
    "classes empty; oscwire's `TcpChannel(name, mode, options)` makes a working TCP channel.",
}


def _escape(text: str) -> str:
    """Markdown-safe, and without object addresses (they change from run to run)."""
    return re.sub(r" at 0x[0-9a-f]+", "", text).replace("|", "\\|").replace("\n", " ")


def markdown() -> str:
    """The Markdown section: a summary, the table of every name, then changed methods."""
    rows = name_rows()
    methods = method_rows()
    lines = [
        f"{len(rows)} public names in {len({row.module for row in rows})} osc4py3 1.0.8 modules "
        "(generated by `tests/compat/public_names.py`; a name is public when the module "
        "defines it and it does not start with `_`).",
        "",
        "| status | names |",
        "|---|---|",
    ]
    for status in Status:
        count = sum(row.status is status for row in rows)
        if count:
            lines.append(f"| {status.value} | {count} |")
    current = None
    for row in rows:
        if row.module != current:
            current = row.module
            lines += ["", f"### `{current}`", ""]
            if current in NOTES:
                lines += [NOTES[current], ""]
            lines += ["| name | kind | oscwire | detail |", "|---|---|---|---|"]
        lines.append(f"| `{row.name}` | {row.kind} | {row.status.value} | {_escape(row.detail)} |")
    lines += [
        "",
        "### Methods of osc4py3's classes that oscwire's class of the same name lacks or changes",
        "",
        f"{len(methods)} methods (only classes that exist in both; methods with the same "
        "signature are not listed).",
        "",
        "| method | module | oscwire | detail |",
        "|---|---|---|---|",
    ]
    for row in methods:
        lines.append(
            f"| `{row.name}` | `{row.module}` | {row.status.value} | {_escape(row.detail)} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
