"""Worked examples and bad-input messages for module_utils/steadydb/plan.py.

The worked examples are the ones in docs/formulas.md; the field-report cases are a
1 GB droplet running Django + MySQL on the same host, a hosting provider whose
servers close idle connections after 300 s, and the default wait_timeout of 28800.
"""
import ast
import copy
import os

import pytest

from ansible.module_utils.steadydb import plan as plan_mod
from ansible.module_utils.steadydb.plan import PlanError, build_plan

MIB = 1024 * 1024
GIB = 1024 * MIB

# MariaDB 10.11 defaults (mariadbd --no-defaults --verbose --help), as mysql_facts types them.
MARIADB_VARS = {
    "max_connections": 151, "extra_max_connections": 1, "wait_timeout": 28800,
    "interactive_timeout": 28800, "net_read_timeout": 30, "net_write_timeout": 60,
    "thread_cache_size": 151, "table_open_cache": 2000, "open_files_limit": 32768,
    "max_connect_errors": 100, "connect_timeout": 10,
    "key_buffer_size": 134217728, "innodb_buffer_pool_size": 134217728,
    "innodb_log_buffer_size": 16777216, "query_cache_size": 1048576,
    "aria_pagecache_buffer_size": 134217728, "read_buffer_size": 131072,
    "read_rnd_buffer_size": 262144, "sort_buffer_size": 2097152, "thread_stack": 299008,
    "join_buffer_size": 262144, "binlog_cache_size": 32768, "tmp_table_size": 16777216,
    "max_heap_table_size": 16777216, "innodb_buffer_pool_chunk_size": 2097152,
    "innodb_buffer_pool_instances": 1,
}

# MySQL 8.0 defaults (no query cache, no Aria; thread_stack 1M since 8.0.27).
MYSQL8_VARS = {
    "max_connections": 151, "wait_timeout": 28800, "interactive_timeout": 28800,
    "net_read_timeout": 30, "net_write_timeout": 60, "thread_cache_size": 9,
    "table_open_cache": 4000, "open_files_limit": 10000, "max_connect_errors": 100,
    "key_buffer_size": 8388608, "innodb_buffer_pool_size": 134217728,
    "innodb_log_buffer_size": 16777216, "read_buffer_size": 131072,
    "read_rnd_buffer_size": 262144, "sort_buffer_size": 262144, "thread_stack": 1048576,
    "join_buffer_size": 262144, "binlog_cache_size": 32768, "tmp_table_size": 16777216,
    "max_heap_table_size": 16777216, "innodb_buffer_pool_chunk_size": 134217728,
    "innodb_buffer_pool_instances": 1,
}

DROPLET_RAM = 1003896832  # MemTotal of a 1 GB droplet (980368 kB)


def mariadb_facts(mem=4 * GIB, **variables):
    return {
        "flavor": "mariadb",
        "version": {"full": "10.11.6-MariaDB-0+deb12u1", "string": "10.11.6",
                    "tuple": [10, 11, 6]},
        "variables": dict(MARIADB_VARS, **variables),
        "dynamic": {},
        "status": {"Uptime": 86400, "Threads_connected": 3, "Max_used_connections": 12,
                   "Aborted_clients": 0, "Aborted_connects": 0,
                   "Connection_errors_max_connections": 0, "Connections": 5000},
        "accounts": {},
        "host": {"mem_total_bytes": mem, "mem_available_bytes": mem // 2,
                 "swap_total_bytes": GIB, "swap_free_bytes": GIB},
    }


def mysql8_facts(mem=DROPLET_RAM, **variables):
    facts = mariadb_facts(mem)
    facts.update(flavor="mysql", version={"full": "8.0.36-0ubuntu0.22.04.1",
                                          "string": "8.0.36", "tuple": [8, 0, 36]})
    facts["variables"] = dict(MYSQL8_VARS, **variables)
    return facts


WEB = {"name": "web", "app_hosts": 2, "processes_per_host": 4, "threads_per_process": 1,
       "background_workers": 2, "worker_concurrency": 1, "longest_request_seconds": 30,
       "longest_job_seconds": 300, "longest_query_seconds": 60}


