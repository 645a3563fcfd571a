#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: mysql_global_variables
short_description: Set many GLOBAL server variables in one task and one connection
description:
  - Reads what the server knows about every variable named in O(variables) (type, range,
    allowed values, whether it can change at runtime), checks all of them first, and
    only then runs C(SET GLOBAL) for those whose value differs. A bad name, type or range
    fails the task before anything is set.
  - Values are compared normalised (C(64M) equals C(67108864), C(on) equals C(ON) and
    C(1), enums and sets case-insensitively), so a rerun reports C(changed=false).
  - Variables that cannot change at runtime (read-only, for example C(open_files_limit)
    or C(back_log)) are not an error. They are reported in RV(pending_restart) and
    RV(restart_required) becomes true. Write them to an option file (M(steadydb.mysql.mysql_option_file))
    and restart the server.
  - If a C(SET GLOBAL) fails half-way, the variables already set in this task are set
    back to their previous values before the task fails.
  - Values of variables whose names look secret (C(*password*), C(*_auth), C(*_key),
    C(*secret*), C(*token*)) and those listed in O(secret_variables) are never shown.
  - When the server itself masks a value (MariaDB shows a set C(wsrep_sst_auth) as
    C(********)), whether it already is the desired value cannot be known. By default
    (O(update_masked=when_unset)) such a variable is set only while the server shows it
    empty; once set it is left alone, not reported changed, and listed in
    RV(unverified). A new value (a rotated password) therefore needs
    O(update_masked=always) for that run. Setting it to an empty value is always
    checked and applied, because the server shows an empty value unmasked.
version_added: "0.1.0"
author:
  - steadydb contributors (@steadydb)
options:
  variables:
    description:
      - Variable name (C(max_connections) or C(max-connections)) to desired value.
      - Numbers may use the size suffixes K, M, G, T (powers of 1024); booleans may be
        C(true)/C(false) or C(ON)/C(OFF).
    type: dict
    required: true
  persist:
    description:
      - MySQL 8 only. Use C(SET PERSIST) (and C(SET PERSIST_ONLY) for read-only
        variables) so the values survive a restart in C(mysqld-auto.cnf).
      - A variable whose runtime value is already right but whose persisted value
        (C(performance_schema.persisted_variables)) is another one is persisted again;
        the server reads C(mysqld-auto.cnf) after every option file, so a stale persisted
        value would replace the drop-in's at the next start. The values persisted are the
        ones C(SET GLOBAL) would use, which mean what M(steadydb.mysql.mysql_option_file) writes in the
        drop-in for the same O(variables).
      - With V(false), on MySQL, a persisted value that differs from O(variables) is a
        warning naming C(RESET PERSIST name).
      - MariaDB has no C(SET PERSIST); setting this to true there fails. On MariaDB the
        option file drop-in is the persistence.
    type: bool
    default: false
  secret_variables:
    description:
      - Further variable names whose values must never be printed.
    type: list
    elements: str
    default: []
  update_masked:
    description:
      - What to do with a variable whose value the server masks (shows as C(********)),
        so that it cannot be compared with the desired value.
      - C(when_unset) sets it only while the server shows no value, and otherwise leaves
        it as it is (listed in RV(unverified), not changed). Reruns report
        C(changed=false).
      - C(always) sets it on every run and reports changed every time, because nothing
        can show that it already had the value. Use it for the run that changes the
        value.
    type: str
    choices: [when_unset, always]
    default: when_unset
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - steadydb_login
attributes:
  check_mode:
    support: full
    details: Nothing is set or persisted; the result says what would change.
  diff_mode:
    support: full
    details: One C(name = value) line per changed variable, before and after (a read-only
      variable is marked as needing a restart, a value to persist again as persisted);
      secret values are masked.
  platform:
    support: full
    platforms: posix
    details:
      - Talks to the server over the network or its unix socket with PyMySQL, so it runs on
        any POSIX host that reaches the server, the database host or another one.
notes:
  - On MariaDB types, ranges and read-only flags come from
    C(information_schema.SYSTEM_VARIABLES); on MySQL ranges come from
    C(performance_schema.variables_info) and read-only variables are recognised by the
    server's refusal (error 1238).
  - A value the server clamps (a warning "Truncated incorrect ... value") counts as out
    of range. The variable is set back and the task fails.
'''

EXAMPLES = r'''
- name: Apply the planned connection settings live
  mysql_global_variables:
    login_unix_socket: /run/mysqld/mysqld.sock
    variables:
      max_connections: 300
      wait_timeout: 600
      thread_cache_size: 64
      innodb_buffer_pool_size: 1G
  register: live

