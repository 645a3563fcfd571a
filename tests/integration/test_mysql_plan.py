"""mysql_plan through the real ansible CLI: argument parsing, check mode, errors.

Given facts, mysql_plan connects to nothing; the tests at the end give it none, so it
reads a real server first (one round trip for read and plan).
"""
import copy

import pytest
from conftest import run_module

FACTS = {
    "flavor": "mariadb",
    "version": {"full": "10.11.6-MariaDB-0+deb12u1", "string": "10.11.6", "tuple": [10, 11, 6]},
    "variables": {
        "max_connections": 151, "extra_max_connections": 1, "wait_timeout": 28800,
        "interactive_timeout": 28800, "net_read_timeout": 30, "net_write_timeout": 60,
        "thread_cache_size": 151, "table_open_cache": 2000, "open_files_limit": 32768,
        "max_connect_errors": 100, "key_buffer_size": 134217728,
        "innodb_buffer_pool_size": 134217728, "innodb_log_buffer_size": 16777216,
        "query_cache_size": 1048576, "aria_pagecache_buffer_size": 134217728,
        "read_buffer_size": 131072, "read_rnd_buffer_size": 262144,
        "sort_buffer_size": 2097152, "thread_stack": 299008, "join_buffer_size": 262144,
        "binlog_cache_size": 32768, "tmp_table_size": 16777216,
        "max_heap_table_size": 16777216,
    },
    "status": {"Max_used_connections": 3, "Connections": 10, "Aborted_clients": 0},
    "host": {"mem_total_bytes": 4 * 1024 ** 3, "swap_total_bytes": 1024 ** 3},
}

APPS = [
    {"name": "web", "app_hosts": 2, "processes_per_host": 4, "background_workers": 2,
     "longest_job_seconds": 300},
    {"name": "logger", "db_user": "datalog", "processes_per_host": "2"},
]


def test_plan_through_ansible_check_mode():
    result, _ = run_module("mysql_plan", {"facts": FACTS, "apps": APPS, "admin_reserve": 5},
                           check=True)
    assert not result.get("failed"), result
    assert result["changed"] is False
    plan = result["plan"]
    # Returned once: the role, not the module, makes it the host fact steadydb_plan.
    assert "steadydb_plan" not in result.get("ansible_facts", {})
    assert plan["apps"]["web"]["demand"] == 10
    assert plan["apps"]["logger"]["db_user"] == "datalog"
    assert plan["apps"]["logger"]["demand"] == 2  # "2" was converted by the arg spec
    caps = sum(u["max_user_connections"] for u in plan["server"]["user_limits"])
    assert caps <= plan["server"]["variables"]["max_connections"] - 5
    assert plan["apps"]["web"]["django"]["CONN_MAX_AGE"] == 28800 - 300


def test_bad_input_fails_with_the_rule():
    apps = copy.deepcopy(APPS)
    apps[0]["processes_per_host"] = -1
    result, _ = run_module("mysql_plan", {"facts": FACTS, "apps": apps})
    assert result.get("failed")
    assert "processes_per_host" in result["msg"] and ">= 0" in result["msg"]
    assert "Traceback" not in result["msg"]


def test_override_breaking_invariant_fails():
    apps = copy.deepcopy(APPS)
    apps[1]["conn_max_age"] = 28800
    result, _ = run_module("mysql_plan", {"facts": FACTS, "apps": apps})
    assert result.get("failed")
    assert "conn_max_age=28800" in result["msg"] and "idle timeout" in result["msg"]


def test_unknown_app_option_is_refused_by_the_arg_spec():
    apps = copy.deepcopy(APPS)
    apps[0]["proceses_per_host"] = 4
    result, _ = run_module("mysql_plan", {"facts": FACTS, "apps": apps})
    assert result.get("failed")
    assert "proceses_per_host" in result["msg"]


def test_warnings_reach_ansible():
    facts = copy.deepcopy(FACTS)
    facts["status"].update(Max_used_connections=150, Connection_errors_max_connections=3)
    result, _ = run_module("mysql_plan", {"facts": facts, "apps": APPS, "client_connect_timeout": 20})
    assert not result.get("failed"), result
    text = " ".join(result.get("warnings", []))
    assert "connect_timeout=20" in text
    assert "Connection_errors_max_connections=3" in text