def demand(*apps, **kw):
    d = {"apps": list(apps) or [dict(WEB)]}
    d.update(kw)
    return d


# --- worked example 1: the architecture example, dedicated 4 GB MariaDB ----------------

def test_dedicated_mariadb_default_28800():
    plan = build_plan(mariadb_facts(), demand())
    web = plan["apps"]["web"]
    # demand = 2 hosts x 4 processes x 1 thread + 2 workers x 1 = 10
    assert web["demand"] == 10 and web["demand_web"] == 8 and web["demand_workers"] == 2
    # cap = ceil(10 x 1.25) = 13; required = 13 + reserve 10 = 23
    assert web["max_user_connections"] == 13
    assert plan["totals"]["required_max_connections"] == 23
    # the server's 151 does not fit 0.75 x 4 GiB with 19 MB per thread: the largest that
    # fits is (3221225472 - 420478976) // 19861504 = 141
    assert plan["memory"]["per_thread_bytes"] == 19861504
    assert plan["memory"]["server_buffers_bytes"] == 420478976
    assert plan["server"]["variables"]["max_connections"] == 141
    assert plan["memory"]["fits"] is True
    assert "innodb_buffer_pool_size" not in plan["server"]["variables"]
    # default wait_timeout 28800 is kept; margin = max(60, longest job 300) = 300
    v = plan["server"]["variables"]
    assert v["wait_timeout"] == v["interactive_timeout"] == 28800
    assert web["django"] == {"CONN_MAX_AGE": 28500, "CONN_HEALTH_CHECKS": True,
                             "OPTIONS": {"connect_timeout": 5, "read_timeout": 90,
                                         "write_timeout": 90}}
    assert web["sqlalchemy"]["pool_recycle"] == 28500
    assert web["sqlalchemy"]["pool_pre_ping"] is True
    # net_* never below 60/120, and never below the clients' read timeout
    assert v["net_read_timeout"] == 60 and v["net_write_timeout"] == 120
    # open files: max(10 + (141 + 1) + 2 x 2000, 5 x 142) = 4152; the server's 32768 stays
    assert plan["totals"]["open_files_need"] == 4152
    assert v["open_files_limit"] == 32768
    assert plan["systemd"]["LimitNOFILE"] == 32768
    assert v["thread_cache_size"] == 141
    assert v["max_connect_errors"] == 1000000
    assert plan["server"]["user_limits"] == [
        {"app": "web", "user": "web", "host": "%", "max_user_connections": 13}]
    assert plan["flavor"] == "mariadb" and plan["version"] == "10.11.6"
    assert plan["warnings"] == ["max_connections goes from 151 to 141 (the largest value whose "
                                "memory budget fits 0.75 of RAM)"]


def test_dedicated_host_with_room_keeps_max_connections():
    plan = build_plan(mariadb_facts(mem=16 * GIB), demand())
    assert plan["server"]["variables"]["max_connections"] == 151
    assert plan["warnings"] == []


# --- worked example 2: field report 1, 1 GB droplet, Django + data logger + MySQL -----------

def droplet_plan(**kw):
    apps = [{"name": "hms", "processes_per_host": 3, "longest_request_seconds": 30},
            {"name": "logger", "processes_per_host": 1, "longest_request_seconds": 30}]
    return build_plan(mysql8_facts(), demand(*apps, db_host_shared=True), kw or None)


def test_droplet_shared_host_shrinks_buffer_pool():
    plan = droplet_plan()
    mem = plan["memory"]
    assert mem["fraction"] == 0.40
    assert mem["allowed_bytes"] == int(DROPLET_RAM * 0.40) == 401558732
    # per thread = 128K + 256K + 256K + 1M + 256K + 32K + min(16M, 16M) = 18776064
    assert mem["per_thread_bytes"] == 18776064
    # caps: hms ceil(3 x 1.25) = 4, logger ceil(1 x 1.25) = 2; + reserve 10 = 16
    assert plan["server"]["variables"]["max_connections"] == 16
    # 8M + 128M + 16M + 16 x 18776064 = 459800576 > 401558732: the pool shrinks to
    # 401558732 - 25165824 - 300417024 = 75975884, rounded down to a MiB: 72M
    assert plan["server"]["variables"]["innodb_buffer_pool_size"] == 72 * MIB
    assert mem["innodb_buffer_pool_shrunk_from"] == 128 * MIB
    assert mem["max_total_bytes"] == 25165824 + 72 * MIB + 16 * 18776064 == 401080320
    assert mem["fits"] is True and mem["max_total_bytes"] <= mem["allowed_bytes"]
    assert plan["server"]["dynamic"]["innodb_buffer_pool_size"] is True
    assert any("innodb_buffer_pool_size shrinks" in w for w in plan["warnings"])
    assert plan["apps"]["hms"]["django"]["CONN_MAX_AGE"] == 28740
    assert sum(u["max_user_connections"] for u in plan["server"]["user_limits"]) == 6
    assert plan["systemd"]["OOMScoreAdjust"] == -600
    assert plan["systemd"]["app_OOMScoreAdjust"] == 300


