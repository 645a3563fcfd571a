# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The systemd stage in one module call (issue 15): steadydb's drop-ins, from the data.

``mysql_unit_apply`` runs ``UnitApply.run()``: check the plan's settings, find the server
unit and read what it and the running server have (``systemd.read_unit``), derive the
values to write (``systemd.limit_nofile``, ``systemd.restart_policy``), render the server
drop-in, the app units' OOM drop-ins and the swap file's ``.swap`` unit here, verify
every changed drop-in with ``systemd-analyze verify`` before it is installed, write
atomically, one ``daemon-reload``, then say what the running server still lacks
(``systemd.apply_needed``) and what the swap file needs (``swap_state``). The host is
reached only through the ``run`` command runner and the files under ``unit_dir`` and
``proc``, so that the whole stage is unit tested.

Rules kept here:

- the drop-in and swap unit text: the same bytes the role's Jinja templates wrote before
  (hosts that ran an older steadydb see no change);
- verification: the unit file and the candidate drop-in in a scratch unit directory
  that comes first in ``SYSTEMD_UNIT_PATH``; a drop-in is refused when ``systemd-analyze
  verify`` fails or prints anything about the candidate (systemd only warns about an
  unknown key or a value out of range, then ignores it at reload);
- the app units' drop-in (the same text for every unit) is verified once against a
  stub service: an app unit may not exist yet, and its own problems (a missing
  ExecStart binary) are not steadydb's to refuse.
"""
import os
import re
import shutil
import stat
import sys
import tempfile

from ansible.module_utils.steadydb import systemd
from ansible.module_utils.steadydb.option_file import CONTROL_CHARACTERS
from ansible.module_utils.steadydb.plan import PlanError, check_unit_settings

UNIT_DIR = "/etc/systemd/system"
DIR_MODE = 0o755
FILE_MODE = 0o644
# The header's first words: what ansible.builtin.template gave as ansible_managed.
MANAGED = "Ansible managed"
# Name of the stub service the app units' drop-in is verified against.
STUB_UNIT = "steadydb-verify-app.service"

SERVER_TEMPLATE = """\
# {managed} (role mysql_systemd).
# Restart policy, limits and OOM protection for {unit}.
# Do not edit: put local changes in a drop-in that sorts after this one
# (`systemctl edit {unit}` writes override.conf).

[Unit]
# At most {StartLimitBurst} starts in {StartLimitIntervalSec} s, then stay failed instead of looping.
StartLimitIntervalSec={StartLimitIntervalSec}
StartLimitBurst={StartLimitBurst}

[Service]
Restart={Restart}
# Never slower than the packaged unit's RestartSec; the start limit above still
# ends a loop of failing starts (module_utils/steadydb/systemd.py restart_policy).
RestartSec={RestartSec}
# Config errors (mariadbd exit codes) must not loop. The empty line resets the
# list so that it replaces, not extends, any value set before.
RestartPreventExitStatus=
RestartPreventExitStatus={RestartPreventExitStatus}
LimitNOFILE={LimitNOFILE}
TimeoutStopSec={TimeoutStopSec}
OOMScoreAdjust={OOMScoreAdjust}
"""

APP_TEMPLATE = """\
# {managed} (role mysql_systemd).
# Under memory pressure the kernel should kill this unit's processes before the
# database server (which runs with OOMScoreAdjust={OOMScoreAdjust}).
[Service]
OOMScoreAdjust={app_OOMScoreAdjust}
"""

# roles/mysql_systemd/templates/swapfile.swap.j2 as it rendered (the same bytes).
SWAP_TEMPLATE = """\
# {managed} (role mysql_systemd).
# Swap file for a small host: a short memory peak is paged out instead of
# waking the OOM killer.
[Unit]
Description=steadydb swap file {path}

[Swap]
What={path}