- name: Restart when something could not be set at runtime
  ansible.builtin.debug:
    msg: "restart needed for {{ live.pending_restart | list | join(', ') }}"
  when: live.restart_required
'''

RETURN = r'''
applied:
  description: Variables set by this task (or that would be, in check mode).
  type: list
  elements: str
  returned: always
  sample: [max_connections, wait_timeout]
restart_required:
  description: True when a read-only variable differs from the desired value.
  type: bool
  returned: always
pending_restart:
  description: Read-only variables that differ, with the running and the desired value.
  type: dict
  returned: always
  sample: {open_files_limit: {current: 10000, desired: 16384}}
values:
  description: The value of every variable in O(variables) on the server after the task
    (secrets masked).
  type: dict
  returned: always
  sample: {max_connections: 300, wait_timeout: 600}
adjusted:
  description: Variables the server set to a different value than asked (for example
    innodb_buffer_pool_size rounded to a whole chunk); also reported as a warning.
  type: dict
  returned: always
flavor:
  description: C(mariadb) or C(mysql).
  type: str
  returned: always
version:
  description: The server version, for example C(10.11.6).
  type: str
  returned: always
unverified:
  description: Variables whose value the server masks, so the module could not check that
    they have the desired value (left as they were with O(update_masked=when_unset), set
    without a read-back check with O(update_masked=always)).
  type: list
  elements: str
  returned: always
  sample: [wsrep_sst_auth]
persisted:
  description: On MySQL, the values C(mysqld-auto.cnf) held for O(variables) before the
    task (SET PERSIST), which the server uses at its next start. Empty on MariaDB.
  type: dict
  returned: always
  sample: {max_connections: "77"}
server_start_epoch:
  description: When the running server started (UNIX time, from C(Uptime)); compare it
    with an option file's mtime to know whether the server has read that file.
  type: int
  returned: always