def test_droplet_without_shrink_fails_with_the_arithmetic():
    with pytest.raises(PlanError) as err:
        droplet_plan(allow_buffer_pool_shrink=False)
    msg = str(err.value)
    assert "memory budget does not fit" in msg
    assert "459800576 > allowed 0.40 x RAM 1003896832 = 401558732" in msg
    assert "allow_buffer_pool_shrink=false" in msg


def test_demand_beyond_ram_fails_even_with_shrink():
    apps = [{"name": "hms", "processes_per_host": 16, "threads_per_process": 2}]
    with pytest.raises(PlanError) as err:
        build_plan(mysql8_facts(), demand(*apps, db_host_shared=True))
    msg = str(err.value)
    assert "memory budget does not fit" in msg and "min_buffer_pool_size" in msg
    assert "max_connections 50 x 18776064" in msg  # ceil(32 x 1.25) = 40 + 10
    assert ("largest other terms (min(tmp_table_size, max_heap_table_size) x 50 connections "
            "= 838860800, thread_stack x 50 connections = 52428800" in msg)


# --- worked example 3: field report 4, hosting provider with wait_timeout 300 -----------------

def test_hosting_provider_wait_timeout_300():
    apps = [{"name": "site", "processes_per_host": 2, "longest_request_seconds": 30},
            {"name": "jobs", "processes_per_host": 1, "background_workers": 1,
             "longest_job_seconds": 120}]
    facts = mysql8_facts(mem=16 * GIB, wait_timeout=300, interactive_timeout=300)
    plan = build_plan(facts, demand(*apps))
    site, jobs = plan["apps"]["site"], plan["apps"]["jobs"]
    assert plan["server"]["variables"]["wait_timeout"] == 300
    assert site["effective_idle_timeout"] == 300
    # margin = max(60, 30) = 60 -> 240 (the provider's FAQ suggests 280: same rule, less margin)
    assert site["django"]["CONN_MAX_AGE"] == 240 < 300
    assert site["sqlalchemy"]["pool_recycle"] == 240 < 300
    # the job app: margin = max(60, 120) = 120 -> 180
    assert jobs["django"]["CONN_MAX_AGE"] == 180
    assert jobs["sqlalchemy"]["pool_recycle"] == 180


def test_upstream_idle_timeout_wins_when_lower():
    plan = build_plan(mariadb_facts(), demand(dict(WEB, background_workers=0),
                                              upstream_idle_timeout=600))
    web = plan["apps"]["web"]
    assert web["effective_idle_timeout"] == 600
    assert web["django"]["CONN_MAX_AGE"] == 540
    assert plan["server"]["variables"]["wait_timeout"] == 28800


def test_policy_wait_timeout_sets_both_timeouts():
    plan = build_plan(mariadb_facts(), demand(), {"wait_timeout": 3600})
    v = plan["server"]["variables"]
    assert v["wait_timeout"] == v["interactive_timeout"] == 3600
    assert "interactive_timeout goes from 28800 to 3600" in " ".join(plan["warnings"])
    assert plan["apps"]["web"]["django"]["CONN_MAX_AGE"] == 3300


# --- field reports 2 and 3: workers, small timeouts, ASGI --------------------------------------

