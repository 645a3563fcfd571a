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
  the running server already being held below what its unit asks.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

DEFAULT_CANDIDATES = ("mariadb.service", "mysql.service", "mysqld.service")

# Everything the roles and the audit read, in one `systemctl show`.
SHOW_PROPERTIES = (
    "Id", "Names", "LoadState", "ActiveState", "SubState", "MainPID", "FragmentPath",
    "DropInPaths", "Restart", "RestartUSec", "RestartPreventExitStatus", "StartLimitBurst",
    "StartLimitIntervalUSec", "TimeoutStopUSec", "LimitNOFILE", "LimitNOFILESoft",
    "OOMScoreAdjust", "MemoryMax", "MemoryLimit",
)

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
