# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The MySQL/MariaDB server's systemd unit: which one it is, what it runs with.

One place decides which unit serves the server (``mysql_facts`` reports it, the
``mysql_systemd`` role writes its drop-in under it, ``mysql_tuning`` restarts it, the
audit reads it), so that they never disagree. Pure parsing and rules first, unit
tested; the few functions that touch the host take the command runner and the /proc
root as arguments.

Rules kept here:

- detection: ``systemctl show`` for every candidate at once prints one block per unit,
  in argument order, separated by an empty line; the first candidate whose block says
  ``LoadState=loaded`` wins, and its ``Id`` (an alias such as ``mysql.service`` resolves
  to ``mariadb.service`` on Debian) names the unit;
- LimitNOFILE is never lowered: the value written is the largest of the plan's, the
  unit's current one and the running server's (a plan of 10240 on a unit that already
  gives 32768 writes 32768, so nothing changes and nothing restarts);
- a restart for LimitNOFILE happens only when the running server's limit would
  actually rise; a service manager that cannot grant more (a container without
  CAP_SYS_RESOURCE clamps every service to its own hard limit) is recognised from
  the running server already being held below what its unit asks;
- recovery is never slower than the packaged unit, and a crash loop still ends:
  ``RestartSec`` is the smaller of the plan's and the packaged unit's (read from the
  unit file and the other drop-ins, never from steadydb's own), and the start limit
  interval is long enough for ``StartLimitBurst`` failing starts, each taken as twice
  the server's measured start time, to fall inside it (``restart_policy``).
"""
import math
import os
import re

DEFAULT_CANDIDATES = ("mariadb.service", "mysql.service", "mysqld.service")
# A service unit name (template units such as worker@.service included).
UNIT_NAME = re.compile(r"^[A-Za-z0-9:_.@\\-]+\.service$")


def unit_argument_spec():
    """The options of mysql_unit_info and mysql_unit_apply that find the server's unit
    (``name``, ``candidates``: ``read_unit``) and complete the plan's unit settings
    (``fallbacks``, ``never_lower``), documented once in doc_fragments/steadydb_shared.py (UNIT)."""
    return dict(
        name=dict(type="str", default=""),
        candidates=dict(type="list", elements="str", default=list(DEFAULT_CANDIDATES)),
        fallbacks=dict(type="dict", default={}),
        never_lower=dict(type="bool", default=True),
    )


# Everything the roles and the audit read, in one `systemctl show`.
SHOW_PROPERTIES = (
    "Id", "Names", "LoadState", "ActiveState", "SubState", "MainPID", "FragmentPath",
    "DropInPaths", "Restart", "RestartUSec", "RestartPreventExitStatus", "StartLimitBurst",
    "StartLimitIntervalUSec", "TimeoutStopUSec", "LimitNOFILE", "LimitNOFILESoft",
    "OOMScoreAdjust", "MemoryMax", "MemoryLimit",
    # The last start job: inactive -> active (Type=notify: until the server said READY).
    "InactiveExitTimestampMonotonic", "ActiveEnterTimestampMonotonic",
)

# The service manager's defaults for what a unit leaves unset (systemd's built-in
# values when system.conf does not change them: RestartSec=100ms, 5 starts in 10 s).
MANAGER_PROPERTIES = ("DefaultRestartUSec", "DefaultStartLimitIntervalUSec",
                      "DefaultStartLimitBurst")
BUILTIN_DEFAULTS = {"restart_usec": 100000, "start_limit_burst": 5,
                    "start_limit_interval_usec": 10 * 1000000}
# Start time assumed when none was measured (the server never started under systemd).
ASSUMED_START_SECONDS = 10.0
# A failing or crashing start is taken as this many times a measured clean one
# (Oracle MySQL 9.7: 1.4 s to answer after a clean start, about 2.5 s for a start that
# fails on a config typo).
FAILING_START_FACTOR = 2
# The start limit interval is rounded up to this many seconds (a measured start that
# varies by a few tenths must not change the drop-in at every run), at most MAX.
START_LIMIT_STEP_SECONDS = 10
START_LIMIT_MAX_SECONDS = 86400
# An interval the unit already has is kept up to this many times the one now needed: a
# start measured on a loaded machine (13.0 s in CI, then 1.0 s: 160 s against 60 s) must
# not rewrite the drop-in on the next run. A longer interval still stops a crash loop.
START_LIMIT_KEEP_FACTOR = 4

# What systemd and the kernel print for "no limit".
INFINITY = "infinity"
_INFINITE_WORDS = ("infinity", "unlimited", "18446744073709551615")


class SystemdError(Exception):
    """A unit that cannot be found or read; the message says what to do."""


# --- parsing -------------------------------------------------------------------------

def parse_show(text):
    """``systemctl show`` output -> a list of property dicts, one per unit, in order.

    Units are separated by an empty line. Values keep everything after the first
    ``=`` (``ExecStart`` and paths may contain ``=``); systemctl escapes newlines, so
    a value never spans lines.
    """
    blocks, current = [], {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        name, sep, value = line.partition("=")
        if sep:
            current[name] = value
    if current:
        blocks.append(current)
    return blocks


def pick_unit(blocks, candidates):
    """The block of the first loaded candidate, or None.

    ``blocks`` is ``parse_show`` of ``systemctl show`` run with ``candidates`` in this
    order. A block that has no ``LoadState`` (systemctl left it out) is not loaded.
    """
    for _candidate, block in zip(candidates, blocks):
        if block.get("LoadState") == "loaded":
            return block
    return None


def candidate_states(blocks, candidates):
    """``{candidate: LoadState}`` for an error message (``not-found``, ``masked``...)."""
    return dict((candidate, block.get("LoadState", "unknown"))
                for candidate, block in zip(candidates, blocks))


def parse_limit(value):
    """A limit as systemd or /proc prints it -> int, ``'infinity'`` or None."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in _INFINITE_WORDS:
        return INFINITY
    if text.isdigit():
        return int(text)
    return None


def parse_proc_limits(text):
    """``/proc/PID/limits`` -> ``{'soft': ..., 'hard': ...}`` of "Max open files"."""
    for line in text.splitlines():
        if line.startswith("Max open files"):
            fields = line[len("Max open files"):].split()
            if len(fields) >= 2:
                return {"soft": parse_limit(fields[0]), "hard": parse_limit(fields[1])}
    return {"soft": None, "hard": None}


def _int_or_none(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


_TIMESPAN_UNITS = (
    # Longest spelling first, so that "msec" is not read as "m" + "sec".
    ("usec", 1), ("us", 1), ("\u00b5s", 1), ("msec", 1000), ("ms", 1000),
    ("seconds", 1000000), ("second", 1000000), ("sec", 1000000), ("s", 1000000),
    ("minutes", 60000000), ("minute", 60000000), ("min", 60000000), ("m", 60000000),
    ("hours", 3600000000), ("hour", 3600000000), ("hr", 3600000000), ("h", 3600000000),
    ("days", 86400000000), ("day", 86400000000), ("d", 86400000000),
    ("weeks", 604800000000), ("week", 604800000000), ("w", 604800000000),
)


def parse_timespan(value, default_unit=1000000):
    """A systemd time span (``100ms``, ``5s``, ``1min 30s``, ``2``) -> microseconds.

    A bare number is in ``default_unit`` (seconds in unit files, microseconds in the
    ``*USec`` properties ``systemctl show`` prints as a number). ``infinity`` ->
    ``'infinity'``; anything unreadable -> None.
    """
    if value is None:
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    if text == INFINITY:
        return INFINITY
    if re.match(r"^[0-9]+(\.[0-9]+)?$", text):
        return int(round(float(text) * default_unit))
    total, pos = 0.0, 0
    pattern = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-z\u00b5]+)")
    while pos < len(text):
        match = pattern.match(text, pos)
        if not match:
            return None
        number, word = match.groups()
        factor = dict(_TIMESPAN_UNITS).get(word)
        if factor is None:
            return None
        total += float(number) * factor
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return int(round(total))