def test_kafka_consumer_app_at_default_28800():
    consumer = {"name": "consumer", "app_hosts": 1, "processes_per_host": 1,
                "background_workers": 4, "worker_concurrency": 1, "longest_job_seconds": 900}
    plan = build_plan(mariadb_facts(), demand(consumer))
    app = plan["apps"]["consumer"]
    assert app["demand"] == 5
    assert app["django"]["CONN_MAX_AGE"] == 28800 - 900
    assert app["django"]["CONN_HEALTH_CHECKS"] is True


def test_tiny_server_wait_timeout_gives_zero_and_a_warning():
    # report 3's reproduction: wait_timeout = 10 on the server
    facts = mariadb_facts(wait_timeout=10, interactive_timeout=10)
    plan = build_plan(facts, demand())
    web = plan["apps"]["web"]
    assert web["django"]["CONN_MAX_AGE"] == 0
    assert web["django"]["CONN_HEALTH_CHECKS"] is False
    assert web["sqlalchemy"]["pool_recycle"] == 0
    assert any("longest_job_seconds=300 is not below the effective idle timeout 10" in w
               for w in plan["warnings"])


def test_tiny_policy_wait_timeout_is_an_error():
    with pytest.raises(PlanError) as err:
        build_plan(mariadb_facts(), demand(), {"wait_timeout": 10})
    msg = str(err.value)
    assert "wait_timeout=10 (policy override) is too small for any safe CONN_MAX_AGE" in msg
    assert "longest_job_seconds=300" in msg


def test_small_timeouts_use_smaller_floors_but_stay_below():
    assert plan_mod.max_age(100, 10) == 80          # floor 100 // 5 = 20
    assert plan_mod.max_age(300, 30) == 240         # floor 60
    assert plan_mod.max_age(28800, 30) == 28740
    assert plan_mod.max_age(5, 1) == 4              # floor 1
    assert plan_mod.max_age(1, 0) == 0              # nothing fits
    assert plan_mod.max_age(60, 60) == 0
    assert plan_mod.max_age(61, 60) == 1


def test_asgi_app_never_reuses_connections():
    api = {"name": "api", "asgi": True, "processes_per_host": 2, "threads_per_process": 8}
    plan = build_plan(mariadb_facts(), demand(api))
    app = plan["apps"]["api"]
    assert app["demand"] == 16
    assert app["django"]["CONN_MAX_AGE"] == 0
    assert app["django"]["CONN_HEALTH_CHECKS"] is False
    assert app["sqlalchemy"]["pool_recycle"] == 28740  # SQLAlchemy pools work under ASGI
    assert app["sqlalchemy"]["pool_size"] == 8 and app["sqlalchemy"]["max_overflow"] == 0


# --- several apps, caps and max_connections ----------------------------------------------------

def test_two_apps_each_get_their_own_cap():
    logger = {"name": "logger", "db_user": "datalog", "db_user_host": "10.0.0.%",
              "processes_per_host": 1, "background_workers": 3, "worker_concurrency": 2}
    plan = build_plan(mariadb_facts(mem=16 * GIB), demand(dict(WEB), logger,
                                                          admin_reserve=5, headroom_percent=50))
    assert plan["apps"]["logger"]["demand"] == 7
    assert plan["apps"]["web"]["max_user_connections"] == 15       # ceil(10 x 1.5)
    assert plan["apps"]["logger"]["max_user_connections"] == 11    # ceil(7 x 1.5) = 10.5 -> 11
    assert plan["server"]["user_limits"][1] == {"app": "logger", "user": "datalog",
                                                "host": "10.0.0.%", "max_user_connections": 11}
    totals = plan["totals"]
    assert totals["demand"] == 17 and totals["user_caps_sum"] == 26
    assert totals["required_max_connections"] == 31
    assert totals["max_connections"] == 151


def test_max_connections_never_below_mariadb_minimum():
    app = {"name": "tiny", "processes_per_host": 1}
    plan = build_plan(mysql8_facts(mem=512 * MIB, max_connections=5), demand(app, admin_reserve=2))
    assert plan["totals"]["required_max_connections"] == 4
    assert plan["server"]["variables"]["max_connections"] == 10