[Install]
WantedBy=swap.target
"""


class UnitError(Exception):
    """Nothing was written; the message says why."""


# --- pure parts ------------------------------------------------------------------------

def render_server_dropin(unit, cfg, managed=MANAGED):
    """The server drop-in's text for ``unit`` from the values to write (``settings_to_write``)."""
    return SERVER_TEMPLATE.format(managed=managed, unit=unit, **cfg)


def render_app_dropin(cfg, managed=MANAGED):
    """The app units' OOM drop-in (the same text for every app unit)."""
    return APP_TEMPLATE.format(managed=managed, **cfg)


def render_swap_unit(path, managed=MANAGED):
    """The ``.swap`` unit that activates the swap file ``path`` (``checked_swap_file``).
    systemd resolves specifiers in What= and Description=, so a ``%`` is written ``%%``."""
    return SWAP_TEMPLATE.format(managed=managed, path=path.replace("%", "%%"))


def settings_to_write(settings, limit, policy, restart_from_packaged=True):
    """The plan's checked ``settings`` with LimitNOFILE never lowered (``limit``, from
    ``systemd.limit_nofile``) and, with ``restart_from_packaged``, RestartSec and the start
    limit of ``policy`` (``systemd.restart_policy``)."""
    cfg = dict(settings, LimitNOFILE=limit["value"])
    if restart_from_packaged:
        cfg.update(RestartSec=policy["RestartSec"], StartLimitBurst=policy["StartLimitBurst"],
                   StartLimitIntervalSec=policy["StartLimitIntervalSec"])
    return cfg


def checked_app_units(units):
    """``units`` as given, or UnitError naming those that are not service unit names."""
    bad = [unit for unit in units if not systemd.UNIT_NAME.match(unit)]
    if bad:
        raise UnitError("Not a service unit name: %s (expected e.g. mariadb.service or "
                        "worker@.service)." % ", ".join(repr(unit) for unit in bad))
    return list(units)


def checked_dropin_name(name):
    """A drop-in file name: systemd reads only ``*.conf`` files, and it must stay in the
    unit's directory."""
    if not name or "/" in name or name.startswith(".") or not name.endswith(".conf"):
        raise UnitError("Not a drop-in file name: %r (expected e.g. 50-steadydb.conf)." % (name,))
    return name


def checked_managed(text):
    """The header's first words (``managed``), or UnitError: they are a comment line."""
    if CONTROL_CHARACTERS.search(text):
        raise UnitError("managed %r holds a line break or another control character: it is "
                        "the comment line heading every file written; nothing was written."
                        % (text,))
    return text


def checked_swap_file(path):
    """``path``, or UnitError when it cannot be the swap unit's What=: absolute, without
    an empty, ``.`` or ``..`` part (the kernel's /proc/swaps names the file otherwise, so
    the file in use would not be seen) and without control characters (a line break
    would start another setting of the unit)."""
    parts = path.split("/")[1:] if path.startswith("/") else []
    if not parts or any(part in ("", ".", "..") for part in parts) or CONTROL_CHARACTERS.search(path):
        raise UnitError("swap_file %r is not a plain absolute path without control characters "
                        "(e.g. /swapfile); nothing was written." % (path,))
    return path


# The smallest swap file the role makes: below it a swap file only costs I/O.
MIN_SWAP_SIZE_MB = 16


def checked_swap_size(size_mb):
    """``size_mb``, or UnitError when it is below ``MIN_SWAP_SIZE_MB``."""
    if int(size_mb) < MIN_SWAP_SIZE_MB:
        raise UnitError("swap_size_mb %s is below %d MiB; nothing was written."
                        % (size_mb, MIN_SWAP_SIZE_MB))
    return int(size_mb)


def is_template(unit):
    return unit.endswith("@.service")


def rejected(output, candidate):
    """Whether ``systemd-analyze verify`` output speaks about the ``candidate`` file."""
    return candidate in (output or "")


