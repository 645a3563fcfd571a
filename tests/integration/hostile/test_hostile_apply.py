"""Hostile cases for the planner and the server-apply stage (issue 12, items 4, 6, 8).

Each test runs the real roles (steadydb_plan, mysql_tuning) through ansible-playbook on
localhost against a throwaway mariadbd, with the drop-in in a temporary option tree
(``mysql_tuning_defaults_file`` points the override check and the validation at it), and
no restart (the host has no systemd; the restart path is covered by Molecule).
"""
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO

pytestmark = pytest.mark.hostile

PLAYBOOK_BIN = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

# 2 hosts x 4 processes + 2 workers = 10 connections, cap 13 (25 % headroom); the
# workers run 300 s jobs, so wait_timeout must stay above 300 s.
APPS = [{"name": "web", "app_hosts": 2, "processes_per_host": 4, "background_workers": 2,
         "longest_request_seconds": 30, "longest_job_seconds": 300}]


@pytest.fixture
def tree(option_tree):
    return option_tree("bind-address = 127.0.0.1")


def play(tmp_path, server, tree, extra=None, roles=("steadydb_plan", "mysql_tuning"),
         check=False, user=None, password=""):
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: localhost\n"
        "  gather_facts: false\n"
        "  roles:\n" + "".join("    - %s\n" % role for role in roles))
    variables = {
        "steadydb_login_host": server.host, "steadydb_login_port": server.port,
        "steadydb_login_user": user or server.user, "steadydb_login_password": password,
        "steadydb_config_file": "",
        "steadydb_apps": APPS, "steadydb_admin_reserve": 5, "steadydb_mem_total_bytes": "4G",
        "mysql_tuning_dropin_path": str(tree.dropin),
        "mysql_tuning_defaults_file": tree.top,
        "mysql_tuning_restart": False,
        "mysql_tuning_on_missing_account": "ignore",
        "ansible_python_interpreter": sys.executable,
    }
    variables.update(extra or {})
    proc = subprocess.run(
        [PLAYBOOK_BIN, "-i", "localhost,", "-c", "local", str(playbook),
         "-e", json.dumps(variables)] + (["--check", "--diff"] if check else []),
        cwd=REPO, env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
                           ANSIBLE_NOCOLOR="1"),
        capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def global_value(server, name):
    return server.query("SELECT @@GLOBAL.%s" % name)[0][0]


# --- item 4: extra variables go through the planner's checks ----------------------------

@pytest.mark.parametrize("extra", [
    {"max_connections": 10},
    {"wait_timeout": 60},
    {"net_write_timeout": 30},
], ids=["max_connections", "wait_timeout", "net_write_timeout"])
def test_extra_variables_breaking_an_invariant_fail_before_anything_changes(
        fresh_mariadb, tmp_path, tree, extra):
    # Before the fix: applied with rc 0, max_connections 10 below the caps' sum 13 + 5.
    before = global_value(fresh_mariadb, list(extra)[0])
    rc, out = play(tmp_path, fresh_mariadb, tree, {"mysql_tuning_extra_variables": extra})
    assert rc != 0, out[-3000:]
    assert "rule" in out, out[-3000:]
    assert list(extra)[0] in out
    assert not tree.dropin.exists()
    assert global_value(fresh_mariadb, list(extra)[0]) == before


def test_extra_variables_rechecked_when_mysql_tuning_runs_alone(fresh_mariadb, tmp_path, tree):
    # A plan from an earlier run (caps sum 13, reserve 5), applied by mysql_tuning alone.
    plan = {"flavor": "mariadb",
            "server": {"variables": {"max_connections": 151, "wait_timeout": 28800},
                       "user_limits": []},
            "apps": {"web": {"effective_idle_timeout": 28800, "longest_idle_seconds": 300,
                             "django": {"CONN_MAX_AGE": 28500,
                                        "OPTIONS": {"read_timeout": 90}},
                             "sqlalchemy": {"pool_recycle": 28500}}},
            "totals": {"user_caps_sum": 13, "reserve": 5, "wait_timeout": 28800,
                       "effective_idle_timeout": 28800}}
    rc, out = play(tmp_path, fresh_mariadb, tree, roles=("mysql_tuning",),
                   extra={"mysql_tuning_plan": plan,
                          "mysql_tuning_extra_variables": {"wait_timeout": 600}})
    assert rc != 0, out[-3000:]
    assert "CONN_MAX_AGE" in out and "rule" in out, out[-3000:]
    assert not tree.dropin.exists()
    assert global_value(fresh_mariadb, "wait_timeout") == 28800


def test_harmless_extra_variables_are_applied(fresh_mariadb, tmp_path, tree):
    rc, out = play(tmp_path, fresh_mariadb, tree,
                   {"steadydb_mem_total_bytes": "16G",
                    "mysql_tuning_extra_variables": {"max_connections": 200,
                                                     "slow_query_log": True}})
    assert rc == 0, out[-3000:]
    text = tree.dropin.read_text()
    assert "max_connections = 200" in text and "slow_query_log = ON" in text
    assert global_value(fresh_mariadb, "max_connections") == 200


# --- item 6: order of operations ---------------------------------------------------------

