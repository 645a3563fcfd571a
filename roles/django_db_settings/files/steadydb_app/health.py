"""What steadydb knows about this app's database, checked from the app side.

``check()`` runs on the app's own connection (the one its requests use) and reports:

- ``select_1``: the server answers ``SELECT 1`` (else the MySQL error number);
- ``idle``: the live ``@@GLOBAL.wait_timeout`` against this process's CONN_MAX_AGE. Rule:
  CONN_MAX_AGE (seconds, 0 = close after each request) is below wait_timeout; ``None``
  (keep forever) breaks it. Otherwise the server drops reused connections (2006). With
  the steadydb engine, its idle close limit must be below wait_timeout too;
- ``account``: the account's connections in use (its own threads in the process list)
  against its cap ``max_user_connections`` (the live session value, which is the
  account's limit when one is set) and the plan's cap. Rules: in use below the cap
  (at the cap the next connection fails with 1226); the live cap equals the plan's;
- ``server``: uptime in seconds and version (a restart shows as a small uptime).

The probe never retries a connect (an outage shows at once). ``ok`` is false when a
rule is broken; the view answers 503 then, the management command
``steadydb_health`` exits 1. Nothing secret is reported (no password, no host list).

    # urls.py
    from myproject.steadydb_app.health import health_view
    urlpatterns += [path("health/db/", health_view)]
"""
import time

from django.db import DatabaseError, connections

from . import registered
from .retry import error_number, no_retry


def _one(cursor, sql):
    cursor.execute(sql)
    row = cursor.fetchone()
    return row[0] if row else None


GONE_AWAY = (2006, 2013, 4031)


def _measure(conn):
    # A probe reports an outage as it is: no connect retry here.
    with no_retry(), conn.cursor() as cursor:
        if _one(cursor, "SELECT 1") != 1:
            raise RuntimeError("SELECT 1 did not return 1")
        wait_timeout = int(_one(cursor, "SELECT @@GLOBAL.wait_timeout"))
        cap = int(_one(cursor, "SELECT @@SESSION.max_user_connections"))
        in_use = int(_one(cursor, "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                                  "WHERE USER = SUBSTRING_INDEX(CURRENT_USER(), '@', 1)"))
        cursor.execute("SHOW GLOBAL STATUS LIKE 'Uptime'")
        uptime = int(cursor.fetchone()[1])
        version = _one(cursor, "SELECT VERSION()")
    return wait_timeout, cap, in_use, uptime, version


def _down(report, code, started):
    report.update(ok=False, select_1={"ok": False, "error": code})
    report["broken"].append("select_1: the server did not answer (error %s)" % code)
    report["seconds"] = round(time.monotonic() - started, 3)
    return report


def check(alias="default", plan=None):
    """The health report (a dict, JSON-ready) of database ``alias``."""
    plan = registered() if plan is None else plan
    conn = connections[alias]
    conn_max_age = conn.settings_dict.get("CONN_MAX_AGE")
    report = {"ok": True, "alias": alias, "app": plan.get("app"), "broken": []}
    started = time.monotonic()
    try:
        values = _measure(conn)
    except DatabaseError as exc:
        code = error_number(exc)
        if code not in GONE_AWAY:
            return _down(report, code, started)
        # The reused connection had been dropped by the server (what CONN_MAX_AGE above
        # wait_timeout does): say so, then check the rules on a new connection.
        report["broken"].append("select_1: the reused connection had been dropped by the server (%s)" % code)
        report["stale_connection"] = code
        conn.close()
        try:
            values = _measure(conn)
        except DatabaseError as exc2:
            return _down(report, error_number(exc2), started)
    wait_timeout, cap, in_use, uptime, version = values
    report["select_1"] = {"ok": "stale_connection" not in report}
    report["seconds"] = round(time.monotonic() - started, 3)

    idle_ok = conn_max_age is not None and conn_max_age < wait_timeout
    steadydb_engine = conn.settings_dict.get("ENGINE", "").endswith("steadydb_app.backend")
    idle_close = plan.get("idle_close_after") if steadydb_engine else None
    report["idle"] = {"ok": idle_ok, "wait_timeout": wait_timeout, "CONN_MAX_AGE": conn_max_age,
                      "idle_close_after": idle_close}
    if not idle_ok:
        report["broken"].append(
            "idle: CONN_MAX_AGE %s is not below the server's wait_timeout %d s: the server closes "
            "reused connections first (2006)" % (conn_max_age, wait_timeout))
    if idle_close and idle_close >= wait_timeout:
        report["idle"]["ok"] = False
        report["broken"].append(
            "idle: the engine closes idle connections after %s s, not below the server's "
            "wait_timeout %d s (2006 after idle gaps)" % (idle_close, wait_timeout))

    plan_cap = (plan.get("limits") or {}).get("max_user_connections")
    account = {"in_use": in_use, "cap": cap, "plan_cap": plan_cap, "ok": True}
    if cap and in_use >= cap:
        account["ok"] = False
        report["broken"].append("account: %d connections in use, at its cap max_user_connections=%d "
                                "(the next one fails with 1226)" % (in_use, cap))
    if plan_cap is not None and cap != plan_cap:
        account["ok"] = False
        report["broken"].append("account: the live cap max_user_connections=%d is not the plan's %d "
                                "(run the steadydb playbook)" % (cap, plan_cap))
    report["account"] = account
    report["server"] = {"uptime": uptime, "version": version}
    report["ok"] = report["select_1"]["ok"] and not report["broken"]
    return report


def health_view(request, alias="default"):
    """JSON health report: 200 when every rule holds, 503 otherwise."""
    from django.http import JsonResponse

    report = check(alias)
    return JsonResponse(report, status=200 if report["ok"] else 503)