@pytest.mark.parametrize("check", [False, True], ids=["run", "check_mode"])
def test_role_sets_the_fact_from_a_real_server(mariadb, tmp_path, check):
    """roles/steadydb_plan end to end: mysql_facts on a real MariaDB, then mysql_plan."""
    import json
    import os
    import subprocess
    import sys

    from conftest import REPO

    playbook = tmp_path / "play.yml"
    out = tmp_path / "plan.json"
    playbook.write_text(
        "- hosts: localhost\n"
        "  gather_facts: false\n"
        "  roles:\n"
        "    - steadydb_plan\n"
        "  tasks:\n"
        "    - ansible.builtin.copy:\n"
        "        content: '{{ steadydb_plan | to_json }}'\n"
        "        dest: " + str(out) + "\n"
        "      check_mode: false\n")
    extra = {
        "steadydb_login_host": mariadb.host, "steadydb_login_port": mariadb.port,
        "steadydb_login_user": mariadb.user, "steadydb_config_file": "",
        "steadydb_apps": [{"name": "web", "processes_per_host": 3},
                          {"name": "logger", "db_user": "datalog"}],
        "steadydb_admin_reserve": 5, "steadydb_db_host_shared": True,
        "steadydb_mem_total_bytes": "2G",
        "ansible_python_interpreter": sys.executable,
    }
    ansible_playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    proc = subprocess.run(
        [ansible_playbook, "-i", "localhost,", "-c", "local", str(playbook),
         "-e", json.dumps(extra)] + (["--check"] if check else []),
        cwd=REPO, env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg")),
        capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    plan = json.loads(out.read_text())
    assert plan["flavor"] == "mariadb"
    assert plan["apps"]["web"]["demand"] == 3
    assert plan["apps"]["logger"]["db_user"] == "datalog"
    assert plan["memory"]["total_bytes"] == 2 * 1024 ** 3
    assert plan["memory"]["fits"] is True
    # the fixture's server runs with the default wait_timeout
    assert plan["server"]["variables"]["wait_timeout"] == 28800
    assert plan["apps"]["web"]["django"]["CONN_MAX_AGE"] == 28800 - 60


# --- One round trip: mysql_plan reads the server itself when it is given no facts ---------

def test_without_facts_it_reads_the_server_as_mysql_facts_does(mariadb):
    facts_result, _ = run_module("mysql_facts", dict(mariadb.login, accounts=["web@%", "datalog@%"],
                                                     unit_candidates=[]))
    result, _ = run_module("mysql_plan", dict(mariadb.login, apps=APPS, unit_candidates=[]),
                           check=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False
    read = result["ansible_facts"]["mysql"]
    expected = facts_result["ansible_facts"]["mysql"]
    assert set(read) == set(expected)
    # the same server, read twice: the same settings and the apps' accounts looked up
    assert read["variables"]["max_connections"] == expected["variables"]["max_connections"]
    assert read["accounts"] == expected["accounts"]
    assert set(read["accounts"]) == {"web@%", "datalog@%"}
    # and the plan is the one planned from those facts
    from_facts, _ = run_module("mysql_plan", {"facts": read, "apps": APPS})
    assert result["plan"] == from_facts["plan"]
    assert set(result["ansible_facts"]) == {"mysql"}


def test_bad_apps_fail_before_the_server_is_read():
    apps = copy.deepcopy(APPS)
    apps[0]["processes_per_host"] = -1
    # nothing listens on port 9 of this host: a read would fail with a connection error
    result, _ = run_module("mysql_plan", {"login_host": "127.0.0.1", "login_port": 9,
                                          "config_file": "", "apps": apps})
    assert result.get("failed")
    assert "processes_per_host" in result["msg"] and ">= 0" in result["msg"]
    assert "2003" not in result["msg"] and "connect" not in result["msg"].lower()


def test_managed_mode_reads_only_the_accounts_view(mariadb):
    mariadb.query("CREATE USER IF NOT EXISTS 'capped'@'%' IDENTIFIED BY 'capped-pass' "
                  "WITH MAX_USER_CONNECTIONS 12")
    try:
        login = dict(mariadb.login, login_user="capped", login_password="capped-pass")
        result, _ = run_module("mysql_plan", dict(login, mode="managed",
                                                  apps=[{"name": "capped", "processes_per_host": 2}]))
        assert not result.get("failed"), result.get("msg")
        read = result["ansible_facts"]["mysql"]
        assert read["scope"] == "account" and read["host"] == {} and read["unit"] is None
        assert read["account"]["max_user_connections"] == 12
        assert result["plan"]["account"]["max_user_connections"] == 12
    finally:
        mariadb.query("DROP USER IF EXISTS 'capped'@'%'")