def notes(unit, limit, policy, restart_from_packaged):
    """What the play prints about how the values were derived."""
    found = []
    if restart_from_packaged:
        found.append("%s: %s." % (unit, policy["reason"]))
    if limit["kept_from"] is not None:
        found.append(
            "%s: LimitNOFILE=%s, not the plan's %s: the %s already has more (unit %s:%s, "
            "running server %s:%s); steadydb never lowers it."
            % (unit, limit["value"], limit["planned"], limit["kept_from"],
               limit["unit"]["soft"], limit["unit"]["hard"],
               limit["running"]["soft"], limit["running"]["hard"]))
    return found


# --- the host --------------------------------------------------------------------------

def read_text_or_none(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "surrogateescape")
    except (IOError, OSError):
        return None


def verify_dropin(run, unit, unit_text, dropin_name, text):
    """Refuse ``text`` as drop-in ``dropin_name`` of ``unit`` (whose unit file holds
    ``unit_text``): UnitError with systemd's words when ``systemd-analyze verify`` fails
    or prints anything about it. ``run(argv, environ_update)`` -> (rc, out, err)."""
    work = tempfile.mkdtemp(prefix="steadydb-verify-")
    try:
        unit_path = os.path.join(work, unit)
        candidate = os.path.join(work, unit + ".d", dropin_name)
        os.mkdir(os.path.dirname(candidate))
        for path, content in ((unit_path, unit_text), (candidate, text)):
            with open(path, "wb") as handle:
                handle.write(content.encode("utf-8", "surrogateescape"))
        rc, out, err = run(["systemd-analyze", "verify", "--man=no", unit_path],
                           {"SYSTEMD_UNIT_PATH": work + ":"})
        output = "\n".join(part.strip() for part in (out, err) if part and part.strip())
        if rc != 0:
            raise UnitError("systemd-analyze verify refused the drop-in %s for %s (status %s), "
                            "nothing was installed: %s"
                            % (dropin_name, unit, rc, output.replace(work + "/", "")))
        if rejected(output, candidate):
            raise UnitError("systemd reported a problem in the drop-in %s for %s, nothing was "
                            "installed: %s" % (dropin_name, unit, output.replace(work + "/", "")))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def fix_attributes(path, mode, check_mode):
    """Mode ``mode`` and, when running as root, owner root:root. Returns whether it differed."""
    info = os.stat(path)
    as_root = os.geteuid() == 0
    differs = stat.S_IMODE(info.st_mode) != mode or (as_root and (info.st_uid, info.st_gid) != (0, 0))
    if differs and not check_mode:
        os.chmod(path, mode)
        if as_root:
            os.chown(path, 0, 0)
    return differs


