"""Managed mode of module_utils/steadydb/plan.py (issue 13, item 2; field report 04).

A provider like report 04's: 300 s idle timeout, a per-account cap, an unprivileged
account. The facts are what mysql_facts scope=account returns.
"""
import pytest

from ansible.module_utils.steadydb.plan import (
    PlanError,
    account_cap,
    build_managed_plan,
    build_plan,
)


def facts(cap=10, wait_timeout=300, max_connections=151, net_read=30, net_write=60,
          flavor="mariadb"):
    return {
        "scope": "account", "flavor": flavor,
        "version": {"full": "10.11.6-MariaDB", "string": "10.11.6", "tuple": [10, 11, 6]},
        "variables": {"wait_timeout": wait_timeout, "max_connections": max_connections,
                      "max_user_connections": cap, "net_read_timeout": net_read,
                      "net_write_timeout": net_write},
        "account": {"user": "app", "host": "%", "max_user_connections": cap,
                    "wait_timeout": wait_timeout, "max_connections": max_connections},
        "status": {}, "accounts": {}, "host": {}, "unit": None,
    }


def demand(**app):
    entry = {"name": "app", "processes_per_host": 2, "threads_per_process": 2}
    entry.update(app)
    return {"apps": [entry]}


def test_300_s_provider_gives_client_ages_below_300():
    plan = build_managed_plan(facts(), demand())
    app = plan["apps"]["app"]
    assert plan["mode"] == "managed"
    assert 0 < app["django"]["CONN_MAX_AGE"] < 300
    assert 0 < app["sqlalchemy"]["pool_recycle"] < 300
    # margin: max(60 s floor, longest request 30 s) -> 240
    assert app["sqlalchemy"]["pool_recycle"] == 240
    assert app["django"]["OPTIONS"] == {"connect_timeout": 5, "read_timeout": 90,
                                        "write_timeout": 90}
    assert app["max_user_connections"] == 10 and app["demand"] == 4


def test_no_server_variables_caps_memory_or_systemd():
    plan = build_managed_plan(facts(), demand())
    assert plan["server"] == {"variables": {}, "dynamic": {}, "keep_if_present": [],
                              "user_limits": []}
    assert "systemd" not in plan and "memory" not in plan


def test_client_ages_follow_the_live_idle_timeout_not_a_default():
    # The self-hosted plan needs RAM facts; the managed plan needs none and still obeys
    # the same rule (max_age) for a different timeout.
    plan = build_managed_plan(facts(wait_timeout=120), demand())
    # margin = max(min(60, 120 // 5), longest request 30) = 30
    assert plan["apps"]["app"]["django"]["CONN_MAX_AGE"] == 90
    with pytest.raises(PlanError):
        build_plan(facts(wait_timeout=120), demand())  # no memory facts: self-hosted refuses


def test_demand_above_the_cap_fails_with_the_arithmetic_and_the_ways_out():
    with pytest.raises(PlanError) as err:
        build_managed_plan(facts(cap=10), demand(app_hosts=2, processes_per_host=3,
                                                 threads_per_process=2, background_workers=1))
    msg = str(err.value)
    assert "2 web hosts x 3 processes x 2 threads = 12" in msg
    assert "1 background workers x 1 = 1" in msg
    assert "= 13 connections exceeds the cap of account app@%, 10" in msg
    assert "1226" in msg and "connection 11" in msg
    for way_out in ("fewer processes/threads", "CONN_MAX_AGE 0", "pooler",
                    "steadydb_accept_cap_overrun"):
        assert way_out in msg


def test_demand_equal_to_the_cap_passes_with_a_headroom_warning():
    plan = build_managed_plan(facts(cap=4), demand())
    assert plan["totals"]["cap_overrun"] == []
    assert any("headroom" in w for w in plan["warnings"])


def test_accepted_overrun_warns_and_drops_persistent_connections():
    plan = build_managed_plan(facts(cap=3), demand(), accept_cap_overrun=True)
    app = plan["apps"]["app"]
    assert app["cap_overrun"] is True and app["django"]["CONN_MAX_AGE"] == 0
    assert app["django"]["CONN_HEALTH_CHECKS"] is False
    assert plan["totals"]["cap_overrun_accepted"] is True
    assert any("1226" in w and "accepted" in w for w in plan["warnings"])


def test_account_without_own_cap_is_bound_by_max_connections():
    assert account_cap(facts(cap=0, max_connections=50)) == (
        50, "max_connections (the account has no max_user_connections cap)")
    assert account_cap(facts(cap=10))[0] == 10
    assert account_cap(facts(cap=500, max_connections=50))[0] == 50


@pytest.mark.parametrize("policy", [{"wait_timeout": 600}, {"max_connections": 100}])
def test_server_side_policy_is_refused(policy):
    with pytest.raises(PlanError, match="changes nothing on the server"):
        build_managed_plan(facts(), demand(), policy)


def test_extra_server_variables_are_refused():
    with pytest.raises(PlanError, match="managed mode changes nothing"):
        build_managed_plan(facts(), demand(), extra_variables={"slow_query_log": 1})


def test_override_above_the_idle_timeout_is_refused_by_the_shared_rule():
    with pytest.raises(PlanError, match="not below the effective idle timeout 300"):
        build_managed_plan(facts(), demand(conn_max_age=300))


def test_short_provider_net_timeouts_are_named():
    plan = build_managed_plan(facts(net_read=30, net_write=30), demand())
    assert any("2013" in w and "net_write_timeout=120" in w for w in plan["warnings"])


def test_facts_without_wait_timeout_are_refused():
    bad = facts()
    del bad["account"]["wait_timeout"]
    del bad["variables"]["wait_timeout"]
    with pytest.raises(PlanError, match="wait_timeout is missing"):
        build_managed_plan(bad, demand())


def test_long_job_against_the_provider_timeout_warns_and_keeps_age_zero():
    plan = build_managed_plan(facts(), demand(background_workers=1, longest_job_seconds=600))
    assert plan["apps"]["app"]["django"]["CONN_MAX_AGE"] == 0
    assert any("not below the provider's idle timeout 300" in w for w in plan["warnings"])


def test_worker_only_app_is_checked_against_the_cap_too():
    plan = build_managed_plan(facts(cap=10), {"apps": [{"name": "app", "background_workers": 4,
                                                        "worker_concurrency": 2,
                                                        "longest_job_seconds": 120}]})
    app = plan["apps"]["app"]
    assert (app["demand"], app["demand_web"], app["kind"]) == (8, 0, "workers")
    assert app["sqlalchemy"]["pool_size"] == 2
    # margin max(60, longest job 120) below 300
    assert app["django"]["CONN_MAX_AGE"] == 180
    with pytest.raises(PlanError, match="0 web hosts x 0 processes x 1 threads = 0 "
                                        r"\+ 6 background workers x 2 = 12"):
        build_managed_plan(facts(cap=10), {"apps": [{"name": "app", "background_workers": 6,
                                                     "worker_concurrency": 2}]})