def format_restart_sec(usec):
    """``RestartSec=`` text: whole seconds as a number (``2``), else milliseconds."""
    usec = int(usec)
    if usec % 1000000 == 0:
        return str(usec // 1000000)
    return "%dms" % max(1, int(math.ceil(usec / 1000.0)))


def parse_unit_settings(texts):
    """The restart and start-limit settings a unit file plus its drop-ins give.

    ``texts`` are the files' contents in the order systemd applies them (the unit
    file, then the drop-ins). Later assignments win; an empty assignment resets the
    setting to the manager's default (None here). Returns ``{'restart_usec',
    'start_limit_burst', 'start_limit_interval_usec'}``, None for "not set". The old
    spellings (``StartLimitInterval=``, and both keys in ``[Service]``) count too.
    """
    keys = {
        ("service", "restartsec"): "restart_usec",
        ("unit", "startlimitintervalsec"): "start_limit_interval_usec",
        ("unit", "startlimitinterval"): "start_limit_interval_usec",
        ("service", "startlimitintervalsec"): "start_limit_interval_usec",
        ("service", "startlimitinterval"): "start_limit_interval_usec",
        ("unit", "startlimitburst"): "start_limit_burst",
        ("service", "startlimitburst"): "start_limit_burst",
    }
    found = {"restart_usec": None, "start_limit_burst": None,
             "start_limit_interval_usec": None}
    for text in texts:
        section = None
        logical, lines = "", []
        for raw in (text or "").splitlines():
            # A trailing backslash continues the line (systemd.syntax(7)).
            if raw.rstrip().endswith("\\"):
                logical += raw.rstrip()[:-1] + " "
                continue
            lines.append(logical + raw)
            logical = ""
        if logical:
            lines.append(logical)
        for line in lines:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1].strip().lower()
                continue
            name, sep, value = line.partition("=")
            target = keys.get((section, name.strip().lower())) if sep else None
            if target is None:
                continue
            value = value.strip()
            if not value:
                found[target] = None
            elif target == "start_limit_burst":
                found[target] = _int_or_none(value)
            else:
                found[target] = parse_timespan(value)
    return found


