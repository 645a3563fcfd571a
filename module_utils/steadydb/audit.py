# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift and risk audit: the live server, its unit and the app's settings against the plan.

Pure logic (no Ansible, no network) so it is unit-tested directly. The audit looks only
at what decides connection health, the four field errors:

- 2006 gone away: an app's ``CONN_MAX_AGE`` / ``pool_recycle`` at or above the server's
  live ``wait_timeout``;
- 1040 / 1226 too many connections: ``max_connections`` below the declared demand, peaks
  close to the limit, app accounts without a per-user cap;
- 2003 can't connect: no restart policy for mysqld, no OOM protection (or one the
  kernel did not apply to the running process), a memory budget over the host's RAM, a
  live worst case over the RAM the server may really use (its cgroup limit);
- drift: live variables that differ from the plan (a drop-in that was removed, a
  ``SET GLOBAL`` by hand that did not persist).

Each finding is a dict ``{severity, code, message}`` plus the values compared. Severity
``critical`` makes the audit playbook exit non-zero so it can gate CI or cron.
"""
from ansible.module_utils.steadydb.plan import (
    FRACTION_DEDICATED, aborted_high, live_memory, near_connection_limit)
from ansible.module_utils.steadydb.units import values_equal

CRITICAL = "critical"
WARNING = "warning"
INFO = "info"
SEVERITIES = (CRITICAL, WARNING, INFO)

# Variables whose drift breaks a promise the app side relies on: critical.
CONNECTION_CRITICAL = frozenset(("wait_timeout", "max_connections"))

# Ratios worth a human look (MySQLTuner uses similar thresholds).


def _finding(severity, code, message, **values):
    item = {"severity": severity, "code": code, "message": message}
    item.update(values)
    return item


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def audit_server(facts, plan):
    """Live globals, status counters and per-account caps against the plan."""
    findings = []
    variables = facts.get("variables", {})
    status = facts.get("status", {})
    planned = plan.get("server", {}).get("variables", {})

    for name in sorted(planned):
        live = variables.get(name)
        if live is None:
            findings.append(_finding(WARNING, "variable_unknown",
                                     "The server does not report %s; the plan sets it." % name,
                                     variable=name, planned=planned[name]))
        elif not values_equal(name, live, planned[name]):
            severity = CRITICAL if name in CONNECTION_CRITICAL else WARNING
            findings.append(_finding(
                severity, "drift",
                "%s is %s on the live server, the plan says %s (run harden-db.yml)."
                % (name, live, planned[name]),
                variable=name, live=live, planned=planned[name]))

    totals = plan.get("totals", {})
    demand = _as_int(totals.get("demand")) or 0
    reserve = _as_int(totals.get("reserve")) or 0
    max_connections = _as_int(variables.get("max_connections"))
    if max_connections is not None and max_connections < demand + reserve:
        findings.append(_finding(
            CRITICAL, "max_connections_below_demand",
            "max_connections is %d but the apps need %d at peak plus %d reserved: expect 1040 "
            "Too many connections." % (max_connections, demand, reserve),
            live=max_connections, needed=demand + reserve))

    max_used = _as_int(status.get("Max_used_connections"))
    if near_connection_limit(max_used, max_connections):
        findings.append(_finding(
            WARNING, "max_used_connections_near_limit",
            "Max_used_connections reached %d of max_connections %d since the last start."
            % (max_used, max_connections), live=max_used, limit=max_connections))

    refused = _as_int(status.get("Connection_errors_max_connections")) or 0
    if refused:
        findings.append(_finding(
            WARNING, "connections_refused",
            "%d connections were refused with 1040 since the last start "
            "(Connection_errors_max_connections)." % refused, live=refused))

    connections = _as_int(status.get("Connections")) or 0
    for counter, code in (("Aborted_clients", "aborted_clients_high"),
                          ("Aborted_connects", "aborted_connects_high")):
        count = _as_int(status.get(counter)) or 0
        if aborted_high(count, connections):
            findings.append(_finding(
                WARNING, code,
                "%s is %d of %d connections (%.1f%%): clients dropped without closing or failed "
                "to log in; look at wait_timeout, net timeouts and credentials."
                % (counter, count, connections, 100.0 * count / connections),
                live=count, connections=connections))

    accounts = facts.get("accounts", {})
    for limit in plan.get("server", {}).get("user_limits", []):
        key = "%s@%s" % (limit.get("user"), limit.get("host", "%"))
        account = accounts.get(key)
        if account is None:
            continue
        if not account.get("exists", True):
            findings.append(_finding(WARNING, "account_missing",
                                     "The app account %s does not exist on this server." % key,
                                     account=key))
        elif _as_int(account.get("max_user_connections")) != _as_int(limit.get("max_user_connections")):
            live = account.get("max_user_connections")
            severity = CRITICAL if not _as_int(live) else WARNING
            findings.append(_finding(
                severity, "user_cap_drift",
                "%s has MAX_USER_CONNECTIONS %s, the plan says %s: a runaway app can take every "
                "slot and starve the others (1040/1226)." % (key, live, limit.get("max_user_connections")),
                account=key, live=live, planned=limit.get("max_user_connections")))

    memory = plan.get("memory", {})
    if memory and memory.get("fits") is False:
        findings.append(_finding(
            CRITICAL, "memory_over_budget",
            "The worst-case memory of mysqld exceeds the allowed share of RAM: %s"
            % memory.get("formula", ""), live=memory.get("max_total_bytes"),
            allowed=memory.get("allowed_bytes")))
    findings.extend(_audit_live_memory(facts, memory))
    return findings


def _audit_live_memory(facts, memory):
    """The live server's worst case (the plan's formula, plan.live_memory) against the
    budget of the RAM it may really use: MemTotal or the cgroup limit of its process, as
    mysql_facts reports it. A server started in a 1 GiB container with settings made for
    the machine's RAM passes every drift check and is still OOM-killed under load."""
    fraction = memory.get("fraction") or FRACTION_DEDICATED
    override = memory.get("total_bytes") \
        if memory.get("total_source") == "mem_total_bytes override" else 0
    live = live_memory(facts.get("variables"), facts.get("host"), fraction, override or 0)
    if live is None or live["fits"]:
        return []
    return [_finding(
        CRITICAL, "memory_over_limit",
        "The live worst-case memory of mysqld is %d MiB, above the %d MiB allowed (%d%% of "
        "the %d MiB it may use, %s): at peak connections the kernel OOM-kills it and every "
        "app gets 2003 until it is back (run harden-db.yml). %s"
        % (round(live["max_total_bytes"] / 1048576.0), round(live["allowed_bytes"] / 1048576.0),
           round(live["fraction"] * 100), round(live["total_bytes"] / 1048576.0),
           live["total_source_detail"], live["formula"]),
        live=live["max_total_bytes"], allowed=live["allowed_bytes"],
        limit=live["total_bytes"], limit_source=live["total_source_detail"])]