def test_1290_is_a_pending_restart_not_a_failure(mariadb_factory, tmp_path, tree):
    # Before the fix: SET GLOBAL max_user_connections fails with 1290 after the drop-in
    # changed, rc 2 on every run, and the caps are skipped.
    server = mariadb_factory("--max-user-connections=0").start()
    server.query("CREATE USER 'web'@'%' IDENTIFIED BY 'x'")
    extra = {"mysql_tuning_extra_variables": {"max_user_connections": 50}}
    rc, out = play(tmp_path, server, tree, extra)
    assert rc == 0, out[-4000:]
    assert "max_user_connections = 50" in tree.dropin.read_text()
    assert "mysql_tuning_restart is false" in out, out[-3000:]
    caps = server.query("SELECT max_user_connections FROM mysql.user WHERE user='web'")
    assert caps[0][0] == 13
    assert global_value(server, "max_user_connections") == 0
    again, out = play(tmp_path, server, tree, extra)
    assert again == 0, out[-4000:]
    assert "mysql_tuning_restart is false" in out  # still due: the server has not read it


def test_missing_privilege_fails_before_the_dropin_is_written(fresh_mariadb, tmp_path, tree):
    # Before the fix: the drop-in was written, then SET GLOBAL failed with 1227.
    fresh_mariadb.query("CREATE USER 'tuner'@'%' IDENTIFIED BY 'pw'")
    fresh_mariadb.query("GRANT SELECT, PROCESS ON *.* TO 'tuner'@'%'")
    rc, out = play(tmp_path, fresh_mariadb, tree, user="tuner", password="pw")
    assert rc != 0, out[-3000:]
    assert "SUPER" in out and "tuner" in out, out[-3000:]
    assert not tree.dropin.exists()
    assert global_value(fresh_mariadb, "max_connect_errors") == 100


def test_failure_after_the_write_puts_the_dropin_back(fresh_mariadb, tmp_path, tree):
    # event_scheduler=DISABLED passes every check but SET GLOBAL refuses it (startup only).
    tree.dropin.write_text("[mysqld]\nmax_connections = 151\n")
    old = tree.dropin.read_text()
    os.utime(tree.dropin, (1000000000, 1000000000))
    rc, out = play(tmp_path, fresh_mariadb, tree,
                   {"mysql_tuning_extra_variables": {"event_scheduler": "DISABLED"}})
    assert rc != 0, out[-3000:]
    assert "event_scheduler" in out
    assert tree.dropin.read_text() == old
    assert tree.dropin.stat().st_mtime == 1000000000
    # no backup copy left behind
    assert sorted(p.name for p in tree.confd.iterdir()) == ["50-server.cnf", "99-steadydb.cnf"]
    assert global_value(fresh_mariadb, "max_connect_errors") == 100


# --- item 8: check mode predicts the real run ---------------------------------------------

def test_check_mode_reports_an_override_read_after_the_dropin(fresh_mariadb, tmp_path, tree):
    # Before the fix: --check said nothing to change with rc 0, the real run failed rc 2.
    (tree.confd / "zz-local.cnf").write_text("[mysqld]\nmax_connections = 20\n")
    rc, out = play(tmp_path, fresh_mariadb, tree, check=True)
    assert rc != 0, out[-3000:]
    assert "zz-local.cnf" in out and "max_connections" in out, out[-3000:]
    assert not tree.dropin.exists()
    real, out = play(tmp_path, fresh_mariadb, tree)
    assert real != 0
    assert not tree.dropin.exists()


def test_summary_says_would_restart_under_check(tmp_path):
    """playbooks/templates/summary.j2 with a systemd result that restarted the unit."""
    playbook = tmp_path / "summary.yml"
    template = os.path.join(REPO, "playbooks", "templates", "summary.j2")
    playbook.write_text(
        "- hosts: localhost\n"
        "  gather_facts: false\n"
        "  vars:\n"
        "    mysql_systemd_result: {dropin_changed: true, restarted: true,\n"
        "                           dropin: /etc/systemd/system/mariadb.service.d/x.conf}\n"
        "    steadydb_plan:\n"
        "      flavor: mariadb\n"
        "      version: '10.11'\n"
        "      server: {variables: {wait_timeout: 1, max_connections: 20, net_read_timeout: 60,\n"
        "                           net_write_timeout: 120}, user_limits: []}\n"
        "      totals: {demand: 1, headroom_percent: 25, reserve: 10}\n"
        "      systemd: {Restart: on-failure, RestartSec: 2, LimitNOFILE: 1, OOMScoreAdjust: -600}\n"
        "      memory: {max_total_bytes: 1048576, allowed_bytes: 1048576, fraction: 0.75}\n"
        "      apps: {}\n"
        "      warnings: []\n"
        "  tasks:\n"
        "    - ansible.builtin.copy:\n"
        "        content: \"{{ lookup('ansible.builtin.template', '" + template + "') }}\"\n"
        "        dest: " + str(tmp_path / "out.txt") + "\n"
        "      check_mode: false\n")
    for check in (True, False):
        proc = subprocess.run(
            [PLAYBOOK_BIN, "-i", "localhost,", "-c", "local", str(playbook),
             "-e", "ansible_python_interpreter=" + sys.executable] + (["--check"] if check else []),
            cwd=REPO, env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg")),
            capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        text = (tmp_path / "out.txt").read_text()
        if check:
            assert "would change" in text and "would restart" in text, text
            assert "(unit restarted)" not in text, text
        else:
            assert "(unit restarted)" in text, text
