"""The audit's verdicts on the field's failure modes."""
from ansible.module_utils.steadydb import audit

PLAN = {
    "server": {
        "variables": {"wait_timeout": 300, "max_connections": 60, "net_read_timeout": 60},
        "user_limits": [{"app": "web", "user": "web", "host": "%", "max_user_connections": 30}],
    },
    "systemd": {"Restart": "on-failure", "LimitNOFILE": 4096, "OOMScoreAdjust": -600},
    "totals": {"demand": 24, "reserve": 10},
    "memory": {"fits": True},
    "apps": {"web": {"django": {"CONN_MAX_AGE": 240}}},
}


def facts(**variables):
    base = {"wait_timeout": 300, "max_connections": 60, "net_read_timeout": 60}
    base.update(variables)
    return {
        "variables": base,
        "status": {"Connections": 1000, "Aborted_clients": 0, "Aborted_connects": 0,
                   "Max_used_connections": 10, "Connection_errors_max_connections": 0},
        "accounts": {"web@%": {"exists": True, "max_user_connections": 30}},
    }


def codes(findings, severity=None):
    return sorted(f["code"] for f in findings if severity in (None, f["severity"]))


def test_hardened_server_is_clean():
    assert audit.audit_server(facts(), PLAN) == []
    assert audit.audit_unit({"Restart": "on-failure", "OOMScoreAdjust": "-600", "LimitNOFILE": "4096"}, PLAN) == []
    assert audit.audit_apps({"web": {"DB_CONN_MAX_AGE": "240"}}, facts(), PLAN) == []


def test_wait_timeout_drift_is_critical_and_numbers_compare_as_numbers():
    found = audit.audit_server(facts(wait_timeout=28800, net_read_timeout="60"), PLAN)
    assert codes(found, "critical") == ["drift"]
    assert "wait_timeout is 28800" in found[0]["message"]


def test_switches_and_sizes_compare_as_the_server_means_them():
    # The audit had its own equality: bool("OFF") is True, so a live OFF passed a plan
    # of true (and a live ON failed a plan of false). It now uses the one rule
    # (units.values_equal) the drop-in and SET GLOBAL use.
    plan = dict(PLAN, server=dict(PLAN["server"], variables=dict(
        PLAN["server"]["variables"], skip_name_resolve=True, log_warnings=False,
        innodb_buffer_pool_size="128M")))
    same = facts(skip_name_resolve="ON", log_warnings="OFF", innodb_buffer_pool_size=134217728)
    assert audit.audit_server(same, plan) == []
    drift = facts(skip_name_resolve="OFF", log_warnings="ON", innodb_buffer_pool_size=134217728)
    assert sorted(f["variable"] for f in audit.audit_server(drift, plan)) == [
        "log_warnings", "skip_name_resolve"]


def test_a_decimal_is_compared_as_the_server_shows_it():
    # long_query_time planned at 0.0000001 reads back 0.000000 (6 decimals): the audit
    # called that drift on a server just hardened with it.
    plan = dict(PLAN, server=dict(PLAN["server"], variables=dict(
        PLAN["server"]["variables"], long_query_time="0.0000001")))
    assert audit.audit_server(facts(long_query_time="0.000000"), plan) == []
    assert [f["variable"] for f in audit.audit_server(facts(long_query_time="0.000001"), plan)] == [
        "long_query_time"]


def test_conn_max_age_at_or_above_wait_timeout_is_critical():
    found = audit.audit_apps({"web": {"DB_CONN_MAX_AGE": "300"}}, facts(), PLAN)
    assert "client_outlives_server" in codes(found, "critical")
    assert "2006" in [f for f in found if f["code"] == "client_outlives_server"][0]["message"]


def test_missing_app_settings_are_critical():
    assert codes(audit.audit_apps({}, facts(), PLAN), "critical") == ["app_settings_missing"]


def test_max_connections_below_demand_is_critical():
    found = audit.audit_server(facts(max_connections=20), PLAN)
    assert "max_connections_below_demand" in codes(found, "critical")


def test_uncapped_app_account_is_critical():
    f = facts()
    f["accounts"]["web@%"]["max_user_connections"] = 0
    assert codes(audit.audit_server(f, PLAN), "critical") == ["user_cap_drift"]


def test_unit_without_restart_is_critical_and_unprotected_oom_warns():
    found = audit.audit_unit({"Restart": "no", "OOMScoreAdjust": "0", "LimitNOFILE": "1024"}, PLAN)
    assert codes(found, "critical") == ["no_restart_policy"]
    assert codes(found, "warning") == ["nofile_below_plan", "oom_unprotected", "restart_policy_drift"]


def test_aborted_ratio_and_near_limit_warn():
    f = facts()
    f["status"].update(Aborted_clients=50, Max_used_connections=58, Connection_errors_max_connections=3)
    assert codes(audit.audit_server(f, PLAN), "warning") == [
        "aborted_clients_high", "connections_refused", "max_used_connections_near_limit"]


def test_summarize_counts_every_severity():
    assert audit.summarize([{"severity": "critical"}, {"severity": "warning"}, {"severity": "warning"}]) == {
        "critical": 1, "warning": 2, "info": 0}