def audit_unit(unit_properties, plan, unit=None):
    """The mysqld unit as systemd sees it (``systemctl show``) against the plan.

    ``unit`` is the dict ``mysql_unit_info`` and ``mysql_facts`` return (its
    ``properties`` replace ``unit_properties``); with it the running server's own
    values (``/proc/MAINPID``) are checked too: a unit setting that the kernel did not
    apply protects nothing.
    """
    findings = []
    if unit:
        unit_properties = unit.get("properties") or unit_properties
    if not unit_properties:
        return [_finding(WARNING, "unit_unknown", "The mysqld unit could not be read; restart and "
                         "OOM policy not audited.")]
    restart = unit_properties.get("Restart", "no")
    if restart in ("no", ""):
        findings.append(_finding(
            CRITICAL, "no_restart_policy",
            "The mysqld unit has Restart=no: after an OOM kill or crash every page fails with 2003 "
            "until someone restarts it.", live=restart))
    planned = plan.get("systemd", {})
    if planned.get("Restart") and restart != planned["Restart"]:
        findings.append(_finding(WARNING, "restart_policy_drift",
                                 "Restart=%s on the unit, the plan says %s." % (restart, planned["Restart"]),
                                 live=restart, planned=planned["Restart"]))
    oom = _as_int(unit_properties.get("OOMScoreAdjust"))
    if oom is not None and oom >= 0:
        findings.append(_finding(
            WARNING, "oom_unprotected",
            "OOMScoreAdjust=%d: under memory pressure the kernel may pick mysqld first." % oom, live=oom))
    nofile = _as_int(unit_properties.get("LimitNOFILE"))
    planned_nofile = _as_int(planned.get("LimitNOFILE"))
    if nofile is not None and planned_nofile and nofile < planned_nofile:
        findings.append(_finding(
            WARNING, "nofile_below_plan",
            "LimitNOFILE=%d is below the planned %d: mysqld may run out of file descriptors "
            "before it reaches max_connections." % (nofile, planned_nofile),
            live=nofile, planned=planned_nofile))
    process = (unit or {}).get("process") or {}
    if process:
        findings.extend(_audit_process(process, oom, planned_nofile))
    return findings