def start_seconds(properties):
    """How long the unit's last start took (inactive -> active), or None.

    From ``InactiveExitTimestampMonotonic`` and ``ActiveEnterTimestampMonotonic``
    (microseconds); for a ``Type=notify`` server this is until it said it is ready.
    None when the unit never became active after its last start.
    """
    left = _int_or_none(properties.get("InactiveExitTimestampMonotonic"))
    entered = _int_or_none(properties.get("ActiveEnterTimestampMonotonic"))
    if not left or not entered or entered < left:
        return None
    return (entered - left) / 1000000.0


# --- rules ---------------------------------------------------------------------------

def _key(value):
    """Order limits with infinity above every number; None below everything."""
    if value is None:
        return (0, 0)
    if value == INFINITY:
        return (2, 0)
    return (1, value)


def _largest(values):
    known = [value for value in values if value is not None]
    return max(known, key=_key) if known else None


def limit_nofile(planned, unit=None, running=None, never_lower=True):
    """The LimitNOFILE the drop-in writes.

    ``planned`` is the plan's value (int); ``unit`` and ``running`` are
    ``{'soft', 'hard'}`` of the unit as systemd has it now (LimitNOFILESoft,
    LimitNOFILE) and of the running server (/proc/PID/limits), or None when unknown.
    With ``never_lower`` the soft limit is the largest of the three soft limits and the
    hard limit the largest of the hard ones (at least the soft one): steadydb raises a
    limit for the plan, it never takes file descriptors away from a server that has
    them. Returns a dict with ``value`` (the text for ``LimitNOFILE=``: ``N`` or
    ``SOFT:HARD``), ``soft``, ``hard``, the inputs, and ``kept_from`` (why it is above
    the plan: ``unit``, ``running server``, or None when the plan's value is written).
    """
    planned = int(planned)
    unit = unit or {}
    running = running or {}
    if not never_lower:
        soft = hard = planned
        kept_from = None
    else:
        soft = _largest([planned, unit.get("soft"), running.get("soft")])
        hard = _largest([soft, unit.get("hard"), running.get("hard")])
        kept_from = None
        for name, source in (("unit", unit), ("running server", running)):
            if (soft != planned and source.get("soft") == soft) \
                    or (hard != planned and source.get("hard") == hard):
                kept_from = name
                break
    value = str(soft) if soft == hard else "%s:%s" % (soft, hard)
    return {"value": value, "soft": soft, "hard": hard, "planned": planned,
            "unit": {"soft": unit.get("soft"), "hard": unit.get("hard")},
            "running": {"soft": running.get("soft"), "hard": running.get("hard")},
            "kept_from": kept_from}


def unit_nofile(properties):
    """``{'soft', 'hard'}`` from ``systemctl show`` properties."""
    return {"soft": parse_limit(properties.get("LimitNOFILESoft")),
            "hard": parse_limit(properties.get("LimitNOFILE"))}


