"""Managed mode against a real server (issue 13, item 2; field report 04).

The server plays a provider's: wait_timeout 300 s, an account ``app``@``%`` with
MAX_USER_CONNECTIONS 10 and privileges on its own database only. harden-db.yml and
audit-db.yml run with ``steadydb_mode: managed`` from an inline inventory: the db host
(the provider's server, read from the control node) and an app host rendering into a
temporary directory, both ``ansible_connection: local``.
"""
import grp
import json
import os
import pwd
import re
import subprocess
import sys

import pytest
import yaml

from conftest import REPO, run_module

PLAYBOOK_BIN = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
PASSWORD = "app-Pass_1"
CAP = 10
# Variables the server changes by itself while it runs (none of them is a setting).
VOLATILE = {"gtid_binlog_pos", "gtid_current_pos", "gtid_binlog_state"}


@pytest.fixture
def provider(mariadb_factory):
    server = mariadb_factory("--wait-timeout=300").start()
    server.query("CREATE DATABASE appdb")
    # With arguments PyMySQL formats the statement: % is written %%.
    server.query("CREATE USER 'app'@'%%' IDENTIFIED BY %s WITH MAX_USER_CONNECTIONS "
                 + str(CAP), PASSWORD)
    server.query("GRANT ALL PRIVILEGES ON appdb.* TO 'app'@'%'")
    return server


def server_state(server):
    variables = dict((k, v) for k, v in server.query("SHOW GLOBAL VARIABLES") if k not in VOLATILE)
    limits = server.query("SELECT User, Host, max_user_connections, max_connections "
                          "FROM mysql.user ORDER BY User, Host")
    grants = server.query("SHOW GRANTS FOR 'app'@'%'")
    return variables, limits, grants


