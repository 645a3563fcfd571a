"""Extra server variables (mysql_tuning_extra_variables) go through the planner's rules,
and the apply-stage rules of module_utils/steadydb/apply.py (issue 12, items 4 and 6)."""

import pytest

from ansible.module_utils.steadydb.apply import (
    grant_privileges, missing_privileges, needs_restart_error, needs_restart_now, restart_due)
from ansible.module_utils.steadydb import plan as plan_mod
from ansible.module_utils.steadydb.plan import PlanError, build_plan, merge_server_variables

from test_plan import demand, mariadb_facts

GIB = 1024 ** 3


def plan(**extra):
    return build_plan(mariadb_facts(mem=16 * GIB), demand(), extra_variables=extra or None)


# --- build_plan with extras ------------------------------------------------------------

def test_the_issue_case_fails_naming_the_rule():
    # {wait_timeout: 60, max_connections: 10} with 300 s jobs and caps summing to 13
    with pytest.raises(PlanError) as err:
        plan(wait_timeout=60, max_connections=10)
    assert "rule" in str(err.value)


def test_max_connections_below_the_caps_fails():
    with pytest.raises(PlanError) as err:
        plan(max_connections=20)  # caps 13 + reserve 10 = 23
    text = str(err.value)
    assert "max_connections=20 (extra_variables)" in text and "rule: max_connections >=" in text


def test_wait_timeout_below_the_longest_job_fails():
    with pytest.raises(PlanError) as err:
        plan(wait_timeout=300)
    assert "wait_timeout=300 (extra_variables)" in str(err.value)
    assert "rule: wait_timeout > the longest request/job" in str(err.value)


def test_planned_extras_are_planned_with():
    result = plan(wait_timeout=3600, max_connections=100)
    v = result["server"]["variables"]
    assert v["wait_timeout"] == v["interactive_timeout"] == 3600
    assert v["max_connections"] == 100
    assert result["apps"]["web"]["django"]["CONN_MAX_AGE"] == 3600 - 300
    assert result["server"]["extra_variables"] == {"wait_timeout": 3600, "max_connections": 100}


def test_policy_and_extra_disagreeing_is_refused():
    with pytest.raises(PlanError) as err:
        build_plan(mariadb_facts(mem=16 * GIB), demand(), {"wait_timeout": 600},
                   extra_variables={"wait_timeout": 900})
    assert "given twice" in str(err.value)


def test_other_extras_are_merged_and_checked():
    result = plan(slow_query_log=True, **{"long-query-time": 2})
    assert result["server"]["variables"]["slow_query_log"] is True
    assert result["server"]["variables"]["long_query_time"] == 2
    with pytest.raises(PlanError) as err:
        plan(net_write_timeout=30)
    assert "rule: net_write_timeout >= 120" in str(err.value)
    with pytest.raises(PlanError) as err:
        plan(net_read_timeout=10)
    assert "rule: net_read_timeout >= 60" in str(err.value)
    with pytest.raises(PlanError) as err:
        plan(open_files_limit=100)
    assert "rule: open_files_limit >= the need" in str(err.value)
    # a larger table cache raises open_files_limit and LimitNOFILE with it
    raised = plan(table_open_cache=20000)
    need = raised["totals"]["open_files_need"]
    assert raised["server"]["variables"]["open_files_limit"] >= need > 40000
    assert raised["systemd"]["LimitNOFILE"] >= need


def test_buffer_extras_are_counted_in_the_memory_budget():
    with pytest.raises(PlanError) as err:
        plan(sort_buffer_size="512M")
    assert "memory budget" in str(err.value) and "sort_buffer_size 536870912" in str(err.value)
    result = plan(sort_buffer_size="4M")
    assert result["memory"]["values"]["sort_buffer_size"] == 4 * 1024 * 1024
    assert result["memory"]["fits"] is True


def test_bad_names_and_values_are_refused():
    with pytest.raises(PlanError):
        plan(**{"max connections": 10})
    with pytest.raises(PlanError):
        plan(max_connections="lots")
    with pytest.raises(PlanError):
        build_plan(mariadb_facts(), demand(), extra_variables=["wait_timeout"])


# --- merge_server_variables on a plan made earlier (mysql_tuning alone) ------------------

def test_merging_what_the_plan_holds_changes_nothing():
    base = plan(max_connections=100)
    assert merge_server_variables(base, {"max_connections": 100}) == base
    assert merge_server_variables(base, {}) == base


def test_merge_rechecks_a_plan_made_without_the_extras():
    base = plan()
    with pytest.raises(PlanError) as err:
        merge_server_variables(base, {"wait_timeout": 600})
    assert "CONN_MAX_AGE 28500" in str(err.value) and "rule" in str(err.value)
    with pytest.raises(PlanError):
        merge_server_variables(base, {"max_connections": 15})
    merged = merge_server_variables(base, {"wait_timeout": 40000})
    assert merged["server"]["variables"]["interactive_timeout"] == 40000
    assert base["server"]["variables"]["wait_timeout"] == 28800  # a copy