def nofile_restart(before, after, running, manager):
    """Whether a restart changes the server's open files limit: ``(needed, reason)``.

    ``before``/``after`` are the unit's ``{'soft', 'hard'}`` before and after the
    drop-in changed (daemon-reload), ``running`` the server process's, ``manager`` the
    service manager's own (/proc/1/limits) or None. A restart is needed only when the
    unit now asks for more than the running server has, and the manager can grant it:
    when the server already runs below what the unit asked for before and exactly at
    the manager's hard limit, the manager clamps every start there, and a restart would
    give the same limit again.
    """
    if (before or {}).get("soft") == (after or {}).get("soft") \
            and (before or {}).get("hard") == (after or {}).get("hard"):
        return False, "the unit's LimitNOFILE did not change"
    if not running or running.get("soft") is None:
        return True, "the unit's LimitNOFILE changed and the server's own limit is unknown"
    want = after.get("soft")
    have = running.get("soft")
    if _key(have) >= _key(want):
        return False, ("the running server already has %s open files (the unit now asks "
                       "for %s)" % (have, want))
    ceiling = (manager or {}).get("hard")
    clamped = (ceiling is not None and running.get("hard") == ceiling
               and _key(running.get("hard")) < _key((before or {}).get("hard")))
    if clamped:
        return False, ("the service manager grants at most %s open files (its own hard "
                       "limit; no CAP_SYS_RESOURCE) and the server already has them"
                       % ceiling)
    return True, "raises the server's open files limit from %s to %s" % (have, want)


def predicted(previous, dropin):
    """The unit as systemd will have it once reloaded with a drop-in that sets ``dropin``
    (``LimitNOFILE`` text, ``OOMScoreAdjust``): check mode, where nothing was reloaded."""
    unit = dict(previous)
    if dropin.get("LimitNOFILE") is not None:
        soft, _, hard = str(dropin["LimitNOFILE"]).partition(":")
        unit["nofile"] = {"soft": parse_limit(soft), "hard": parse_limit(hard or soft)}
    if dropin.get("OOMScoreAdjust") is not None:
        unit["oom_score_adj"] = int(dropin["OOMScoreAdjust"])
    return unit


def apply_needed(previous, now):
    """What the running server still lacks after the unit changed from ``previous`` to
    ``now`` (``read_unit`` dicts): a restart for LimitNOFILE (``nofile_restart``), a new
    OOM score, and whether it runs."""
    process = now.get("process") or {}
    restart, reason = nofile_restart(previous.get("nofile"), now.get("nofile"),
                                     process.get("nofile"),
                                     (now.get("manager") or {}).get("nofile"))
    return {
        "active": now.get("active_state") == "active",
        "main_pid": now.get("main_pid") or 0,
        "limit_nofile_changed": previous.get("nofile") != now.get("nofile"),
        "limit_nofile_restart": restart,
        "limit_nofile_reason": reason,
        "oom_changed": previous.get("oom_score_adj") != now.get("oom_score_adj"),
    }