def test_explicit_max_connections():
    plan = build_plan(mariadb_facts(mem=16 * GIB), demand(), {"max_connections": 500})
    assert plan["server"]["variables"]["max_connections"] == 500
    assert plan["server"]["variables"]["thread_cache_size"] == 151
    # open files: max(10 + 501 + 2 x max(2000, 500 x 8), 5 x 501) = 8511
    assert plan["server"]["variables"]["table_open_cache"] == 4000
    assert plan["totals"]["open_files_need"] == 8511
    assert plan["systemd"]["LimitNOFILE"] == 32768


def test_lowering_below_max_used_warns():
    facts = mariadb_facts()
    facts["status"]["Max_used_connections"] = 148
    plan = build_plan(facts, demand())
    text = " | ".join(plan["warnings"])
    assert "below Max_used_connections=148" in text
    assert "reached 98% of the current max_connections=151" in text


def test_open_files_and_limit_nofile_when_the_server_has_few():
    facts = mariadb_facts(mem=16 * GIB, open_files_limit=1024)
    plan = build_plan(facts, demand())
    # max(10 + 152 + 4000, 760) = 4162 -> LimitNOFILE rounded up to 5120
    assert plan["server"]["variables"]["open_files_limit"] == 4162
    assert plan["systemd"]["LimitNOFILE"] == 5120
    assert plan["server"]["dynamic"]["open_files_limit"] is False


def test_open_files_stay_within_what_systemd_can_grant():
    facts = mariadb_facts(mem=1024 * 1024 * GIB, open_files_limit=4000000)
    plan = build_plan(facts, demand(), {"max_connections": 100000})
    v = plan["server"]["variables"]
    # the raise of table_open_cache stops where the need would pass 1048576
    assert v["table_open_cache"] == (1048576 - 10 - 100001) // 2
    assert plan["totals"]["open_files_need"] <= v["open_files_limit"] == 1048576
    assert plan["systemd"]["LimitNOFILE"] == 1048576
    facts = mariadb_facts(mem=1024 * 1024 * GIB, table_open_cache=524288)
    with pytest.raises(PlanError, match="above 1048576 .the kernel's default fs.nr_open"):
        build_plan(facts, demand(), {"max_connections": 100000})


def test_open_files_formula():
    assert plan_mod.open_files_need(151, 2000) == 4161
    assert plan_mod.open_files_need(151, 2000, 1) == 4162
    assert plan_mod.open_files_need(2000, 100) == 10000


# --- systemd ----------------------------------------------------------------------------

def test_systemd_values():
    s = build_plan(mariadb_facts(), demand())["systemd"]
    assert s["Restart"] == "on-failure" and s["RestartSec"] == 2
    codes = s["RestartPreventExitStatus"].split()
    assert "7" in codes and "1" in codes and "13" in codes
    assert "16" not in codes and "8" not in codes  # MySQL's RESTART exits 16; 8 = out of memory
    assert s["StartLimitIntervalSec"] == 60 and s["StartLimitBurst"] == 5
    assert s["TimeoutStopSec"] == 900
    assert set(s) == {"LimitNOFILE", "Restart", "RestartSec", "RestartPreventExitStatus",
                      "StartLimitIntervalSec", "StartLimitBurst", "TimeoutStopSec",
                      "OOMScoreAdjust", "app_OOMScoreAdjust"}


def test_timeout_stop_scales_with_the_buffer_pool():
    facts = mariadb_facts(mem=64 * GIB, innodb_buffer_pool_size=40 * GIB)
    assert build_plan(facts, demand())["systemd"]["TimeoutStopSec"] == 300 + 40 * 60


# --- dynamic and warnings -----------------------------------------------------------------

def test_dynamic_from_facts_wins():
    facts = mariadb_facts()
    facts["dynamic"] = {"max_connections": False, "wait_timeout": True}
    plan = build_plan(facts, demand())
    assert plan["server"]["dynamic"]["max_connections"] is False
    assert plan["server"]["dynamic"]["open_files_limit"] is False
    assert set(plan["server"]["dynamic"]) == set(plan["server"]["variables"])