class UnitApply(object):
    """One run of the stage. ``params``: the module's options; ``run(argv, environ_update=None)``
    runs a command (``(rc, out, err)``); ``write(path, text)`` replaces a file atomically."""

    def __init__(self, params, run, write, check_mode=False, unit_dir=UNIT_DIR, proc="/proc",
                 root="/"):
        self.params = params
        self.root = root
        self.run_command = run
        self.write = write
        self.check_mode = check_mode
        self.unit_dir = unit_dir
        self.proc = proc
        self.changed = False
        self.diff = []

    def run(self):
        params = self.params
        try:
            settings = check_unit_settings(params["settings"], params["fallbacks"])
        except PlanError as exc:
            raise UnitError("steadydb_plan.systemd: %s." % exc)
        app_units = checked_app_units(params["app_units"])
        for name in (params["dropin_name"], params["app_dropin_name"]):
            checked_dropin_name(name)
        if params.get("swap_file"):
            checked_swap_file(params["swap_file"])
            checked_swap_size(params["swap_size_mb"])
        checked_managed(params["managed"])
        if not systemd.systemd_running(self.root):
            raise UnitError("systemd is not the service manager on this host "
                            "(/run/systemd/system is missing): there is no unit to configure.")
        before = systemd.read_unit(self.run_command, name=params["name"] or None,
                                   candidates=params["candidates"], proc=self.proc)
        limit = systemd.limit_nofile(settings["LimitNOFILE"], before["nofile"],
                                     (before["process"] or {}).get("nofile"),
                                     never_lower=params["never_lower"])
        packaged = systemd.packaged_settings(before["properties"], params["dropin_name"],
                                             systemd.manager_defaults(self.run_command))
        policy = dict(systemd.restart_policy(
            settings, packaged, before["start_seconds"],
            systemd.parse_timespan(before["properties"].get("StartLimitIntervalUSec"))),
            packaged_files=packaged["files"], unreadable_files=packaged["unreadable"])
        cfg = settings_to_write(settings, limit, policy, params["restart_from_packaged"])
        unit = before["name"]
        dropin = os.path.join(self.unit_dir, unit + ".d", params["dropin_name"])
        server_text = render_server_dropin(unit, cfg, params["managed"])
        app_text = render_app_dropin(cfg, params["managed"])
        app_paths = [(name, os.path.join(self.unit_dir, name + ".d", params["app_dropin_name"]))
                     for name in (app_units if params["app_oom"] else [])]
        # Every check before anything is written.
        server_changed = read_text_or_none(dropin) != server_text
        app_changed = [(name, path) for name, path in app_paths
                       if read_text_or_none(path) != app_text]
        if params["verify"] and server_changed:
            unit_text = read_text_or_none(before["fragment_path"] or "")
            if unit_text is None:
                raise UnitError("systemd has no readable unit file for %s (FragmentPath %r): "
                                "the drop-in cannot be verified, nothing was installed."
                                % (unit, before["fragment_path"]))
            verify_dropin(self.run_command, unit, unit_text, params["dropin_name"], server_text)
        if params["verify"] and app_changed:
            verify_dropin(self.run_command, STUB_UNIT,
                          "[Service]\nExecStart=%s -c pass\n" % (sys.executable or "/bin/true"),
                          params["app_dropin_name"], app_text)
        self.install(dropin, server_text, server_changed)
        for _name, path in app_paths:
            self.install(path, app_text, (_name, path) in app_changed)
        swap_file = params.get("swap_file")
        swap_unit = swap_path = None
        swap_changed = False
        if swap_file:
            swap_unit = self.swap_unit_name(swap_file)
            swap_path = os.path.join(self.unit_dir, swap_unit)
            swap_text = render_swap_unit(swap_file, params["managed"])
            swap_changed = read_text_or_none(swap_path) != swap_text
            self.install(swap_path, swap_text, swap_changed, own_directory=False)
        reloaded = bool(server_changed or app_changed or swap_changed)
        if reloaded and not self.check_mode:
            rc, out, err = self.run_command(["systemctl", "daemon-reload"], {})
            if rc != 0:
                raise UnitError("systemctl daemon-reload failed (rc %s) after the drop-ins were "
                                "written: %s" % (rc, (err or out).strip()))
        apply = self.apply(before, cfg, server_changed)
        apply["restart_due"] = bool(apply["limit_nofile_restart"] and apply["active"]
                                    and params["restart_on_change"])
        apply["oom_live"] = None
        if (apply["oom_changed"] and apply["active"] and params["oom_apply_live"]
                and not apply["restart_due"] and apply["main_pid"] > 0):
            apply["oom_live"] = self.oom_live(apply["main_pid"], int(cfg["OOMScoreAdjust"]),
                                              (before["process"] or {}).get("oom_score_adj"))
        apply["pending"] = pending_at_next_start(apply)
        found = notes(unit, limit, policy, params["restart_from_packaged"])
        if apply["limit_nofile_changed"] and not apply["limit_nofile_restart"]:
            found.append("%s: no restart for LimitNOFILE: %s." % (unit, apply["limit_nofile_reason"]))
        return {
            "changed": self.changed,
            "unit": before,
            "dropin": dropin,
            "settings": cfg,
            "checked_settings": settings,
            "dropin_changed": server_changed,
            "app_dropins_changed": [name for name, _path in app_changed],
            "app_restart": self.app_restart([name for name, _path in app_changed]),
            "reloaded": reloaded,
            "limit_nofile": limit,
            "restart_policy": policy,
            "apply": apply,
            "notes": found,
            "swap": self.swap(swap_file, params, swap_unit, swap_changed) if swap_file else None,
        }

    def install(self, path, text, content_changed, own_directory=True):
        """Write ``path`` (with ``own_directory`` its directory created, mode fixed) when
        its content differs; fix its mode."""
        directory = os.path.dirname(path)
        if own_directory and not os.path.isdir(directory):
            self.changed = True
            if not self.check_mode:
                os.makedirs(directory, DIR_MODE)
        if own_directory and os.path.isdir(directory) \
                and fix_attributes(directory, DIR_MODE, self.check_mode):
            self.changed = True
        if content_changed:
            before = read_text_or_none(path)
            self.diff.append({"before_header": path if before is not None else "%s (absent)" % path,
                              "after_header": path, "before": before or "", "after": text})
            self.changed = True
            if not self.check_mode:
                self.write(path, text)
        if os.path.exists(path) and fix_attributes(path, FILE_MODE, self.check_mode):
            self.changed = True

    def apply(self, before, cfg, server_changed):
        """What the running server still lacks (``systemd.apply_needed``); in check mode
        predicted, since nothing was reloaded."""
        if not server_changed:
            return {"active": before["active_state"] == "active", "main_pid": before["main_pid"],
                    "limit_nofile_changed": False, "limit_nofile_restart": False,
                    "limit_nofile_reason": "", "oom_changed": False}
        dropin = {"LimitNOFILE": cfg["LimitNOFILE"], "OOMScoreAdjust": cfg["OOMScoreAdjust"]}
        if self.check_mode:
            now = dict(systemd.predicted(before, dropin), process=before["process"],
                       manager=before["manager"])
        else:
            now = systemd.read_unit(self.run_command, name=before["name"], proc=self.proc)
        return systemd.apply_needed(before, now)

    def oom_live(self, pid, score, current):
        """Give the running server ``pid`` its new OOM score now (systemd applies
        ``OOMScoreAdjust`` only when a process starts): ``{"applied", "error"}``.

        The kernel refuses a score below the process's minimum without CAP_SYS_RESOURCE
        (in an unprivileged container, for one); check mode predicts that from the
        current score and this process's capabilities, the real run writes and reports
        the kernel's answer."""
        path = os.path.join(self.proc, str(pid), "oom_score_adj")
        if self.check_mode:
            if current is not None and score < current and not has_cap_sys_resource(self.proc):
                return {"applied": False,
                        "error": "writing %s would be refused: lowering the OOM score needs "
                                 "CAP_SYS_RESOURCE, which this process lacks" % path}
            self.changed = True
            return {"applied": True, "error": ""}
        try:
            with open(path, "w") as handle:
                handle.write("%d\n" % score)
        except (IOError, OSError) as exc:
            return {"applied": False, "error": "writing %s: %s" % (path, exc.strerror or exc)}
        self.changed = True
        return {"applied": True, "error": ""}

    def app_restart(self, changed):
        """The changed, non-template app units that run now (their score applies at start)."""
        units = [name for name in changed if not is_template(name)]
        if not units:
            return []
        argv = ["systemctl", "show", "--no-pager", "--property=ActiveState", "--"] + units
        rc, out, err = self.run_command(argv, {})
        if rc != 0:
            raise UnitError("systemctl show %s failed (rc %s): %s"
                            % (" ".join(units), rc, (err or out).strip()))
        blocks = systemd.parse_show(out)
        return [name for name, block in zip(units, blocks) if block.get("ActiveState") == "active"]

    def swap_unit_name(self, path):
        """The ``.swap`` unit systemd names after ``path`` (``systemd-escape --path``)."""
        rc, out, err = self.run_command(["systemd-escape", "--path", "--suffix=swap", path], {})
        name = (out or "").strip()
        if rc != 0 or not name.endswith(".swap") or "/" in name:
            raise UnitError("systemd-escape --path %s failed (rc %s): %s"
                            % (path, rc, (err or out).strip()))
        return name

    def swap(self, path, params, unit, unit_changed):
        """The swap file's state and the steps it needs (``swap_steps``)."""
        state = self.swap_state(path, params["swap_size_mb"], unit, unit_changed)
        return dict(state, steps=swap_steps(state, params["swap_activate"], self.check_mode))

    def swap_state(self, path, size_mb, unit, unit_changed):
        """What the role's swap tasks act on: whether the file must be (re)created, is
        private and in use, and whether its unit is enabled and started."""
        try:
            info = os.stat(path)
        except OSError:
            info = None
        private = info is not None and stat.S_IMODE(info.st_mode) == 0o600 \
            and (os.geteuid() != 0 or (info.st_uid, info.st_gid) == (0, 0))
        active = path in swaps_in_use(read_text_or_none(os.path.join(self.proc, "swaps")) or "")
        argv = ["systemctl", "show", "--no-pager", "--property=UnitFileState",
                "--property=ActiveState", "--", unit]
        rc, out, err = self.run_command(argv, {})
        if rc != 0:
            raise UnitError("systemctl show %s failed (rc %s): %s" % (unit, rc, (err or out).strip()))
        props = (systemd.parse_show(out) or [{}])[0]
        return {"unit": unit, "unit_path": os.path.join(self.unit_dir, unit),
                "unit_changed": unit_changed, "exists": info is not None,
                "create": info is None or info.st_size != int(size_mb) * 1048576,
                "private": private, "active": active,
                "enabled": props.get("UnitFileState") == "enabled",
                "started": props.get("ActiveState") == "active"}