def test_merge_respects_a_proxy_idle_timeout():
    proxied = build_plan(mariadb_facts(mem=16 * GIB), demand(upstream_idle_timeout=900))
    # the proxy's 900 s stays the effective idle timeout whatever wait_timeout says
    merged = merge_server_variables(proxied, {"wait_timeout": 7200})
    assert merged["apps"]["web"]["effective_idle_timeout"] == 900


def test_merge_on_a_hand_written_plan():
    hand = {"flavor": "mariadb", "server": {"variables": {"max_connections": 50}}}
    assert merge_server_variables(hand, {"max_connections": 60})["server"]["variables"] == {
        "max_connections": 60}
    with pytest.raises(PlanError):
        merge_server_variables({"server": {}}, {})


# --- apply.py ----------------------------------------------------------------------------

def test_grants():
    root = grant_privileges(["GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION",
                             "GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION"])
    assert missing_privileges(root, ["set_global", "alter_user"]) == []
    tuner = grant_privileges(["GRANT SELECT, PROCESS ON *.* TO `tuner`@`%` IDENTIFIED BY "
                              "PASSWORD '*AB'"])
    missing = missing_privileges(tuner, ["set_global", "alter_user"])
    assert len(missing) == 2 and "SUPER" in missing[0] and "CREATE USER" in missing[1]
    mysql8 = grant_privileges(["GRANT SELECT ON *.* TO `t`@`%`",
                               "GRANT SYSTEM_VARIABLES_ADMIN,CONNECTION_ADMIN ON *.* TO `t`@`%`",
                               "GRANT UPDATE ON `mysql`.* TO `t`@`%`"])
    assert missing_privileges(mysql8, ["set_global", "alter_user"]) == []


def test_1290_means_restart():
    assert needs_restart_error(1290)
    assert not needs_restart_error(1227) and not needs_restart_error(None)
    assert needs_restart_now("mariadb", "max_user_connections", "0")
    assert not needs_restart_now("mariadb", "max_user_connections", "10")
    assert not needs_restart_now("mysql", "max_user_connections", "0")


@pytest.mark.parametrize("pending, changed, written, started, due", [
    ({}, ["max_connections"], 0, 0, False),                       # dynamic only
    ({"open_files_limit": 1}, ["open_files_limit"], None, 100, True),  # changed now
    ({"open_files_limit": 1}, [], 200.0, 100, True),              # written after the start
    ({"open_files_limit": 1}, [], 100.5, 100, False),             # read at the start
    ({"open_files_limit": 1}, [], None, 100, False),              # server caps it itself
])
def test_restart_due(pending, changed, written, started, due):
    assert restart_due(pending, changed, written, started) is due


# --- property: whatever the extras, the merged plan keeps every rule or is refused --------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

BASE = build_plan(mariadb_facts(mem=16 * GIB), demand())

EXTRAS = st.fixed_dictionaries({}, optional={
    "max_connections": st.integers(1, 3000),
    "wait_timeout": st.integers(1, 100000),
    "net_write_timeout": st.integers(1, 1000),
    "net_read_timeout": st.integers(1, 1000),
    "table_open_cache": st.integers(1, 100000),
    "sort_buffer_size": st.integers(0, 2 * GIB),
})


@settings(max_examples=300, deadline=None)
@given(EXTRAS)
def test_merged_plans_keep_every_rule(extras):
    try:
        merged = merge_server_variables(BASE, extras)
    except PlanError as exc:
        assert "rule" in str(exc) or "must be" in str(exc)
        return
    v = merged["server"]["variables"]
    totals = merged["totals"]
    assert v["max_connections"] >= totals["user_caps_sum"] + totals["reserve"]
    for app in merged["apps"].values():
        longest = app["longest_idle_seconds"]
        assert v["wait_timeout"] > longest
        for value in (app["django"]["CONN_MAX_AGE"], app["sqlalchemy"]["pool_recycle"]):
            assert value == 0 or value + longest <= app["effective_idle_timeout"]
        assert v["net_write_timeout"] >= app["django"]["OPTIONS"]["read_timeout"]
    assert v["net_read_timeout"] >= 60 and v["net_write_timeout"] >= 120
    assert v["open_files_limit"] >= plan_mod.open_files_need(
        v["max_connections"], v["table_open_cache"], totals["extra_max_connections"])
    memory = merged["memory"]
    assert memory["max_total_bytes"] <= memory["allowed_bytes"]
    assert memory["max_total_bytes"] == (plan_mod.server_buffers_bytes(memory["values"])
                                         + v["max_connections"]
                                         * plan_mod.per_thread_bytes(memory["values"]))