def test_status_warnings():
    facts = mariadb_facts()
    facts["status"].update(Aborted_clients=400, Connections=5000, Aborted_connects=60,
                           Connection_errors_max_connections=2)
    text = " | ".join(build_plan(facts, demand(), {"connect_timeout": 15})["warnings"])
    assert "Aborted_clients=400 of Connections=5000 (8.0%)" in text
    assert "Aborted_connects=60" in text
    assert "Connection_errors_max_connections=2" in text
    assert "connect_timeout=15" in text


def test_missing_account_and_no_swap_warn():
    facts = mysql8_facts(mem=8 * GIB)
    facts["host"]["swap_total_bytes"] = 0
    facts["accounts"] = {"web@%": {"user": "web", "host": "%", "exists": False,
                                   "max_user_connections": 0}}
    text = " | ".join(build_plan(facts, demand(db_host_shared=True))["warnings"])
    assert "account web@% does not exist" in text
    assert "no swap" in text


def test_sizes_as_strings_and_counts_as_digit_strings():
    facts = mariadb_facts(mem=16 * GIB, innodb_buffer_pool_size="128M")
    plan = build_plan(facts, demand(dict(WEB, app_hosts="2")),
                      {"mem_total_bytes": "16G", "min_buffer_pool_size": "64M"})
    assert plan["apps"]["web"]["demand"] == 10
    assert plan["memory"]["total_bytes"] == 16 * GIB


# --- overrides -------------------------------------------------------------------------------

def test_overrides_within_the_rules_are_used():
    app = dict(WEB, background_workers=0, conn_max_age=600, pool_recycle=3600)
    plan = build_plan(mariadb_facts(), demand(app))
    assert plan["apps"]["web"]["django"]["CONN_MAX_AGE"] == 600
    assert plan["apps"]["web"]["sqlalchemy"]["pool_recycle"] == 3600


@pytest.mark.parametrize("app, policy, fragment", [
    (dict(WEB, conn_max_age=28800), {},
     "apps[web].conn_max_age=28800 (override) is not below the effective idle timeout 28800"),
    (dict(WEB, pool_recycle=30000), {},
     "apps[web].pool_recycle=30000 (override) is not below the effective idle timeout"),
    (dict(WEB, conn_max_age=28600), {},
     "+ the longest request/job 300 s = 28900 exceeds the effective idle timeout 28800"),
    (dict(WEB, asgi=True, conn_max_age=60), {}, "rule: CONN_MAX_AGE = 0 under ASGI"),
    (dict(WEB), {"max_connections": 20},
     "max_connections=20 (policy override) is below what the demand needs"),
])
def test_overrides_breaking_an_invariant(app, policy, fragment):
    with pytest.raises(PlanError) as err:
        build_plan(mariadb_facts(), demand(app), policy)
    assert fragment in str(err.value)


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("change, fragment", [
    ({"processes_per_host": -1}, "apps[0] (web).processes_per_host must be >= 0, got -1"),
    ({"app_hosts": 2.5}, "apps[0] (web).app_hosts must be a whole number, got 2.5"),
    ({"app_hosts": 2.0}, "apps[0] (web).app_hosts must be a whole number, got 2.0"),
    ({"threads_per_process": True}, "threads_per_process must be a whole number, got True"),
    ({"background_workers": "many"}, "background_workers must be a whole number, got 'many'"),
    ({"background_workers": -3}, "background_workers must be >= 0, got -3"),
    ({"longest_request_seconds": 0}, "longest_request_seconds must be >= 1, got 0"),
    ({"asgi": "maybe"}, "apps[0] (web).asgi must be a boolean (true/false), got 'maybe'"),
    ({"name": "Web-App"}, "apps[0].name 'Web-App' is not valid: use lower-case letters"),
    ({"proceses_per_host": 4}, "apps[0] (web): unknown key(s) proceses_per_host"),
    ({"db_user": ""}, "apps[0] (web).db_user must be a non-empty string"),
])
def test_bad_app_input(change, fragment):
    app = dict(WEB, **change)
    with pytest.raises(PlanError) as err:
        build_plan(mariadb_facts(), demand(app))
    assert fragment in str(err.value)


