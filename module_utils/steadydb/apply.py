# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules of the apply stage (role mysql_tuning): what the login may do, which server
refusals mean "needs a restart", and whether a restart is due.

Public API:

- ``grant_privileges(lines)`` -> dict: ``{"*.*": {...}, "mysql.*": {...}}`` from the
  lines of ``SHOW GRANTS``.
- ``missing_privileges(grants, needs)`` -> list of sentences, one per need
  (``set_global``, ``alter_user``) the grants do not cover.
- ``needs_restart_error(code)`` -> bool: a SET GLOBAL refusal that a restart with the
  option file resolves (error 1290, "running with the --max-user-connections=0 option").
- ``needs_restart_now(flavor, name, current)`` -> bool: a variable that SET GLOBAL will
  refuse that way although the server lists it as dynamic (predicted before any write).
- ``restart_due(pending, changed_options, previous_mtime, server_start_epoch)`` -> bool.

Pure logic: no network, no Ansible import.
"""

import re

# ER_OPTION_PREVENTS_STATEMENT: "The MariaDB server is running with the
# --max-user-connections=0 option so it cannot execute this statement". For SET GLOBAL it
# means a startup option fixed the variable for this server's lifetime; the option file
# read at the next start is what changes it.
ER_OPTION_PREVENTS_STATEMENT = 1290

# What SET GLOBAL needs: SUPER everywhere (MariaDB 10.5.2+ still accepts it for every
# variable), SYSTEM_VARIABLES_ADMIN on MySQL 8. ALTER USER ... MAX_USER_CONNECTIONS needs
# CREATE USER, or UPDATE on the mysql schema.
NEEDS = {
    "set_global": {"*.*": ("ALL PRIVILEGES", "SUPER", "SYSTEM_VARIABLES_ADMIN")},
    "alter_user": {"*.*": ("ALL PRIVILEGES", "CREATE USER"),
                   "mysql.*": ("ALL PRIVILEGES", "UPDATE")},
}
WHAT = {
    "set_global": "SET GLOBAL (the runtime variables)",
    "alter_user": "ALTER USER ... MAX_USER_CONNECTIONS (the per-account caps)",
}

_GRANT_RE = re.compile(r"^GRANT\s+(?P<privs>.+?)\s+ON\s+(?P<on>\S+)\s+TO\s", re.IGNORECASE)


def grant_privileges(lines):
    """Privileges granted on ``*.*`` and on ``mysql.*``, upper case, from SHOW GRANTS."""
    result = {"*.*": set(), "mysql.*": set()}
    for line in lines:
        match = _GRANT_RE.match(str(line).strip())
        if not match:
            continue  # role grants, PROXY, ...
        on = match.group("on").replace("`", "").replace('"', "").lower()
        if on not in result:
            continue
        for priv in match.group("privs").split(","):
            result[on].add(" ".join(priv.split()).upper())
    return result


def missing_privileges(grants, needs):
    """One sentence per need in ``needs`` that ``grants`` do not cover."""
    missing = []
    for need in needs:
        rule = NEEDS[need]
        if any(priv in grants.get(on, ()) for on, privs in rule.items() for priv in privs):
            continue
        alternatives = " or ".join("%s ON %s" % (" / ".join(privs), on)
                                   for on, privs in rule.items())
        missing.append("%s needs %s" % (WHAT[need], alternatives))
    return missing


def needs_restart_error(code):
    """True for a SET GLOBAL refusal that only a restart (with the option file) resolves."""
    return code == ER_OPTION_PREVENTS_STATEMENT


def needs_restart_now(flavor, name, current):
    """True when SET GLOBAL ``name`` will fail with 1290 on this server.

    MariaDB started with max_user_connections=0 does not count connections per user at
    all and refuses to change the limit at runtime (sql/sys_vars.cc), although
    information_schema lists it as dynamic.
    """
    if flavor == "mariadb" and name == "max_user_connections":
        return str(current).strip() == "0"
    return False


def restart_due(pending, changed_options, previous_mtime, server_start_epoch):
    """Whether the server must restart for the static variables in ``pending``.

    A static variable that differs from the plan needs a restart when this run changed its
    line in the drop-in (``changed_options``), or when an earlier run wrote the drop-in
    after the server started (``previous_mtime`` later than ``server_start_epoch`` + 1 s:
    a restart still pending). Otherwise the server has read the file and chose another
    value itself (open_files_limit follows the process's file limit): a restart would
    change nothing. A dynamic-only change (``pending`` empty) never restarts.
    """
    if not pending:
        return False
    if set(pending) & set(changed_options or ()):
        return True
    try:
        written = float(previous_mtime or 0)
        started = float(server_start_epoch or 0)
    except (TypeError, ValueError):
        return False
    return bool(written) and written > started + 1