def inventory(tmp_path, server, apps, extra=None):
    settings = tmp_path / "settings"
    envdir = tmp_path / "env"
    settings.mkdir(exist_ok=True)
    envdir.mkdir(exist_ok=True)
    variables = {
        "ansible_python_interpreter": sys.executable,
        "steadydb_mode": "managed",
        "steadydb_login_host": server.host, "steadydb_login_port": server.port,
        "steadydb_login_user": "app", "steadydb_login_password": PASSWORD,
        "steadydb_config_file": "",
        "steadydb_apps": apps,
        # Where the server stage would write if it ran: it must not.
        "mysql_tuning_dropin_path": str(tmp_path / "conf.d" / "99-steadydb.cnf"),
        "django_db_settings_apps": [{
            "name": "app", "settings_dir": str(settings), "env_file": str(envdir / "app.env"),
            "owner": pwd.getpwuid(os.getuid()).pw_name, "group": grp.getgrgid(os.getgid()).gr_name,
            "db_host": server.host, "db_port": server.port, "db_password": PASSWORD,
            "driver": "pymysql"}],
    }
    variables.update(extra or {})
    data = {"all": {"vars": variables, "children": {
        "db": {"hosts": {"provider-db": {"ansible_connection": "local"}}},
        "app": {"hosts": {"app1": {"ansible_connection": "local"}}}}}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def playbook(name, inventory_path, *args):
    proc = subprocess.run(
        [PLAYBOOK_BIN, "-i", inventory_path, os.path.join(REPO, "playbooks", name)] + list(args),
        cwd=REPO, env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
                           ANSIBLE_NOCOLOR="1"),
        capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def env_values(path):
    values = {}
    for line in open(path).read().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip("'\"")
    return values


APPS = [{"name": "app", "db_user": "app", "db_name": "appdb", "app_hosts": 1,
         "processes_per_host": 2, "threads_per_process": 2}]


def test_facts_as_the_app_account(provider):
    login = dict(provider.login, login_user="app", login_password=PASSWORD)
    # The self-hosted read needs mysql.user: the error of the issue.
    result, _ = run_module("mysql_facts", dict(login, accounts=["app@%"]))
    assert result.get("failed") and "1142" in result["msg"], result
    result, out = run_module("mysql_facts", dict(login, scope="account", accounts=["app@%"]))
    assert not result.get("failed"), result
    facts = result["ansible_facts"]["mysql"]
    assert facts["scope"] == "account" and facts["flavor"] == "mariadb"
    account = facts["account"]
    assert (account["user"], account["host"]) == ("app", "%")
    assert account["max_user_connections"] == CAP and account["global_max_user_connections"] == 0
    assert account["wait_timeout"] == 300 and account["max_connections"] == 151
    assert account["connections_now"] == 1
    assert facts["accounts"]["app@%"]["exists"] is None   # unknown, not missing
    assert any("mysql.user" in item for item in account["unreadable"])
    assert PASSWORD not in out


def test_harden_renders_the_app_side_and_changes_nothing_on_the_server(provider, tmp_path):
    before = server_state(provider)
    inv = inventory(tmp_path, provider, APPS)
    rc, out = playbook("harden-db.yml", inv)
    assert rc == 0, out[-5000:]
    assert server_state(provider) == before
    assert not (tmp_path / "conf.d").exists()
    assert "server side: managed by the provider, nothing changed" in out
    env = env_values(tmp_path / "env" / "app.env")
    assert 0 < int(env["DB_CONN_MAX_AGE"]) < 300, env
    assert (tmp_path / "settings" / "steadydb_db.py").exists()
    sqla = (tmp_path / "settings" / "steadydb_sqlalchemy.py").read_text()
    recycle = re.search(r"'pool_recycle': (\d+)", sqla)
    assert recycle and 0 < int(recycle.group(1)) < 300, sqla[:2000]
    assert PASSWORD not in out
    # Run again: nothing to change anywhere.
    rc, out = playbook("harden-db.yml", inv)
    assert rc == 0 and "changed=0" in out.split("PLAY RECAP")[-1].split("app1")[1].split("\n")[0], \
        out[-3000:]
    assert server_state(provider) == before


def test_demand_above_the_cap_fails_with_the_arithmetic(provider, tmp_path):
    before = server_state(provider)
    apps = [dict(APPS[0], app_hosts=2, processes_per_host=3, threads_per_process=2)]
    rc, out = playbook("harden-db.yml", inventory(tmp_path, provider, apps))
    assert rc != 0
    assert "2 web hosts x 3 processes x 2 threads = 12" in out, out[-3000:]
    assert "exceeds the cap of account app@%, 10" in out and "1226" in out
    assert not (tmp_path / "env" / "app.env").exists()
    assert server_state(provider) == before


def test_accepted_overrun_renders_with_conn_max_age_zero(provider, tmp_path):
    apps = [dict(APPS[0], app_hosts=2, processes_per_host=3, threads_per_process=2)]
    inv = inventory(tmp_path, provider, apps, {"steadydb_accept_cap_overrun": True})
    rc, out = playbook("harden-db.yml", inv)
    assert rc == 0, out[-3000:]
    assert "1226" in out and "accepted" in out
    assert env_values(tmp_path / "env" / "app.env")["DB_CONN_MAX_AGE"] == "0"


def test_audit_runs_as_the_app_account(provider, tmp_path):
    inv = inventory(tmp_path, provider, APPS)
    rc, out = playbook("harden-db.yml", inv)
    assert rc == 0, out[-3000:]
    before = server_state(provider)
    report = tmp_path / "audit.json"
    rc, out = playbook("audit-db.yml", inv, "-e", "steadydb_audit_report=%s" % report)
    assert rc == 0, out[-5000:]
    data = json.loads(report.read_text())
    assert data["counts"]["critical"] == 0, data
    assert server_state(provider) == before
    # The provider lowers its idle timeout below the rendered CONN_MAX_AGE: the audit says so.
    provider.query("SET GLOBAL wait_timeout = 200")
    rc, out = playbook("audit-db.yml", inv, "-e", "steadydb_audit_report=%s" % report)
    assert rc != 0
    codes = [f["code"] for f in json.loads(report.read_text())["findings"]]
    assert "client_outlives_server" in codes, codes
    # The provider lowers the account's cap below the declared demand (4): 1226 predicted.
    provider.query("SET GLOBAL wait_timeout = 300")
    provider.query("ALTER USER 'app'@'%' WITH MAX_USER_CONNECTIONS 3")
    rc, out = playbook("audit-db.yml", inv)
    assert rc != 0
    assert "1 web hosts x 2 processes x 2 threads = 4" in out, out[-3000:]
    assert "exceeds the cap of account app@%, 3" in out


def test_the_shipped_managed_inventory(provider, tmp_path):
    """inventories/managed as shipped, pointed at the test server: only the address, the
    TLS files (the test server has none), the connection and the paths are overridden."""
    provider.query("CREATE DATABASE site_db")
    provider.query("CREATE USER 'site'@'%%' IDENTIFIED BY %s WITH MAX_USER_CONNECTIONS 10",
                   PASSWORD)
    provider.query("GRANT ALL PRIVILEGES ON site_db.* TO 'site'@'%'")
    before = server_state(provider)
    (tmp_path / "settings").mkdir()
    (tmp_path / "env").mkdir()
    overrides = {
        "ansible_connection": "local", "ansible_become": False,
        "ansible_python_interpreter": sys.executable,
        "steadydb_login_host": provider.host, "steadydb_login_port": provider.port,
        "steadydb_login_ca_cert": "", "steadydb_login_check_hostname": "",
        "django_db_settings_apps": [{
            "name": "site", "settings_dir": str(tmp_path / "settings"),
            "env_file": str(tmp_path / "env" / "site.env"),
            "owner": pwd.getpwuid(os.getuid()).pw_name,
            "group": grp.getgrgid(os.getgid()).gr_name,
            "db_host": provider.host, "db_port": provider.port,
            "db_password": "{{ lookup('ansible.builtin.env', 'STEADYDB_SITE_DB_PASSWORD') }}",
            "driver": "pymysql"}],
    }
    extra = tmp_path / "overrides.json"
    extra.write_text(json.dumps(overrides))
    os.environ["STEADYDB_SITE_DB_PASSWORD"] = PASSWORD
    try:
        rc, out = playbook("harden-db.yml", os.path.join(REPO, "inventories", "managed"),
                           "-e", "@%s" % extra, "--limit", "provider_db,web1.example.internal")
    finally:
        del os.environ["STEADYDB_SITE_DB_PASSWORD"]
    assert rc == 0, out[-5000:]
    env = env_values(tmp_path / "env" / "site.env")
    # 2 x 2 x 2 + 1 = 9 of the cap 10; the 120 s job: 300 - 120 = 180
    assert env["DB_CONN_MAX_AGE"] == "180" and env["DB_PASSWORD"] == PASSWORD
    assert "demand 9 of cap 10" in out and "headroom" in out
    assert server_state(provider) == before


def test_audit_reports_of_several_hosts_do_not_overwrite_each_other(provider, tmp_path):
    # Before: every db host wrote the same path, the last one won, and a report said
    # neither when nor by which steadydb it was made.
    inv = inventory(tmp_path, provider, APPS)
    data = yaml.safe_load(open(inv))
    data["all"]["children"]["db"]["hosts"]["provider-db2"] = {"ansible_connection": "local"}
    open(inv, "w").write(yaml.safe_dump(data))
    rc, out = playbook("harden-db.yml", inv)
    assert rc == 0, out[-3000:]
    single = tmp_path / "audit.json"
    playbook("audit-db.yml", inv, "-e", "steadydb_audit_report=%s" % single)
    per_host = sorted(p.name for p in tmp_path.glob("audit-*.json"))
    assert per_host == ["audit-provider-db.json", "audit-provider-db2.json"], per_host
    assert not single.exists()
    reports = tmp_path / "reports"
    reports.mkdir()
    playbook("audit-db.yml", inv, "-e", "steadydb_audit_report=%s/" % reports)
    written = sorted(reports.glob("steadydb-audit-*.json"))
    assert len(written) == 2, written
    for path in written:
        report = json.loads(path.read_text())
        assert path.name.startswith("steadydb-audit-%s-" % report["host"])
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", report["generated_at"])
        assert report["steadydb_version"] != "unknown"
        assert set(report) == {"host", "generated_at", "steadydb_version", "counts", "findings"}
