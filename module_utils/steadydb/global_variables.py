# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SET GLOBAL (or SET PERSIST) of a set of server variables, all or nothing.

The steps of ``mysql_global_variables``, each a function: ``desired_variables`` (names
checked, secrets known), ``read_state`` (flavor, start time, each variable's type, range
and value, what SET PERSIST stored), ``classify`` (what to set now, what needs a restart,
what is already right), ``apply`` (set in order, masked values last; on a refusal every
variable this run set is set back) and ``read_back`` (the values now, what the server
rounded, the diff). A step that must stop raises VariablesError with the message the
module fails with; nothing has changed on the server then, or was set back.

``run(module)`` is the whole module over one connection: the steps in order, the
warnings, the diff; it returns the result for ``exit_json``.
"""
import re

from ansible.module_utils.steadydb.apply import needs_restart_error, needs_restart_now
from ansible.module_utils.steadydb.connection import connect, error_message
from ansible.module_utils.steadydb.persisted import describe, persisted_overrides
from ansible.module_utils.steadydb.variables import (VarInfo, as_text, compare, display, is_masked,
                                                      is_same, is_secret, to_sql_value,
                                                      variable_name)


class VariablesError(Exception):
    """A step refused or failed; the message says what and what was set back."""


ER_INCORRECT_GLOBAL_LOCAL_VAR = 1238  # "Variable 'x' is a read only variable"
ER_UNKNOWN_SYSTEM_VARIABLE = 1193


def _query(cursor, sql, args=None):
    cursor.execute(sql, args)
    return cursor.fetchall()


def _server(cursor):
    version, comment = _query(cursor, "SELECT VERSION(), @@version_comment")[0]
    flavor = "mariadb" if "mariadb" in ("%s %s" % (version, comment)).lower() else "mysql"
    match = re.match(r"(\d+\.\d+\.\d+)", version)
    return flavor, match.group(1) if match else version


def _read_info(cursor, flavor, names):
    """{name: VarInfo} for the names the server knows (unknown names are missing)."""
    infos = {}
    marks = ", ".join(["%s"] * len(names))
    if flavor == "mariadb":
        rows = _query(cursor,
                      "SELECT LOWER(VARIABLE_NAME), GLOBAL_VALUE, VARIABLE_SCOPE, VARIABLE_TYPE, "
                      "NUMERIC_MIN_VALUE, NUMERIC_MAX_VALUE, ENUM_VALUE_LIST, READ_ONLY "
                      "FROM information_schema.SYSTEM_VARIABLES WHERE VARIABLE_NAME IN (%s)" % marks,
                      [n.upper() for n in names])
        for name, value, scope, vtype, low, high, enum, read_only in rows:
            info = VarInfo(name, value, vtype, low, high,
                           enum.split(",") if enum else None, read_only == "YES")
            info.scope = scope
            infos[name] = info
        return infos
    rows = _query(cursor, "SHOW GLOBAL VARIABLES WHERE Variable_name IN (%s)" % marks, list(names))
    for name, value in rows:
        info = VarInfo(name.lower(), value)
        info.scope = "GLOBAL"
        infos[name.lower()] = info
    try:
        rows = _query(cursor, "SELECT LOWER(VARIABLE_NAME), MIN_VALUE, MAX_VALUE FROM "
                              "performance_schema.variables_info WHERE VARIABLE_NAME IN (%s)"
                      % marks, list(names))
    except Exception:  # performance_schema off: ranges come from the server's refusal
        rows = []
    for name, low, high in rows:
        if name in infos and infos[name].kind == "numeric":
            infos[name].minimum, infos[name].maximum = low, high
    return infos


def _persisted(cursor, names):
    """{name: value} persisted with SET PERSIST (MySQL 8.0+), {} when it cannot be read."""
    marks = ", ".join(["%s"] * len(names))
    try:
        rows = _query(cursor, "SELECT LOWER(VARIABLE_NAME), VARIABLE_VALUE FROM "
                              "performance_schema.persisted_variables WHERE VARIABLE_NAME IN (%s)"
                      % marks, list(names))
    except Exception:  # performance_schema off: the drop-in's override check reads the file
        return {}
    return dict(rows)


def _current(cursor, name):
    rows = _query(cursor, "SHOW GLOBAL VARIABLES LIKE %s", [name.replace("_", "\\_")])
    return rows[0][1] if rows else None


def _set(cursor, name, value, statement):
    cursor.execute("SET %s %s = %%s" % (statement, name), [value])
    warnings = _query(cursor, "SHOW WARNINGS")
    for _level, code, text in warnings:
        if code == 1292 or "Truncated incorrect" in text:
            raise RangeWarning(text)


class RangeWarning(Exception):
    pass




def desired_variables(variables, secret_variables):
    """``(desired, secret)``: the variables by their underscore name, and which are secret.

    Raises VariablesError listing every bad or repeated name.
    """
    secret = set(str(name).strip().lower().replace("-", "_") for name in secret_variables)
    desired, problems = {}, []
    for raw_name, value in (variables or {}).items():
        try:
            name = variable_name(raw_name)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if name in desired:
            problems.append("%s is given twice (as %r and another spelling)" % (name, raw_name))
        desired[name] = value
        if name in secret or is_secret(name):
            secret.add(name)
    if problems:
        raise VariablesError("Invalid variables, nothing was changed: %s." % "; ".join(problems))
    return desired, secret


def read_state(cursor, desired, persist):
    """The server's flavor, version, start time, each variable's info and persisted values."""
    flavor, version = _server(cursor)
    state = {"flavor": flavor, "version": version}
    if persist and flavor == "mariadb":
        raise VariablesError(
            "persist=true needs MySQL 8 (SET PERSIST); MariaDB %s has no SET PERSIST: write "
            "the values to an option file with mysql_option_file instead, nothing was "
            "changed." % version)
    uptime = _query(cursor, "SHOW GLOBAL STATUS LIKE 'Uptime'")
    now = _query(cursor, "SELECT UNIX_TIMESTAMP()")[0][0]
    state["server_start_epoch"] = int(now) - int(uptime[0][1]) if uptime else None
    state["infos"] = _read_info(cursor, flavor, sorted(desired))
    state["persisted"] = _persisted(cursor, sorted(desired)) if flavor == "mysql" else {}
    return state


def classify(desired, state, persist, update_masked, shown):
    """What to set now (``plan``, masked values last), what waits for a restart
    (``pending``), what is right at runtime but stale in mysqld-auto.cnf (``refresh``,
    ``stale``) and what cannot be verified (``unverified``). Raises VariablesError listing
    every unknown name, session-only variable and refused value.
    """
    infos, persisted, flavor = state["infos"], state["persisted"], state["flavor"]
    problems = []
    unknown = sorted(name for name in desired if name not in infos)
    if unknown:
        problems.append("the %s %s server has no variable%s named %s (check the spelling, "
                        "and whether the plugin that provides it is loaded)" % (
                            flavor, state["version"], "s" if len(unknown) > 1 else "",
                            ", ".join(unknown)))
    # A persisted value (mysqld-auto.cnf) wins over the drop-in at every start: with
    # persist=true it is replaced by ours even when the runtime value is already right.
    stale = dict((p["option"], p) for p in persisted_overrides(
        persisted, desired, "mysqld-auto.cnf in the data directory"))
    out = {"plan": [], "pending": {}, "refresh": set(), "unverified": [], "stale": stale}
    masked_plan = []  # variables whose current value the server masks
    for name in sorted(desired):
        info = infos.get(name)
        if info is None:
            continue
        if getattr(info, "scope", "GLOBAL") == "SESSION ONLY":
            problems.append("%s is a session-only variable and has no global value" % name)
            continue
        try:
            value = to_sql_value(info, desired[name])
        except ValueError as exc:
            problems.append(str(exc))
            continue
        verdict = compare(info, info.current, desired[name])
        if verdict == "same":
            if persist and name in stale:
                out["refresh"].add(name)
                out["plan"].append((name, info, value))
            continue
        if verdict == "unknown":
            out["unverified"].append(name)
            if update_masked != "always":
                continue
        if info.read_only or needs_restart_now(flavor, name, info.current):
            out["pending"][name] = dict(current=shown(name, info.current),
                                        desired=shown(name, desired[name]))
            continue
        (masked_plan if is_masked(info.current) else out["plan"]).append((name, info, value))
    if problems:
        raise VariablesError("Invalid variables, nothing was changed: %s." % "; ".join(problems))
    # Masked values are set last: their previous value is unknown, so a failure after
    # one of them could not set it back.
    out["plan"] += masked_plan
    return out


def apply(cursor, work, desired, persist, shown, target):
    """Set every variable of ``work["plan"]``; returns ``[(name, info)]`` of those set.

    A read-only variable or one a startup option fixes (1238, 1290) goes to
    ``work["pending"]`` (with persist, SET PERSIST_ONLY writes it for the next start).
    Any other refusal sets back what this call set and raises VariablesError.
    """
    statement = "PERSIST" if persist else "GLOBAL"
    done = []  # (name, info)
    for name, info, value in work["plan"]:
        try:
            _set(cursor, name, value, statement)
        except RangeWarning as exc:
            if info.minimum is not None and info.maximum is not None:
                # In range (checked above): the server rounded it to its block size.
                # Reported as "adjusted" after the read-back.
                done.append((name, info))
                continue
            _rollback(cursor, done + [(name, info)], statement)
            raise VariablesError("%s = %s is outside the range the server accepts (%s); it was "
                                 "set back%s." % (name, shown(name, desired[name]), exc,
                                                  _also(done)))
        except Exception as exc:
            code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
            # 1238 read-only; 1290 fixed by a startup option: the option file brings
            # the value at the next start (apply.py).
            if code == ER_INCORRECT_GLOBAL_LOCAL_VAR or needs_restart_error(code):
                if persist:
                    try:
                        _set(cursor, name, value, "PERSIST_ONLY")
                    except Exception as exc2:
                        _rollback(cursor, done, statement)
                        raise VariablesError(error_message(
                            exc2, target, "running SET PERSIST_ONLY %s" % name))
                if name in work["refresh"]:
                    done.append((name, info))  # the file changed; the runtime value was right
                    continue
                work["pending"][name] = dict(current=shown(name, info.current),
                                             desired=shown(name, desired[name]))
                continue
            _rollback(cursor, done, statement)
            raise VariablesError("The server refused %s = %s%s: %s" % (
                name, shown(name, desired[name]), _also(done),
                error_message(exc, target, "setting %s" % name)))
        done.append((name, info))
    return done


def read_back(cursor, desired, state, work, applied, check_mode, shown):
    """``(values, adjusted, before, after)``: each variable's value now, those the server
    rounded or limited, and the diff lines."""
    infos, persisted = state["infos"], state["persisted"]
    pending, refresh = work["pending"], work["refresh"]
    values, adjusted, before, after = {}, {}, [], []
    for name in sorted(desired):
        if check_mode or name not in applied:
            now_value = infos[name].current
        else:
            now_value = _current(cursor, name)
        if name in applied and not check_mode and not is_masked(now_value) and \
                not is_same(infos[name], now_value, desired[name]):
            adjusted[name] = dict(desired=shown(name, desired[name]),
                                  current=shown(name, now_value))
        values[name] = shown(name, desired[name] if (check_mode and name in applied)
                             else _typed(infos[name], now_value))
        if name in refresh:
            before.append("%s = %s  # persisted\n" % (name, as_text(shown(name, persisted[name]))))
            after.append("%s = %s  # persisted\n" % (name, as_text(shown(name, desired[name]))))
        elif name in applied:
            before.append("%s = %s\n" % (name, as_text(shown(name, infos[name].current))))
            after.append("%s = %s\n" % (name, as_text(shown(name, desired[name]))))
        elif name in pending:
            before.append("%s = %s\n" % (name, as_text(shown(name, infos[name].current))))
            after.append("%s = %s  # read-only at runtime: needs a restart\n"
                         % (name, as_text(shown(name, desired[name]))))
    return values, adjusted, before, after


def shower(secret):
    """``shown(name, value)``: the value as reported, masked for secret variables."""
    def shown(name, value):
        return display(name, value, name in secret)
    return shown


def _typed(info, value):
    if value is None:
        return None
    kind = info.kind
    text = str(value)
    if kind == "numeric" and re.match(r"^-?\d+$", text):
        return int(text)
    if kind == "bool" and text.upper() in ("ON", "OFF"):
        return text.upper() == "ON"
    return text


def _also(done):
    if not done:
        return ""
    return " (the variables already set in this task, %s, were set back)" % ", ".join(
        name for name, _info in done)


def _rollback(cursor, done, statement):
    for name, info in reversed(done):
        if is_masked(info.current):
            continue  # unknown previous value; never in done when a later SET fails (set last)
        try:
            previous = to_sql_value(info, info.current)
            cursor.execute("SET %s %s = %%s" % (statement, name), [previous])
        except Exception:
            pass


def run(module):
    """``mysql_global_variables``: the result for ``exit_json``; fails the module
    (``fail_json``, with the result so far) when a step refuses or the server errs."""
    params = module.params
    result = dict(changed=False, applied=[], restart_required=False, pending_restart={},
                  values={}, adjusted={}, unverified=[], flavor=None, version=None,
                  server_start_epoch=None, persisted={})
    try:
        desired, secret = desired_variables(params["variables"], params["secret_variables"])
    except VariablesError as exc:
        module.fail_json(msg=str(exc))
    module.no_log_values.update(str(desired[name]) for name in secret
                                if name in desired and desired[name] not in (None, ""))
    shown = shower(secret)
    if not desired:
        return result
    conn = connect(module)
    try:
        state, work, before, after = _run_steps(module, conn, desired, shown, result)
    finally:
        conn.close()
    if not params["persist"]:
        for name in sorted(work["stale"]):
            module.warn("%s." % describe(dict(work["stale"][name],
                                              effective=shown(name, state["persisted"][name]),
                                              ours=shown(name, desired[name]))))
    for name, values in result["adjusted"].items():
        module.warn("The server set %s to %s instead of %s (it rounds or limits this variable); "
                    "use the server's value in the plan to keep reruns unchanged."
                    % (name, values["current"], values["desired"]))
    if before:
        result["diff"] = dict(before="".join(before), after="".join(after),
                              before_header="server variables", after_header="server variables")
    return result


def _run_steps(module, conn, desired, shown, result):
    """read_state, classify, apply (not in check mode), read_back; fills in ``result``.
    Returns ``(state, work, before, after)``; fails the module naming the step."""
    params = module.params
    cursor = conn.cursor()
    step = "reading server variables"
    try:
        state = read_state(cursor, desired, params["persist"])
        result.update(flavor=state["flavor"], version=state["version"],
                      server_start_epoch=state["server_start_epoch"])
        result["persisted"] = dict((name, shown(name, value))
                                   for name, value in state["persisted"].items())
        work = classify(desired, state, params["persist"], params["update_masked"], shown)
        result["unverified"] = work["unverified"]
        step = "setting server variables"
        done = ([(name, info) for name, info, _value in work["plan"]] if module.check_mode
                else apply(cursor, work, desired, params["persist"], shown,
                           conn.steadydb_target))
        applied = [name for name, _info in done]
        result.update(applied=applied, changed=bool(applied), pending_restart=work["pending"],
                      restart_required=bool(work["pending"]))
        step = "reading back server variables"
        result["values"], result["adjusted"], before, after = read_back(
            cursor, desired, state, work, applied, module.check_mode, shown)
    except VariablesError as exc:
        module.fail_json(msg=str(exc), **result)
    except Exception as exc:
        module.fail_json(msg=error_message(exc, conn.steadydb_target, step), **result)
    return state, work, before, after