def restart_policy(plan, packaged, measured_start=None, current_interval_usec=None):
    """RestartSec and the start limit the drop-in writes (one rule, issue 14).

    ``plan``: the plan's ``RestartSec`` (whole seconds, the slowest it may be),
    ``StartLimitBurst`` and ``StartLimitIntervalSec`` (seconds). ``packaged``: what the
    unit gives without steadydb's drop-in (``restart_usec``, ``start_limit_burst``,
    ``start_limit_interval_usec``, None where unknown). ``measured_start``: seconds
    the server's last start took, or None.

    - ``RestartSec`` = the smaller of the plan's and the packaged one: recovery after
      ``kill -9`` is never slower than with the packaged unit (Oracle MySQL's unit
      leaves systemd's 100 ms; Debian's MariaDB unit says 5 s, the plan 2 s);
    - ``StartLimitBurst`` = the plan's;
    - ``StartLimitIntervalSec`` = the larger of the plan's and
      ``(burst + 1) x (RestartSec + 2 x start)``, rounded up to 10 s (at most 86400):
      burst starts that fail, each taking twice a measured clean start, fall inside
      the interval, so the start limit trips and the unit ends ``failed`` instead of
      looping. Without a measured start, 10 s is assumed. An interval the unit already
      has (``current_interval_usec``) is kept while it is at least that and at most
      START_LIMIT_KEEP_FACTOR times it: a start time that varies between runs does not
      rewrite the drop-in.

    Returns the values (``RestartSec`` as ``RestartSec=`` text) and how they were found.
    """
    plan_usec = int(plan["RestartSec"]) * 1000000
    packaged = packaged or {}
    packaged_usec = packaged.get("restart_usec")
    if packaged_usec is None or packaged_usec == INFINITY:
        restart_usec, restart_from = plan_usec, "plan"
    elif packaged_usec < plan_usec:
        restart_usec, restart_from = int(packaged_usec), "packaged unit"
    else:
        restart_usec, restart_from = plan_usec, "plan"
    burst = int(plan["StartLimitBurst"])
    start = measured_start
    start_from = "measured"
    if start is None or start < 0:
        start, start_from = ASSUMED_START_SECONDS, "assumed"
    try_seconds = restart_usec / 1000000.0 + FAILING_START_FACTOR * float(start)
    needed = (burst + 1) * try_seconds
    step = START_LIMIT_STEP_SECONDS
    needed_rounded = int(math.ceil(needed / step) * step)
    interval = max(int(plan["StartLimitIntervalSec"]), needed_rounded)
    capped = interval > START_LIMIT_MAX_SECONDS
    interval = min(interval, START_LIMIT_MAX_SECONDS)
    current = current_interval_usec
    if isinstance(current, int) and current % 1000000 == 0 \
            and interval <= current // 1000000 <= START_LIMIT_KEEP_FACTOR * interval:
        interval = current // 1000000
    reason = ("RestartSec=%s from the %s (plan %s s, packaged %s); StartLimitIntervalSec=%s: "
              "%d starts of %.1f s (RestartSec + %d x the %s start of %.1f s) need %.1f s, "
              "the plan says %s s"
              % (format_restart_sec(restart_usec), restart_from, plan["RestartSec"],
                 "unknown" if packaged_usec is None else
                 (packaged_usec if packaged_usec == INFINITY
                  else "%g s" % (packaged_usec / 1000000.0)),
                 interval, burst + 1, try_seconds, FAILING_START_FACTOR, start_from,
                 float(start), needed, plan["StartLimitIntervalSec"]))
    if capped:
        reason += "; capped at %d s" % START_LIMIT_MAX_SECONDS
    return {
        "RestartSec": format_restart_sec(restart_usec),
        "StartLimitBurst": burst,
        "StartLimitIntervalSec": interval,
        "restart_usec": restart_usec,
        "restart_from": restart_from,
        "start_seconds": round(float(start), 3),
        "start_from": start_from,
        "needed_interval_seconds": round(needed, 1),
        "packaged": {"restart_usec": packaged_usec,
                     "start_limit_burst": packaged.get("start_limit_burst"),
                     "start_limit_interval_usec": packaged.get("start_limit_interval_usec")},
        "reason": reason,
    }


# --- reading the host ----------------------------------------------------------------

def systemd_running(root="/"):
    """systemd's own test (sd_booted): /run/systemd/system exists."""
    return os.path.isdir(os.path.join(root, "run/systemd/system"))


def _show(run_command, units):
    argv = ["systemctl", "show", "--no-pager"]
    argv += ["--property=%s" % name for name in SHOW_PROPERTIES]
    argv += ["--", ] + list(units)
    rc, out, err = run_command(argv)
    if rc != 0:
        raise SystemdError("systemctl show %s failed (rc %s): %s"
                           % (" ".join(units), rc, (err or out).strip()))
    return parse_show(out)


def read_process(pid, proc="/proc"):
    """Open files limit and OOM score of a running process, or None when it has none."""
    pid = _int_or_none(pid)
    if not pid:
        return None
    base = os.path.join(proc, str(pid))
    process = {"pid": pid, "nofile": {"soft": None, "hard": None}, "oom_score_adj": None}
    try:
        with open(os.path.join(base, "limits")) as handle:
            process["nofile"] = parse_proc_limits(handle.read())
        with open(os.path.join(base, "oom_score_adj")) as handle:
            process["oom_score_adj"] = _int_or_none(handle.read())
    except (IOError, OSError):
        # The process ended between systemctl and here: report what was read.
        pass
    return process


