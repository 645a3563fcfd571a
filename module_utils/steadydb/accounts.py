# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the login may do, and the per-account connection caps, over an open connection.

The steps of ``mysql_login_check`` and ``mysql_user_limits``, each a function, so that
``mysql_server_apply`` runs them in its own connection:

- ``accounts_argument_spec()``: the ``accounts`` and ``on_missing_account`` options of
  ``mysql_user_limits`` and ``mysql_server_apply`` (documented once, in
  doc_fragments/steadydb_shared.py, ACCOUNTS).
- ``read_grants(cursor)`` -> ``(user, grants)``: ``CURRENT_USER()`` and the privileges of
  ``SHOW GRANTS`` on ``*.*`` and ``mysql.*`` (``apply.grant_privileges``).
- ``grants_message(user, grants, missing)`` -> the failure sentence.
- ``check_caps(accounts)``: raises AccountsError for a limit out of range, a name no
  account can have (``plan.check_account_name``) or one account given twice
  (``plan.account_key``: host names without case).
- ``read_caps(cursor, accounts)`` -> ``(todo, missing)``: the accounts whose limit differs
  (``(account, "user@host", current)``) and the ``user@host`` that do not exist; the host
  is matched without case, as ``ALTER USER`` matches it.
- ``missing_text(missing)`` -> the sentence about missing accounts.
- ``set_caps(cursor, todo, check_mode)`` -> ``(changes, before, after)``: runs the
  ``ALTER USER``s (none in check mode); the diff lines. Raises what the server raises,
  with ``exc.steadydb_account`` naming the account it was altering.
"""

from ansible.module_utils.steadydb.apply import grant_privileges
from ansible.module_utils.steadydb.plan import PlanError, account_key, check_account_name
from ansible.module_utils.steadydb.policy import policy_option

MAX_LIMIT = 2147483647

# One entry of ``accounts`` (the plan's ``server.user_limits``).
ACCOUNT_OPTIONS = dict(
    user=dict(type="str", required=True),
    host=dict(type="str", default="%"),
    max_user_connections=dict(type="int", required=True),
    app=dict(type="str"),
)


def accounts_argument_spec():
    """The argument spec of ``accounts`` and ``on_missing_account`` (a fresh dict a call)."""
    return dict(
        accounts=dict(type="list", elements="dict", default=[],
                      options=dict((name, dict(spec)) for name, spec in ACCOUNT_OPTIONS.items())),
        on_missing_account=policy_option("warn", aliases=["on_missing"]),
    )


class AccountsError(Exception):
    """A request refused before anything was read or changed."""


def read_grants(cursor):
    cursor.execute("SELECT CURRENT_USER()")
    user = cursor.fetchone()[0]
    cursor.execute("SHOW GRANTS")
    return user, grant_privileges(row[0] for row in cursor.fetchall())


def grants_message(user, grants, missing):
    return ("The login %s lacks privileges, nothing was changed: %s (it has %s on *.*); grant "
            "them or log in as an account that has them."
            % (user, "; ".join(missing), ", ".join(sorted(grants["*.*"])) or "none"))


def check_caps(accounts):
    seen = {}
    for account in accounts:
        name = "%s@%s" % (account["user"], account["host"])
        try:
            check_account_name(account["user"], "the user of %s" % name)
            check_account_name(account["host"], "the host of %s" % name)
        except PlanError as exc:
            raise AccountsError("%s; nothing was changed." % exc)
        if not 0 <= account["max_user_connections"] <= MAX_LIMIT:
            raise AccountsError(
                "max_user_connections for %s must be between 0 and %d, not %d; nothing was "
                "changed." % (name, MAX_LIMIT, account["max_user_connections"]))
        key = account_key(account["user"], account["host"])
        if key in seen:
            raise AccountsError(
                "%s and %s are one account (the server reads host names without case), given "
                "twice: give each account once; nothing was changed." % (seen[key], name))
        seen[key] = name


def read_caps(cursor, accounts):
    todo, missing = [], []
    for account in accounts:
        name = "%s@%s" % (account["user"], account["host"])
        user, host = account_key(account["user"], account["host"])
        cursor.execute("SELECT max_user_connections FROM mysql.user "
                       "WHERE User = %s AND LOWER(Host) = %s", [user, host])
        row = cursor.fetchone()
        if row is None:
            missing.append(name)
            continue
        if int(row[0]) != account["max_user_connections"]:
            todo.append((account, name, int(row[0])))
    return todo, missing


def missing_text(missing):
    many = len(missing) > 1
    return ("account%s %s do%s not exist: create %s first (this module never creates "
            "accounts); the limit applies once the task is rerun" % (
                "s" if many else "", ", ".join(missing), "" if many else "es",
                "them" if many else "it"))


def set_caps(cursor, todo, check_mode):
    changes, before, after = [], [], []
    for account, name, current in todo:
        if not check_mode:
            try:
                cursor.execute("ALTER USER %%s@%%s WITH MAX_USER_CONNECTIONS %d"
                               % account["max_user_connections"],
                               [account["user"], account["host"]])
            except Exception as exc:
                exc.steadydb_account = name
                raise
        changes.append(dict(account=name, before=current, after=account["max_user_connections"]))
        before.append("%s max_user_connections = %d\n" % (name, current))
        after.append("%s max_user_connections = %d\n" % (name, account["max_user_connections"]))
    return changes, before, after