@pytest.mark.parametrize("demand_kw, fragment", [
    ({"apps": []}, "apps must list at least one app"),
    ({"apps": [dict(WEB), dict(WEB)]}, "the name 'web' is used twice"),
    ({"apps": [dict(WEB), dict(WEB, name="admin", db_user="web")]},
     "apps web and admin both use the account web@%"),
    # The server reads host names without case: one account, two caps fighting.
    ({"apps": [dict(WEB, db_user_host="LocalHost"),
               dict(WEB, name="admin", db_user="web", db_user_host="localhost")]},
     "apps web and admin both use the account web@localhost"),
    # The account tables drop trailing spaces: no ALTER USER could reach 'web '.
    ({"apps": [dict(WEB, db_user="web ")]}, "apps[0] (web).db_user 'web ' ends with a space"),
    ({"apps": [dict(WEB, db_user_host="% ")]},
     "apps[0] (web).db_user_host '% ' ends with a space"),
    ({"admin_reserve": -1}, "admin_reserve must be >= 0, got -1"),
    ({"headroom_percent": "25%"}, "headroom_percent must be a whole number, got '25%'"),
    ({"upstream_idle_timeout": -5}, "upstream_idle_timeout must be >= 0"),
    ({"db_host_shared": "perhaps"}, "db_host_shared must be a boolean"),
    ({"tenants": 3}, "demand: unknown key(s) tenants"),
    ({"apps": [dict(WEB, app_hosts=100000, processes_per_host=2)]}, "above the server maximum 100000"),
])
def test_bad_demand(demand_kw, fragment):
    d = demand()
    d.update(demand_kw)
    with pytest.raises(PlanError) as err:
        build_plan(mariadb_facts(), d)
    assert fragment in str(err.value)


@pytest.mark.parametrize("policy, fragment", [
    ({"oom_score_adjust": -1000}, "oom_score_adjust must never be -1000"),
    ({"oom_score_adjust": 100}, "oom_score_adjust must be within -999..0"),
    ({"app_oom_score_adjust": 0}, "app_oom_score_adjust must be >= 1"),
    ({"restart_sec": 601}, "restart_sec must be <= 600"),
    ({"memory_fraction": 1.5}, "memory_fraction must be 0 (automatic) or above 0 and at most 0.95"),
    ({"memory_fraction": "lots"}, "memory_fraction must be a number"),
    ({"wait_timeout": -1}, "wait_timeout must be >= 0"),
    ({"wait_timeout": 40000000}, "wait_timeout must be <= 31536000"),
    ({"connect_timeout": 0}, "connect_timeout must be >= 1"),
    ({"max_connections": 5}, "max_connections must be 0 (derive) or at least 10"),
    ({"restart_sec": 60}, "the start limit could never trigger"),
    ({"min_buffer_pool_size": "1M"}, "min_buffer_pool_size must be at least 5M"),
    ({"min_buffer_pool_size": "lots"}, "min_buffer_pool_size: 'lots' is not a MySQL size"),
    ({"margins": 5}, "policy: unknown key(s) margins"),
])
def test_bad_policy(policy, fragment):
    with pytest.raises(PlanError) as err:
        build_plan(mariadb_facts(), demand(), policy)
    assert fragment in str(err.value)


def test_bad_facts():
    with pytest.raises(PlanError, match="facts must be the dict mysql_facts returns"):
        build_plan(None, demand())
    with pytest.raises(PlanError, match="facts.variables is missing or empty"):
        build_plan({"flavor": "mariadb"}, demand())
    facts = mariadb_facts()
    del facts["variables"]["sort_buffer_size"]
    with pytest.raises(PlanError, match=r"facts.variables.sort_buffer_size is missing"):
        build_plan(facts, demand())
    facts = mariadb_facts()
    facts["host"] = {}
    with pytest.raises(PlanError, match="facts.host.mem_total_bytes is missing"):
        build_plan(facts, demand())
    facts = mariadb_facts(wait_timeout=True)
    with pytest.raises(PlanError, match="facts.variables.wait_timeout must be a non-negative"):
        build_plan(facts, demand())


def test_errors_are_value_errors_and_inputs_are_not_mutated():
    assert issubclass(PlanError, ValueError)
    facts, d = mariadb_facts(), demand()
    before = copy.deepcopy((facts, d))
    build_plan(facts, d)
    assert (facts, d) == before