def describe(block, proc="/proc"):
    """The unit dict the modules return, from its ``systemctl show`` block."""
    main_pid = _int_or_none(block.get("MainPID")) or 0
    manager = None
    try:
        with open(os.path.join(proc, "1", "limits")) as handle:
            manager = {"nofile": parse_proc_limits(handle.read())}
    except (IOError, OSError):
        pass
    return {
        "name": block.get("Id"),
        "names": block.get("Names", "").split(),
        "load_state": block.get("LoadState"),
        "active_state": block.get("ActiveState"),
        "main_pid": main_pid,
        "fragment_path": block.get("FragmentPath") or None,
        "dropin_paths": block.get("DropInPaths", "").split(),
        "properties": block,
        "nofile": unit_nofile(block),
        "oom_score_adj": _int_or_none(block.get("OOMScoreAdjust")),
        "start_seconds": start_seconds(block),
        "process": read_process(main_pid, proc) if main_pid else None,
        "manager": manager,
    }


def read_unit(run_command, name=None, candidates=DEFAULT_CANDIDATES, proc="/proc"):
    """Find the server's unit and read it: the dict of ``describe``.

    ``name`` given: that unit, which must be loaded. Otherwise the first loaded
    candidate. Raises SystemdError with the states seen when none is.
    """
    units = [name] if name else list(candidates)
    if not units:
        raise SystemdError("No unit name and no candidates to look for.")
    blocks = _show(run_command, units)
    block = pick_unit(blocks, units)
    if block is None:
        states = candidate_states(blocks, units)
        raise SystemdError(
            "No MySQL/MariaDB systemd unit found (%s); install the server or set the unit "
            "name." % ", ".join("%s: %s" % (unit, states.get(unit, "unknown")) for unit in units))
    return describe(block, proc)


def manager_defaults(run_command):
    """The service manager's defaults for unset restart settings; built-ins as fallback.

    Older systemd (before 254) has no ``DefaultRestartUSec``: its default is 100 ms.
    """
    argv = ["systemctl", "show", "--no-pager"]
    argv += ["--property=%s" % name for name in MANAGER_PROPERTIES]
    rc, out, _err = run_command(argv)
    found = dict(BUILTIN_DEFAULTS)
    if rc != 0:
        return found
    props = (parse_show(out) or [{}])[0]
    restart = parse_timespan(props.get("DefaultRestartUSec"), default_unit=1)
    interval = parse_timespan(props.get("DefaultStartLimitIntervalUSec"), default_unit=1)
    burst = _int_or_none(props.get("DefaultStartLimitBurst"))
    if restart is not None:
        found["restart_usec"] = restart
    if interval is not None:
        found["start_limit_interval_usec"] = interval
    if burst is not None:
        found["start_limit_burst"] = burst
    return found


def packaged_settings(block, own_dropin, defaults, read=None):
    """What the unit gives without steadydb's drop-in: ``parse_unit_settings`` of its
    unit file and every other drop-in, the manager's ``defaults`` where they are unset.

    ``own_dropin`` is the file name of steadydb's drop-in (``50-steadydb.conf``): it is
    left out, so that a second run derives the same values as the first. Files that
    cannot be read are skipped and listed.
    """
    read = read or _read_text
    files = [block.get("FragmentPath") or ""]
    files += [path for path in block.get("DropInPaths", "").split()
              if os.path.basename(path) != own_dropin]
    texts, used, unreadable = [], [], []
    for path in files:
        if not path:
            continue
        try:
            texts.append(read(path))
            used.append(path)
        except (IOError, OSError):
            unreadable.append(path)
    settings = parse_unit_settings(texts)
    for key, value in settings.items():
        if value is None:
            settings[key] = defaults.get(key)
    settings["files"] = used
    settings["unreadable"] = unreadable
    return settings


def _read_text(path):
    with open(path) as handle:
        return handle.read()


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "")


def serves_server(unit, server_pid, login_host=None, unix_socket=None):
    """Whether ``unit`` is the unit of the server a module logged in to: ``(bool, why)``.

    The server's own PID (from its ``pid_file``) decides when it is known; otherwise a
    login over a unix socket or to this host's loopback is taken as "this host's
    server", and anything else (a remote server) is not.
    """
    main_pid = unit.get("main_pid") or 0
    if server_pid:
        if main_pid == server_pid:
            return True, "MainPID is the server's PID"
        return False, ("%s has MainPID %s, the server's pid_file names PID %s"
                       % (unit.get("name"), main_pid or "none (not running)", server_pid))
    if unix_socket or (login_host or "").strip().lower() in LOCAL_HOSTS:
        return True, "the server is on this host"
    return False, "the server is at %s, not on this host" % login_host