# --- the unit's OOM score and open files limit in force (issue 12 item 14) -----------

def unit_fact(oom_unit=-600, oom_live=-600, nofile_live=4096, pid=4242):
    """The `unit` dict of mysql_unit_info / ansible_facts.mysql.unit."""
    return {
        "name": "mariadb.service",
        "properties": {"Restart": "on-failure", "OOMScoreAdjust": str(oom_unit), "LimitNOFILE": "4096"},
        "oom_score_adj": oom_unit,
        "main_pid": pid,
        "process": None if pid == 0 else {
            "pid": pid, "oom_score_adj": oom_live,
            "nofile": {"soft": nofile_live, "hard": nofile_live}},
    }


def test_oom_score_in_force_is_clean():
    assert audit.audit_unit({}, PLAN, unit=unit_fact()) == []


def test_oom_score_not_in_force_warns_with_the_live_value():
    # A container without CAP_SYS_RESOURCE: the unit says -600, the kernel kept 0.
    found = audit.audit_unit({}, PLAN, unit=unit_fact(oom_live=0))
    assert [(f["severity"], f["code"]) for f in found] == [("warning", "oom_not_in_force")]
    assert found[0]["live"] == 0 and found[0]["unit"] == -600 and found[0]["pid"] == 4242
    assert "oom_score_adj 0" in found[0]["message"] and "OOMScoreAdjust=-600" in found[0]["message"]


def test_stopped_server_has_no_live_values_to_compare():
    assert audit.audit_unit({}, PLAN, unit=unit_fact(pid=0)) == []


def test_open_files_limit_not_in_force_warns():
    # The unit may say more, but the process runs below the plan's LimitNOFILE.
    found = audit.audit_unit({}, PLAN, unit=unit_fact(nofile_live=1024))
    assert [(f["severity"], f["code"]) for f in found] == [("warning", "nofile_not_in_force")]
    assert found[0]["live"] == 1024 and found[0]["planned"] == 4096


def test_unit_properties_still_accepted_alone():
    found = audit.audit_unit({"Restart": "no", "OOMScoreAdjust": "0", "LimitNOFILE": "1024"}, PLAN)
    assert "oom_not_in_force" not in [f["code"] for f in found]


# --- the live worst case against the real memory limit (issue 13, field report 01) -------

# MariaDB 10.11 defaults with the field report's innodb_buffer_pool_size=256M and
# max_connections=40: MySQLTuner's worst case is 1287 MiB.
FIELD_VARS = {
    "key_buffer_size": 134217728, "innodb_buffer_pool_size": 268435456,
    "innodb_log_buffer_size": 16777216, "query_cache_size": 1048576,
    "aria_pagecache_buffer_size": 134217728, "read_buffer_size": 131072,
    "read_rnd_buffer_size": 262144, "sort_buffer_size": 2097152, "thread_stack": 299008,
    "join_buffer_size": 262144, "binlog_cache_size": 32768, "tmp_table_size": 16777216,
    "max_heap_table_size": 16777216,
}
GIB = 1024 ** 3
CGROUP = "cgroup v1 memory.limit_in_bytes (/sys/fs/cgroup/memory/machine.slice/libpod-1)"
HOST_RAM = 25232932864


def field_facts(limit, source=CGROUP):
    found = facts(max_connections=40, **FIELD_VARS)
    found["host"] = {"mem_total_bytes": HOST_RAM, "mem_limit_bytes": limit,
                     "mem_limit_source": source}
    return found


def memory_plan(fraction=0.75):
    return dict(PLAN, server={"variables": {}, "user_limits": []},
                memory={"fits": True, "fraction": fraction})


def test_live_worst_case_over_the_cgroup_limit_is_critical():
    found = audit.audit_server(field_facts(GIB), memory_plan())
    assert codes(found) == ["memory_over_limit"]
    item = found[0]
    assert item["severity"] == "critical"
    assert round(item["live"] / 1048576.0) == 1287 and item["allowed"] == 768 * 1048576
    assert item["limit"] == GIB and item["limit_source"] == CGROUP
    assert "1287 MiB, above the 768 MiB allowed (75% of the 1024 MiB it may use, " \
        "cgroup v1 memory.limit_in_bytes" in item["message"]
    assert "x RAM 1073741824 (cgroup limit: %s)" % CGROUP in item["message"]


def test_the_same_server_on_the_whole_machine_is_clean():
    assert audit.audit_server(field_facts(HOST_RAM, "MemTotal"), memory_plan()) == []


def test_the_plan_fraction_and_override_are_used():
    # 40 % of a shared box; an explicit mem_total_bytes in the plan is the RAM.
    found = audit.audit_server(field_facts(HOST_RAM, "MemTotal"),
                               dict(memory_plan(0.4), memory={
                                   "fits": True, "fraction": 0.4, "total_bytes": 2 * GIB,
                                   "total_source": "mem_total_bytes override"}))
    assert codes(found) == ["memory_over_limit"]
    assert "(40% of the 2048 MiB it may use, steadydb_mem_total_bytes)" in found[0]["message"]


def test_facts_without_host_memory_are_not_judged():
    assert audit.audit_server(facts(max_connections=40, **FIELD_VARS), memory_plan()) == []
