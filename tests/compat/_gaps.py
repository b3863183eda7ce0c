"""Known oscwire gaps: why a program does not yet print what osc4py3 prints.

Each program listed in :data:`PROGRAM_GAPS` is marked ``xfail(strict=True)`` in
``test_compat.py`` with the titles of its gaps as reason: the suite is green today and
turns red (XPASS) when a fix lands, and the mark must then go. ``make_report.py`` writes
the diagnoses into ``docs/compat-report.md``. Most important first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Gap:
    """One difference between osc4py3 1.0.8 and oscwire, with where to fix it."""

    key: str
    title: str  # short: the xfail reason is "gap: <title>"
    osc4py3: str  # what osc4py3 does
    oscwire: str  # what oscwire does today
    fault: str  # the oscwire module/function at fault
    fix: str  # the smallest fix suggested
    deliberate: bool = False  # documented on purpose in docs/migration.md
    fixed: str = ""  # how it was fixed (then no program is marked with it any more)


GAPS: tuple[Gap, ...] = (
    Gap(
        "module_api",
        "osc4py3's module-level functions and registries are missing",
        "Programs drive osc4py3 through module functions and globals: "
        "oscchannel.get_channel/all_channels/terminate_all_channels/received_rawpackets/"
        "next_rawpacket/post_rawpacket, oscdispatching.register_method/unregister_method/"
        "globdisp/register_global_dispatcher/unregister_global_dispatcher/delay_bundle/"
        "delayed_process_loop, oscdistributing.sendingpackets_process_loop/"
        "rawpackets_process_loop, oscscheduling.create_platform_socket_monitor/"
        "create_polling_monitor/get_global_socket_monitor/terminate_global_*_monitor, "
        "osctoolspools.allocate_event/release_event. The usual way to learn the port of a "
        "server opened on port 0 is oscchannel.get_channel(name).udpsock.",
        "AttributeError/ImportError: the names do not exist (docs/migration.md: 'module-level "
        "state: none'); the program crashes at the first use.",
        "oscchannel.py, oscdispatching.py, oscdistributing.py, oscscheduling.py, "
        "osctoolspools.py (the functions were left out on purpose with the module state).",
        "Add thin module functions over _runtime.default_system(): get_channel(name) -> "
        "system.get_channel(name); all_channels through a module __getattr__ returning a "
        "read-only live mapping of system.channels; terminate_all_channels() -> terminate "
        "each; register_method/unregister_method -> system.dispatcher.add_method/"
        "remove_method; globdisp() -> the running system's dispatcher (RuntimeError when "
        "none, as osc4py3); register_global_dispatcher(disp)/unregister_global_dispatcher() "
        "-> install/remove the default system's dispatcher; delay_bundle(when, disp, bundle, "
        "packopt) -> disp's heap (when converted from time.time() to the monotonic clock); "
        "received_rawpackets/next_rawpacket/post_rawpacket -> a bounded queue feeding the "
        "default system's decoder; *_process_loop(deadline) -> the default system's "
        "serve_pending() until the deadline (time.time() base); create_*_monitor/"
        "get_global_*_monitor -> oscscheduling.Monitor instances; allocate_event/"
        "release_event -> threading.Event pool. No new state: every function reaches the "
        "default system.",
        fixed="osc4py3's module-level functions act on the default system (oscchannel, oscdispatching, oscdistributing, oscscheduling, osctoolspools), the raw packets queue is a view of the default system's packets read and not processed, register_global_dispatcher() makes the default system dispatch with the registered one; what cannot mean anything is kept and raises NotImplementedError when used, saying what to use (tests/compat/test_public_names.py).",
    ),
    Gap(
        "prestart_policy",
        "a channel made before osc_startup() pins the event loop policy: as_allthreads "
        "never processes",
        "A channel created before osc_startup() joins the global socket monitor thread; "
        "the later osc_startup() of as_allthreads/as_comthreads starts its threads and the "
        "channel's packets are processed by them.",
        "The channel starts a default system with the eventloop policy; osc_startup() of "
        "as_allthreads then only warns ('allthreads policy ignored') and keeps it, so "
        "nothing reads the socket unless the program calls osc_process(), which as_allthreads "
        "programs do not: the message is never handled.",
        "_facade.startup() (the branch for a running system not started_by_facade).",
        "When the running system was started implicitly (not by a façade) and has not "
        "processed anything under another policy, switch it to the policy osc_startup() "
        "asks for (its channels and methods stay; only the policy object changes), or let "
        "an implicit start defer the choice of policy to osc_startup()/the first "
        "osc_process().",
        fixed="osc_startup() applies its policy to the system channels started on their own (OSCSystem.switch_policy).",
    ),
    Gap(
        "explicit_conversions",
        "explicit i/h/f/d tags refuse values osc4py3 converts (3.0, '42', Decimal, '2.5')",
        "An explicit type tag converts the value: int() for i and h (3.0 -> 3, 3.9 -> 3, "
        "'42' -> 42, Decimal('7') -> 7), float() for f and d ('2.5' -> 2.5, '0.1' -> 0.1) "
        "(oscbuildparse.py _encode_osc_type: struct.pack(fmt, typerefs.pytype(val))).",
        "OSCInvalidDataError for every value that is not already an int (i/h) or a number "
        "(f/d); migration.md lists floats for i/h as deliberate, but strings and Decimal "
        "are refused too.",
        "_codec_py._encode_tagged() and the same path in cext/_codec_c.pyx (both twins).",
        "In the tagged slow path only (exact int/float keep the compiled fast path): pack "
        "int(value) for i/h and float(value) for f/d when the value is not already of that "
        "type; raise OSCInvalidDataError only when the conversion itself fails.",
        fixed="Explicit tags convert as osc4py3 does (int(), float(), str()), same bytes, in both codec twins.",
    ),
    Gap(
        "exception_types",
        "errors are not instances of the types osc4py3 raises (struct.error, IndexError, "
        "TypeError, RuntimeError, re.error, UnicodeDecodeError)",
        "Leaks Python's own exceptions, which programs catch: struct.error for a number out "
        "of range, IndexError for fewer arguments than tags, TypeError for a str given to a "
        "blob, RuntimeError for a value with no automatic tag and for an unknown argument "
        "scheme, re.error for a bad 're' pattern, UnicodeDecodeError for undecodable "
        "strings. It also refuses a Decimal without type tags and type tags without ','.",
        "Raises OSCInvalidDataError / OSCPatternError / ValueError / OSCInvalidRawError, "
        "which are not instances of those types: 'except struct.error' (etc.) no longer "
        "catches and the program crashes. It encodes a Decimal (auto-typed f) and type tags "
        "without the leading ','.",
        "_errors.py, _codec_py.py/_codec_c.pyx (_encode_tagged, _encode_explicit, "
        "_encode_auto, _decode_str), oscmethod.MethodFilter.__init__.",
        "Raise per-cause subclasses that keep the OSCError type and add osc4py3's: "
        "OSCValueRangeError(OSCInvalidDataError, struct.error), "
        "OSCMissingArgumentError(OSCInvalidDataError, IndexError), "
        "OSCArgumentTypeError(OSCInvalidDataError, TypeError), "
        "OSCNoTypeTagError(OSCInvalidDataError, RuntimeError), "
        "OSCRegexError(re.error, OSCPatternError), "
        "OSCArgSchemeError(OSCError, ValueError, RuntimeError), "
        "OSCStringDecodeError(UnicodeDecodeError, OSCInvalidRawError) (each combination "
        "checked to build and catch). Decoding still raises only OSCError subclasses.",
        fixed="Errors are also the types osc4py3 leaked (struct.error, IndexError, TypeError, "
        "RuntimeError, re.error, UnicodeDecodeError/UnicodeEncodeError) and stay OSCError "
        "subclasses (_errors.py); the leniencies of the lenient_typing gap remain.",
    ),
    Gap(
        "lenient_typing",
        "a Decimal without type tags encodes (f), and type tags without ',' are accepted",
        "Auto-typing refuses a Decimal (RuntimeError), and type tags must start with ','.",
        "Encodes a Decimal as a float (as numpy numbers and Fractions), and takes 'ifs' as ',ifs'.",
        "_codec_common (auto-typing), both codec twins (type tags).",
        "Deliberate (docs/migration.md): a number encodes as a number; the ',' is the wire "
        "format's, a program need not write it.",
        deliberate=True,
    ),
    Gap(
        "local_readername",
        "_local packets report readername/srcident '_local' instead of 'undefined'",
        "A packet sent to '_local' is dispatched with the PacketOptions given (default: "
        "readername 'undefined', srcident 'undefined', readtime 0).",
        "readername and srcident are '_local'.",
        "oscdistributing.distribute() (sets local.readername/srcident = '_local').",
        "Leave the PacketOptions defaults; give lane_of() its own key for local packets.",
        fixed="_local packets carry osc4py3's readername/srcident ('undefined').",
    ),
    Gap(
        "deadline_clock",
        "oscscheduling.deadline2timeout() reads deadlines on the monotonic clock",
        "Deadlines are absolute times in time.time()'s base (every *_process_loop and "
        "monitor_oneloop docstring says so): deadline2timeout(time.time() - 5) is 0.",
        "deadline2timeout(time.time() - 5) is about 1.8e9 seconds: a deadline written as "
        "osc4py3 documents it becomes a wait of decades; Monitor.monitor_oneloop() caps it "
        "at MAX_WAIT (1 s instead of the 0.1 s asked by time.time() + 0.1, or 0 for a "
        "past deadline), wait_select_deadline() does not cap it.",
        "oscscheduling.deadline2timeout() (used by Monitor.monitor_oneloop() and "
        "wait_select_deadline()).",
        "Compute the public function with time.time(); keep a private monotonic variant for "
        "oscwire's own loops.",
        fixed="deadline2timeout() and the deadline functions read time.time() deadlines, as osc4py3 documents them.",
    ),
    Gap(
        "workqueue_terminated",
        "WorkQueue.send_job() after terminate() drops the job silently instead of raising",
        "send_job()/send_callable() on a terminated WorkQueue raise RuntimeError('WorkQueue "
        "jobs terminated.').",
        "Returns False and logs at INFO level: with no logging configured the job is lost "
        "without a trace (MethodFilter does the same for a terminated workqueue).",
        "osctoolspools.WorkQueue.send_job(); oscmethod.MethodFilter.__call__.",
        "Raise RuntimeError when terminated (keep returning False, logged as a warning, when "
        "the queue is full); log the MethodFilter case as a warning.",
        fixed="WorkQueue.send_job()/send_callable() raise RuntimeError on a terminated queue, as osc4py3.",
    ),
    Gap(
        "methodfilter_lock",
        "MethodFilter(lock=...) needs a context manager; osc4py3 calls acquire()/release()",
        "protected_call() calls lock.acquire() and lock.release(): any object with those "
        "methods works.",
        "'with lock:' — an object with only acquire()/release() makes every call fail "
        "(TypeError, logged).",
        "oscmethod.MethodFilter.protected_call().",
        "lock.acquire(); try: call; finally: lock.release().",
        fixed="MethodFilter calls lock.acquire()/release().",
    ),
    Gap(
        "dump_format",
        "the dump_decoded_values oob option prints less, and differently",
        "Prints every decoded field as str(): address, type tags, bundle header, time tag, "
        "element sizes, then the arguments; blobs as '(60 first bytes) ...' (its _dumpmv "
        "quirk).",
        "Prints only the arguments, strings with repr() quotes, blobs as '(5 bytes) ...'.",
        "_codec_oob.dump_value() and its callers in both codec twins.",
        "Print with str(), and dump the structural fields where osc4py3 decodes them.",
        fixed="dump_decoded_values prints osc4py3's lines.",
    ),
    Gap(
        "dispatcher_api",
        "Dispatcher differs: names not unique, dispatch_packet() returns/raises differently",
        "Dispatcher('name') twice raises ValueError (all_dispatchers registry, freed by "
        "terminate()); dispatch_packet() returns None for a late bundle it forgets and "
        "raises ValueError for a sub-bundle timed before its parent "
        "(check_subbundle_timetag).",
        "A second Dispatcher with the same name is accepted; 0 is returned; the sub-bundle "
        "is logged and dropped, nothing raised.",
        "oscdispatching.Dispatcher.__init__/terminate/dispatch_packet.",
        "Keep a registry of names (all_dispatchers); return None for a forgotten bundle; "
        "raise ValueError from a direct dispatch_packet() call and let the runtime's "
        "receive path catch, log and count it.",
        fixed="Named dispatchers are unique until terminated; dispatch_packet() returns None for a forgotten late bundle and raises ValueError for a sub-bundle timed before its parent.",
    ),
    Gap(
        "flat_names_type",
        "oscdistributing.flat_names() returns a list, not a set",
        "flat_names() returns a set of names.",
        "Returns an ordered list.",
        "oscdistributing.flat_names().",
        "Return set(...) from the public function; keep the ordered list in a private helper.",
        fixed="flat_names() returns a set (ordered_names() keeps the order).",
    ),
    Gap(
        "char_layout",
        "chars are encoded in the last byte (liblo's layout), not osc4py3's first byte",
        "Encodes a 'c' argument in the first of its four bytes, and replaces a non-ASCII "
        "char by '?' (char_encode ascii with 'replace').",
        "Encodes it in the last byte (liblo/SuperCollider layout) and encodes 'é' as 0xe9: "
        "an osc4py3 peer decodes oscwire's chars as NUL (decoding accepts both layouts).",
        "the char encoder of both codec twins.",
        "Deliberate (docs/migration.md, oob char_layout='osc4py3'); if the promise is to "
        "stay wire-compatible with osc4py3 peers, make 'osc4py3' the default in the as_* "
        "façades.",
        deliberate=True,
    ),
    Gap(
        "utf8_strings",
        "strings are UTF-8 by default where osc4py3 is ASCII-only",
        "encode_packet() of a non-ASCII str raises UnicodeEncodeError; a non-ASCII byte in "
        "a received string raises UnicodeDecodeError.",
        "Encodes as UTF-8; undecodable bytes raise OSCInvalidRawError.",
        "the string codec of both twins.",
        "Deliberate (docs/migration.md); the UnicodeDecodeError half is covered by the "
        "exception_types fix (OSCStringDecodeError).",
        deliberate=True,
    ),
    Gap(
        "no_typetags",
        "messages without a type tag string are accepted by default",
        "decode_packet() raises OSCInvalidRawError unless oob force_typetags is False.",
        "Decodes them as messages with no arguments.",
        "the decoder of both twins.",
        "Deliberate (docs/migration.md).",
        deliberate=True,
    ),
)

#: Program name -> keys of the gaps that make it differ today (both twins alike).
PROGRAM_GAPS: dict[str, tuple[str, ...]] = {
    "codec_errors": ("lenient_typing",),
    "codec_no_typetags": ("no_typetags",),
    "codec_oob_chars": ("char_layout",),
    "codec_strings": ("utf8_strings",),
}

GAPS_BY_KEY: dict[str, Gap] = {gap.key: gap for gap in GAPS}


def xfail_reason(program: str) -> str:
    """The reason of a program's xfail mark: ``gap: <title>; gap: <title>``."""
    return "; ".join("gap: " + GAPS_BY_KEY[key].title for key in PROGRAM_GAPS[program])
