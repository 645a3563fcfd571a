# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server stage of steadydb (role mysql_tuning) in one module run: one round trip.

``run(module)`` does, in order, over one connection:

1. ``preflight``: every value against the running server (``global_variables.read_state``
   and ``classify``: names, types, ranges, what needs a restart), the login's grants for
   what will change (``accounts.read_grants``), the per-account caps (``read_caps``,
   ``on_missing_account``). A refusal here fails with the drop-in and the server untouched.
2. the exclusive drop-in (``option_file_task.prepare``: its own read-only checks of the
   candidate, the override check and the server binary's validation; then ``write``).
3. the caps (``ALTER USER``), then the runtime variables (``SET GLOBAL``, or ``SET
   PERSIST``), which set back what they set when one fails.
4. the restart decision (``apply.restart_due``).

Any failure after the drop-in changed (setting its owner, group or mode too: Ansible's
``fail_json`` inside ``write`` is turned into an exception by ``failures_raised``) puts
the previous drop-in back, byte for byte with its mode, owner and mtime (the restart
decision compares that mtime with the server's start), or removes the drop-in this run
created; the module then fails with the original error and says so. Check mode runs
every read-only check and writes nothing.

``rollback(module, path, saved)`` and ``saved_file(path)`` are the file part, separate so
that they can be tested without a server.
"""

import contextlib
import os

from ansible.module_utils.steadydb.accounts import (AccountsError, check_caps, grants_message,
                                                    missing_text, read_caps, read_grants,
                                                    set_caps)
from ansible.module_utils.steadydb.apply import missing_privileges, restart_due
from ansible.module_utils.steadydb.connection import connect, error_message
from ansible.module_utils.steadydb.global_variables import (
    VariablesError, apply, classify, desired_variables, read_back, read_state, shower)
from ansible.module_utils.steadydb.option_file_task import check_result, prepare, write
from ansible.module_utils.steadydb.option_tree import write_atomic
from ansible.module_utils.steadydb.persisted import describe
from ansible.module_utils.steadydb.policy import act_on


class StageError(Exception):
    """A step failed; the message is the sentence the module fails with."""


def saved_file(path):
    """``{"bytes", "stat"}`` of ``path`` (None when it does not exist): what rollback needs."""
    if not os.path.exists(path):
        return None
    with open(path, "rb") as handle:
        data = handle.read()
    return {"bytes": data, "stat": os.stat(path)}


class ModuleFailure(Exception):
    """``module.fail_json`` called inside ``failures_raised``; ``str()`` is its msg."""


@contextlib.contextmanager
def failures_raised(module):
    """Within it, ``module.fail_json`` raises ModuleFailure instead of ending the run, so
    that a failure inside Ansible's own helpers (set_fs_attributes_if_different,
    backup_local) can still be followed by the rollback."""
    def fail(msg, **kwargs):
        raise ModuleFailure(msg)

    original, module.fail_json = module.fail_json, fail
    try:
        yield
    finally:
        module.fail_json = original


def touched(path, saved):
    """Whether ``path`` is no longer the file ``saved`` describes (None: did not exist):
    another inode, mode, owner, size or mtime."""
    if saved is None:
        return os.path.lexists(path)
    try:
        now = os.stat(path)
    except OSError:
        return True
    names = ("st_dev", "st_ino", "st_mode", "st_uid", "st_gid", "st_size", "st_mtime_ns")
    return any(getattr(now, name) != getattr(saved["stat"], name) for name in names)


def rollback(module, path, saved):
    """Put ``saved`` back at ``path`` (bytes, mode, owner, atime/mtime), or remove ``path``
    when ``saved`` is None. ``option_tree.write_atomic``, the attributes set on its
    temporary file before the rename. Returns a sentence."""
    if saved is None:
        if os.path.exists(path):
            os.unlink(path)
        return "The drop-in %s that this run created was removed." % path
    st = saved["stat"]

    def restore(tmp):
        os.chmod(tmp, st.st_mode & 0o7777)
        if os.geteuid() == 0:
            os.chown(tmp, st.st_uid, st.st_gid)
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))

    write_atomic(module, path, saved["bytes"], before_rename=restore)
    return "The drop-in %s was put back as it was." % path


def _dropin_params(params):
    """The mysql_option_file options for the exclusive drop-in."""
    names = ("path", "directories", "section", "keep", "header", "on_override", "validate",
             "server_binary", "defaults_file", "lock_timeout", "datadir", "mode", "owner",
             "group", "seuser", "serole", "selevel", "setype", "attributes", "unsafe_writes")
    out = dict((name, params.get(name)) for name in names)
    out.update(options=params["variables"], exclusive=True, create=True, backup=False,
               always_validate=False, will_persist=params["persist"])
    return out


class Stage(object):
    """One run of the stage; ``result`` is the module's result."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.result = dict(changed=False, dropin={}, live={}, caps=dict(changes=[], missing=[]),
                           login={}, pending={}, restart_due=False)
        self.diffs = []
        self.conn = None
        self.cursor = None
        self.state = None
        self.work = None
        self.todo = None

    # -- connection ------------------------------------------------------------------

    def sql_error(self, exc, step):
        return StageError(error_message(exc, self.conn.steadydb_target, step))

    # -- the steps -------------------------------------------------------------------

    def read_variables(self):
        """read_state + classify (read-only; VariablesError names every refused value)."""
        self.state = read_state(self.cursor, self.desired, self.params["persist"])
        self.work = classify(self.desired, self.state, self.params["persist"],
                             self.params["update_masked"], self.shown)
        self.result["live"].update(flavor=self.state["flavor"], version=self.state["version"],
                                   server_start_epoch=self.state["server_start_epoch"],
                                   unverified=self.work["unverified"])

    def check_login(self):
        needs = []
        if self.params["apply_live"] and self.work["plan"]:
            needs.append("set_global")
        if self.params["accounts"]:
            needs.append("alter_user")
        if not needs:
            return
        user, grants = read_grants(self.cursor)
        missing = missing_privileges(grants, needs)
        self.result["login"] = dict(user=user, privileges=sorted(grants["*.*"]), missing=missing)
        if missing:
            raise StageError(grants_message(user, grants, missing))

    @staticmethod
    def _refuse(message):
        raise StageError(message)

    def read_accounts(self):
        self.todo, missing = read_caps(self.cursor, self.params["accounts"])
        self.result["caps"]["missing"] = missing
        if missing:
            act_on(self.params["on_missing_account"], missing_text(missing),
                   lambda text: self._refuse("The %s; nothing was changed." % text),
                   lambda text: self.module.warn("The %s." % text))

    def preflight(self):
        step = "reading server variables"
        try:
            if self.desired and self.params["preflight"]:
                self.read_variables()
            if self.params["preflight"]:
                step = "reading SHOW GRANTS"
                self.check_login()
                if self.params["accounts"]:
                    step = "reading mysql.user"
                    self.read_accounts()
        except (VariablesError, StageError) as exc:
            raise StageError(str(exc))
        except Exception as exc:
            raise self.sql_error(exc, step)

    def apply_caps(self):
        if not self.params["accounts"]:
            return
        try:
            if self.todo is None:
                self.read_accounts()
            changes, before, after = set_caps(self.cursor, self.todo, self.check_mode)
        except StageError:
            raise
        except Exception as exc:
            raise self.sql_error(exc, "altering %s" % getattr(exc, "steadydb_account",
                                                              "mysql.user"))
        self.result["caps"].update(changes=changes, changed=bool(changes))
        if before:
            self.diffs.append(dict(before="".join(before), after="".join(after),
                                   before_header="per-account caps",
                                   after_header="per-account caps"))

    def apply_variables(self):
        if not (self.params["apply_live"] and self.desired):
            return
        live, persist = self.result["live"], self.params["persist"]
        step = "reading server variables"
        try:
            if self.work is None:
                self.read_variables()
            step = "setting server variables"
            done = ([(name, info) for name, info, _value in self.work["plan"]] if self.check_mode
                    else apply(self.cursor, self.work, self.desired, persist, self.shown,
                               self.conn.steadydb_target))
            applied = [name for name, _info in done]
            live.update(applied=applied, changed=bool(applied))
            step = "reading back server variables"
            live["values"], live["adjusted"], before, after = read_back(
                self.cursor, self.desired, self.state, self.work, applied, self.check_mode,
                self.shown)
        except VariablesError as exc:
            raise StageError(str(exc))
        except Exception as exc:
            raise self.sql_error(exc, step)
        if before:
            self.diffs.append(dict(before="".join(before), after="".join(after),
                                   before_header="server variables",
                                   after_header="server variables"))
        for name, values in live["adjusted"].items():
            self.module.warn("The server set %s to %s instead of %s (it rounds or limits this "
                             "variable); use the server's value in the plan to keep reruns "
                             "unchanged." % (name, values["current"], values["desired"]))

    def decide(self):
        live, work = self.result["live"], self.work or {}
        pending = work.get("pending", {})
        if self.work is not None:
            live.update(pending_restart=pending, restart_required=bool(pending),
                        persisted=dict((name, self.shown(name, value))
                                       for name, value in self.state["persisted"].items()))
            if not self.params["persist"]:
                for name in sorted(work["stale"]):
                    self.module.warn("%s." % describe(dict(
                        work["stale"][name], effective=self.shown(name, self.state["persisted"][name]),
                        ours=self.shown(name, self.desired[name]))))
        dropin = self.result["dropin"]
        self.result["pending"] = pending
        self.result["restart_due"] = restart_due(
            pending, [c["option"] for c in dropin.get("changes", [])],
            dropin.get("previous_mtime"), live.get("server_start_epoch"))

    # -- the whole stage -------------------------------------------------------------

    def run(self):
        params = self.params
        try:
            self.desired, secret = desired_variables(params["variables"],
                                                     params["secret_variables"])
            check_caps(params["accounts"])
        except (VariablesError, AccountsError) as exc:
            self.module.fail_json(msg=str(exc), **self.result)
        self.module.no_log_values.update(str(self.desired[name]) for name in secret
                                         if self.desired.get(name) not in (None, ""))
        self.shown = shower(secret)
        self.result["live"] = dict(changed=False, applied=[], restart_required=False,
                                   pending_restart={}, values={}, adjusted={}, unverified=[],
                                   flavor=None, version=None, server_start_epoch=None,
                                   persisted={})
        if (self.desired and (params["preflight"] or params["apply_live"])) or params["accounts"]:
            self.conn = connect(self.module)
            self.cursor = self.conn.cursor()
        try:
            self.stage()
        finally:
            if self.conn is not None:
                self.conn.close()
        result = self.result
        result["changed"] = bool(result["dropin"].get("changed") or result["live"].get("changed")
                                 or result["caps"].get("changed"))
        if self.diffs:
            result["diff"] = self.diffs
        return result

    def stage(self):
        try:
            self.preflight()
        except StageError as exc:
            self.module.fail_json(msg=str(exc), **self.result)
        # The drop-in: its own checks fail the module (fail_json) before anything is written.
        dparams = _dropin_params(self.params)
        ctx = prepare(self.module, dparams)
        dropin = ctx["result"]
        self.result["dropin"] = dropin
        if "diff" in dropin:
            self.diffs.append(dropin.pop("diff"))
        saved = None
        if self.check_mode:
            check_result(self.module, ctx)
        else:
            saved = saved_file(ctx["real"])
        dropin["rolled_back"] = False
        try:
            if not self.check_mode:
                # write() sets owner, group and mode after the content is in place, and
                # Ansible fails the module (fail_json) when one of them fails.
                with failures_raised(self.module):
                    write(self.module, dparams, ctx,
                          backup=self.params["backup"] and ctx["exists"])
            self.apply_caps()
            self.apply_variables()
            self.decide()
        except Exception as exc:  # StageError, or anything unforeseen: the drop-in goes back
            msg = str(exc).rstrip()
            if not msg.endswith((".", "!", "?", ")")):
                msg += "."
            if not self.check_mode and (dropin["changed"] or touched(ctx["real"], saved)):
                try:
                    msg = "%s %s" % (msg, rollback(self.module, ctx["real"], saved))
                    dropin.update(rolled_back=True, changed=False, mtime=dropin["previous_mtime"])
                    self.diffs = []
                except (IOError, OSError) as err:
                    msg = ("%s Putting the previous drop-in %s back failed too (%s): check it "
                           "by hand before the server restarts." % (msg, ctx["real"], err))
            else:
                msg = "%s The drop-in was not changed." % msg
            self.module.fail_json(msg=msg, **self.result)


def run(module):
    """The stage; returns the result for ``exit_json`` (fails the module on any refusal)."""
    return Stage(module).run()