'''

import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb.apply import needs_restart_error, needs_restart_now
from ansible.module_utils.steadydb.connection import (connect, error_message,
                                                       login_argument_spec)
from ansible.module_utils.steadydb.persisted import describe, persisted_overrides
from ansible.module_utils.steadydb.variables import (VarInfo, as_text, compare, display, is_masked,
                                                      is_same, is_secret, to_sql_value,
                                                      variable_name)

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


def main():
    argument_spec = login_argument_spec()
    argument_spec.update(
        variables=dict(type="dict", required=True),
        persist=dict(type="bool", default=False),
        secret_variables=dict(type="list", elements="str", default=[], no_log=False),
        update_masked=dict(type="str", default="when_unset", choices=["when_unset", "always"]),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    secret = set()
    for name in params["secret_variables"]:
        secret.add(str(name).strip().lower().replace("-", "_"))

    desired = {}
    problems = []
    for raw_name, value in (params["variables"] or {}).items():
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
            if value is not None and str(value) != "":
                module.no_log_values.add(str(value))
    if problems:
        module.fail_json(msg="Invalid variables, nothing was changed: %s." % "; ".join(problems))

    def shown(name, value):
        return display(name, value, name in secret)

    result = dict(changed=False, applied=[], restart_required=False, pending_restart={},
                  values={}, adjusted={}, unverified=[], flavor=None, version=None,
                  server_start_epoch=None, persisted={})
    if not desired:
        module.exit_json(**result)

    conn = connect(module)
    target = conn.steadydb_target
    action = "reading server variables"
    cursor = conn.cursor()
    try:
        flavor, version = _server(cursor)
        result.update(flavor=flavor, version=version)
        if params["persist"] and flavor == "mariadb":
            module.fail_json(msg="persist=true needs MySQL 8 (SET PERSIST); MariaDB %s has no "
                                 "SET PERSIST: write the values to an option file with "
                                 "mysql_option_file instead, nothing was changed." % version,
                             **result)
        uptime = _query(cursor, "SHOW GLOBAL STATUS LIKE 'Uptime'")
        now = _query(cursor, "SELECT UNIX_TIMESTAMP()")[0][0]
        result["server_start_epoch"] = int(now) - int(uptime[0][1]) if uptime else None
        infos = _read_info(cursor, flavor, sorted(desired))
        persisted = _persisted(cursor, sorted(desired)) if flavor == "mysql" else {}
    except Exception as exc:
        module.fail_json(msg=error_message(exc, target, action), **result)

    unknown = sorted(name for name in desired if name not in infos)
    if unknown:
        problems.append("the %s %s server has no variable%s named %s (check the spelling, "
                        "and whether the plugin that provides it is loaded)" % (
                            flavor, version, "s" if len(unknown) > 1 else "", ", ".join(unknown)))
    result["persisted"] = dict((name, shown(name, value)) for name, value in persisted.items())
    # A persisted value (mysqld-auto.cnf) wins over the drop-in at every start: with
    # persist=true it is replaced by ours even when the runtime value is already right.
    stale = dict((p["option"], p) for p in persisted_overrides(
        persisted, desired, "mysqld-auto.cnf in the data directory"))
    refresh = set()  # runtime right, persisted value stale: SET PERSIST only for the file
    plan = []  # (name, info, sql_value)
    masked_plan = []  # the same, for variables whose current value the server masks
    pending = {}
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
        state = compare(info, info.current, desired[name])
        if state == "same":
            if params["persist"] and name in stale:
                refresh.add(name)
                plan.append((name, info, value))
            continue
        if state == "unknown":
            result["unverified"].append(name)
            if params["update_masked"] != "always":
                continue
        if info.read_only or needs_restart_now(flavor, name, info.current):
            pending[name] = dict(current=shown(name, info.current), desired=shown(name, desired[name]))
            continue
        (masked_plan if is_masked(info.current) else plan).append((name, info, value))
    if problems:
        module.fail_json(msg="Invalid variables, nothing was changed: %s." % "; ".join(problems),
                         **result)

    # Masked values are set last: their previous value is unknown, so a failure after
    # one of them could not set it back.
    plan += masked_plan
    statement = "PERSIST" if params["persist"] else "GLOBAL"
    done = []  # (name, previous raw value)
    if not module.check_mode:
        for name, info, value in plan:
            try:
                _set(cursor, name, value, statement)
            except RangeWarning as exc:
                if info.minimum is not None and info.maximum is not None:
                    # In range (checked above): the server rounded it to its block size.
                    # Reported as "adjusted" after the read-back.
                    done.append((name, info))
                    continue
                _rollback(cursor, done + [(name, info)], statement)
                module.fail_json(msg="%s = %s is outside the range the server accepts (%s); it was "
                                     "set back%s." % (name, shown(name, desired[name]), exc,
                                                      _also(done)), **result)
            except Exception as exc:
                code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
                # 1238 read-only; 1290 fixed by a startup option: the option file brings
                # the value at the next start (apply.py).
                if code == ER_INCORRECT_GLOBAL_LOCAL_VAR or needs_restart_error(code):
                    if params["persist"]:
                        try:
                            _set(cursor, name, value, "PERSIST_ONLY")
                        except Exception as exc2:
                            _rollback(cursor, done, statement)
                            module.fail_json(msg=error_message(exc2, target, "running SET PERSIST_ONLY %s"
                                                               % name), **result)
                    if name in refresh:
                        done.append((name, info))  # the file changed; the runtime value was right
                        continue
                    pending[name] = dict(current=shown(name, info.current),
                                         desired=shown(name, desired[name]))
                    continue
                _rollback(cursor, done, statement)
                module.fail_json(msg="The server refused %s = %s%s: %s" % (
                    name, shown(name, desired[name]), _also(done),
                    error_message(exc, target, "setting %s" % name)), **result)
            done.append((name, info))
    else:
        done = [(name, info) for name, info, _value in plan]

    applied = [name for name, _info in done]
    result["applied"] = applied
    result["changed"] = bool(applied)
    result["pending_restart"] = pending
    result["restart_required"] = bool(pending)

    before, after = [], []
    try:
        for name in sorted(desired):
            if module.check_mode or name not in applied:
                now_value = infos[name].current
            else:
                now_value = _current(cursor, name)
            if name in applied and not module.check_mode and not is_masked(now_value) and \
                    not is_same(infos[name], now_value, desired[name]):
                result["adjusted"][name] = dict(desired=shown(name, desired[name]),
                                                current=shown(name, now_value))
            result["values"][name] = shown(name, desired[name] if (module.check_mode and name in applied)
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
    except Exception as exc:
        module.fail_json(msg=error_message(exc, target, "reading back server variables"), **result)
    finally:
        conn.close()
    if not params["persist"]:
        for name in sorted(stale):
            module.warn("%s." % describe(dict(stale[name], effective=shown(name, persisted[name]),
                                              ours=shown(name, desired[name]))))
    for name, values in result["adjusted"].items():
        module.warn("The server set %s to %s instead of %s (it rounds or limits this variable); "
                    "use the server's value in the plan to keep reruns unchanged."
                    % (name, values["current"], values["desired"]))
    if before:
        result["diff"] = dict(before="".join(before), after="".join(after),
                              before_header="server variables", after_header="server variables")
    module.exit_json(**result)


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


if __name__ == "__main__":
    main()