def test_optional_inputs_may_be_none_like_ansible_sends_them():
    app = dict(WEB, db_user=None, db_name=None, conn_max_age=None, pool_recycle=None)
    d = demand(app, admin_reserve=None, upstream_idle_timeout=None)
    plan = build_plan(mariadb_facts(), d, {"wait_timeout": None})
    assert plan["apps"]["web"]["db_name"] == "web"
    assert plan["totals"]["reserve"] == 10


def test_plan_py_imports_only_stdlib_and_steadydb():
    path = os.path.join(os.path.dirname(__file__), "..", "..", "module_utils", "steadydb",
                        "plan.py")
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ansible"):
            assert node.module.startswith("ansible.module_utils.steadydb."), node.module
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name in ("copy", "math", "re"), alias.name


# --- worker-only and web-only apps (issue 13 item 3) -------------------------------------

def test_worker_only_app_has_no_phantom_web_connection():
    # Report 02's Kafka consumer / report 03's rqworker: no web process at all. Declaring
    # only background_workers used to add 1 host x 1 process x 1 thread to demand and cap.
    consumer = {"name": "consumer", "background_workers": 4, "worker_concurrency": 2,
                "longest_job_seconds": 120}
    plan = build_plan(mariadb_facts(), demand(consumer, admin_reserve=5))
    app = plan["apps"]["consumer"]
    assert app["demand_web"] == 0
    assert app["demand_workers"] == 8 and app["demand"] == 8
    assert app["max_user_connections"] == 10          # 8 + 25 % rounded up, not (1 + 8) x 1.25
    assert app["kind"] == "workers"
    assert app["longest_idle_seconds"] == 120          # its jobs, no request time
    assert app["sqlalchemy"]["pool_size"] == 2         # a worker's connections, not threads
    assert plan["totals"]["demand"] == 8


@pytest.mark.parametrize("zero", [{"app_hosts": 0}, {"processes_per_host": 0},
                                  {"app_hosts": 0, "processes_per_host": 0}])
def test_zero_web_hosts_or_processes_mean_workers_only(zero):
    app = dict(WEB, **zero)  # WEB: 2 x 4 x 1 web + 2 workers
    plan = build_plan(mariadb_facts(), demand(app))
    assert plan["apps"]["web"]["demand"] == 2
    assert plan["apps"]["web"]["demand_web"] == 0
    assert plan["apps"]["web"]["kind"] == "workers"


def test_web_only_app_and_defaults_stay_one_web_connection():
    web = dict(WEB, background_workers=0)
    plan = build_plan(mariadb_facts(), demand(web))
    assert plan["apps"]["web"]["demand"] == 8 and plan["apps"]["web"]["demand_workers"] == 0
    assert plan["apps"]["web"]["kind"] == "web"
    assert plan["apps"]["web"]["longest_idle_seconds"] == 30
    # An app declared by name only is one web process with one thread, as before.
    plan = build_plan(mariadb_facts(), demand({"name": "tiny"}))
    assert plan["apps"]["tiny"]["demand"] == 1 and plan["apps"]["tiny"]["kind"] == "web"
    # Web keys given with workers: both, as before.
    plan = build_plan(mariadb_facts(), demand({"name": "both", "processes_per_host": 2,
                                               "background_workers": 1}))
    assert plan["apps"]["both"]["demand"] == 3 and plan["apps"]["both"]["kind"] == "web+workers"


@pytest.mark.parametrize("app, fragment", [
    ({"name": "idle", "app_hosts": 0},
     "apps[0] (idle) declares no connections: app_hosts 0 x processes_per_host 1 x "
     "threads_per_process 1 web + background_workers 0 x worker_concurrency 1"),
    ({"name": "idle", "background_workers": 0, "processes_per_host": 0},
     "apps[0] (idle) declares no connections"),
    ({"name": "w", "background_workers": 2, "worker_concurrency": 0},
     "apps[0] (w).worker_concurrency must be >= 1, got 0"),
    ({"name": "w", "threads_per_process": 0}, "apps[0] (w).threads_per_process must be >= 1"),
])
def test_an_app_without_any_connection_is_refused(app, fragment):
    with pytest.raises(PlanError) as err:
        build_plan(mariadb_facts(), demand(app))
    assert fragment in str(err.value)