def pending_at_next_start(apply):
    """What of the drop-in the running server still lacks after this run: LimitNOFILE
    needs a restart, OOMScoreAdjust a restart or a live write (``apply``: the stage's
    ``apply``, with ``restart_due`` and ``oom_live``). A stopped server gets both when
    it starts; a due restart (the role's next task) brings both."""
    if not apply["active"] or apply["restart_due"]:
        return []
    pending = ["LimitNOFILE"] if apply["limit_nofile_restart"] else []
    if apply["oom_changed"] and not (apply["oom_live"] or {}).get("applied"):
        pending.append("OOMScoreAdjust")
    return pending


def has_cap_sys_resource(proc="/proc"):
    """Whether this process holds CAP_SYS_RESOURCE (bit 24 of CapEff in /proc/self/status)."""
    text = read_text_or_none(os.path.join(proc, "self", "status")) or ""
    for line in text.splitlines():
        if line.startswith("CapEff:"):
            try:
                return bool(int(line.split(":", 1)[1].strip(), 16) & (1 << 24))
            except ValueError:
                return False
    return False


def swap_steps(state, activate, check_mode=False):
    """Which of the role's swap tasks have work, from ``swap_state``'s reading: the rule
    the tasks act on, so that a rerun with nothing to do skips them all at once.

    ``swapoff`` a file in use that must be recreated; ``create`` (make, fill, format) a
    missing file or one of another size; ``private`` an existing file not 0600 root;
    ``enable`` the unit when it is not enabled, or (with ``activate``) not started or
    its file is recreated. In check mode a unit written by this run is not known to
    systemd yet, so enabling it cannot be predicted and is left out."""
    steps = {
        "swapoff": state["create"] and state["active"],
        "create": state["create"],
        "private": state["exists"] and not state["private"],
        "enable": ((not state["enabled"])
                   or (activate and (not state["started"] or state["create"])))
        and not (check_mode and state["unit_changed"]),
    }
    return dict(steps, needed=any(steps.values()))


def swaps_in_use(text):
    """The paths of /proc/swaps (its first line is a header), with the kernel's octal
    escapes (space, tab, line break, backslash) read back."""
    return [re.sub(r"\\([0-7]{3})", lambda match: chr(int(match.group(1), 8)), line.split()[0])
            for line in text.splitlines()[1:] if line.split()]