def _audit_process(process, unit_oom, planned_nofile):
    """The running server's own OOM score and open files limit against its unit and plan."""
    findings = []
    pid = process.get("pid")
    live_oom = _as_int(process.get("oom_score_adj"))
    if live_oom is not None and unit_oom is not None and live_oom != unit_oom:
        findings.append(_finding(
            WARNING, "oom_not_in_force",
            "The unit sets OOMScoreAdjust=%d but the running mysqld (PID %s) has oom_score_adj "
            "%d: the kernel refused it (lowering needs CAP_SYS_RESOURCE, which containers "
            "usually lack) or it was changed after the start, so the unit's OOM protection is "
            "not in force." % (unit_oom, pid, live_oom),
            live=live_oom, unit=unit_oom, pid=pid))
    live_nofile = _as_int((process.get("nofile") or {}).get("soft"))
    if live_nofile is not None and planned_nofile and live_nofile < planned_nofile:
        findings.append(_finding(
            WARNING, "nofile_not_in_force",
            "The running mysqld (PID %s) may open %d files, below the planned LimitNOFILE %d "
            "(the service manager caps it, or the server was not restarted since the limit "
            "changed)." % (pid, live_nofile, planned_nofile),
            live=live_nofile, planned=planned_nofile, pid=pid))
    return findings


def audit_apps(app_settings, facts, plan):
    """Rendered app settings (parsed env files) against the live wait_timeout.

    ``app_settings`` maps app name to a dict of the env file's keys, or None where the
    file is missing.
    """
    findings = []
    wait_timeout = _as_int(facts.get("variables", {}).get("wait_timeout"))
    for name in sorted(plan.get("apps", {})):
        settings = app_settings.get(name)
        if settings is None:
            findings.append(_finding(
                CRITICAL, "app_settings_missing",
                "No rendered settings for app %s: its CONN_MAX_AGE and timeouts are whatever the "
                "code says, unchecked against wait_timeout." % name, app=name))
            continue
        for key in ("DB_CONN_MAX_AGE", "SQLALCHEMY_POOL_RECYCLE"):
            value = _as_int(settings.get(key))
            if value is None or wait_timeout is None:
                continue
            if value >= wait_timeout:
                findings.append(_finding(
                    CRITICAL, "client_outlives_server",
                    "App %s keeps connections %d s (%s) but the server closes idle ones after "
                    "wait_timeout=%d s: expect 2006 MySQL server has gone away."
                    % (name, value, key, wait_timeout),
                    app=name, live=value, wait_timeout=wait_timeout))
        planned = plan["apps"][name].get("django", {})
        age = _as_int(settings.get("DB_CONN_MAX_AGE"))
        if age is not None and age != _as_int(planned.get("CONN_MAX_AGE")):
            findings.append(_finding(
                WARNING, "app_settings_drift",
                "App %s renders CONN_MAX_AGE=%d, the plan says %s." % (name, age, planned.get("CONN_MAX_AGE")),
                app=name, live=age, planned=planned.get("CONN_MAX_AGE")))
    return findings


def summarize(findings):
    counts = dict((severity, 0) for severity in SEVERITIES)
    for item in findings:
        counts[item["severity"]] = counts.get(item["severity"], 0) + 1
    return counts
