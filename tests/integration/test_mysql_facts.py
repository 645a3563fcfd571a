"""mysql_facts against a real MariaDB, run through the ansible CLI.

Every fact is checked against the server read independently with PyMySQL.
"""
import os
import re

import pytest

from ansible.module_utils.steadydb.units import normalize_variables

from conftest import run_module

WRONG_PASSWORD = "Wr0ng-Passw0rd-7f3a9c"


def independent_variables(server):
    return normalize_variables(server.query("SHOW GLOBAL VARIABLES"))


def independent_status(server):
    return dict((name, int(value)) for name, value in server.query("SHOW GLOBAL STATUS")
                if re.match(r"^-?\d+$", value or ""))


def facts_of(result):
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False
    return result["ansible_facts"]["mysql"]


@pytest.fixture(scope="module")
def gathered(mariadb):
    """One module run, bracketed by independent reads of the status counters."""
    before = independent_status(mariadb)
    result, _ = run_module("mysql_facts", mariadb.login)
    after = independent_status(mariadb)
    return facts_of(result), before, after


def test_flavor_and_version(mariadb, gathered):
    facts = gathered[0]
    (full,), = mariadb.query("SELECT VERSION()")
    assert facts["flavor"] == "mariadb"
    assert facts["version"]["full"] == full
    assert full.startswith(facts["version"]["string"])
    assert facts["version"]["tuple"] == [int(n) for n in facts["version"]["string"].split(".")]
    assert len(facts["version"]["tuple"]) == 3


def test_variables_match_show_global_variables(mariadb, gathered):
    facts = gathered[0]
    expected = independent_variables(mariadb)
    assert set(facts["variables"]) == set(expected)
    differing = dict((name, (facts["variables"][name], value)) for name, value in expected.items()
                     if facts["variables"][name] != value
                     or type(facts["variables"][name]) is not type(value))
    assert differing == {}


def test_variables_are_typed(mariadb, gathered):
    variables = gathered[0]["variables"]
    assert variables["max_connections"] == int(mariadb.query(
        "SELECT @@GLOBAL.max_connections")[0][0])
    assert variables["port"] == mariadb.port
    assert variables["autocommit"] is True
    assert variables["skip_name_resolve"] is True  # the fixture starts with --skip-name-resolve
    assert variables["innodb_buffer_pool_size"] == 32 * 1024 * 1024
    assert isinstance(variables["sql_mode"], str)
    assert isinstance(variables["long_query_time"], str)
    assert all(isinstance(v, (int, bool, str)) for v in variables.values())


def test_status_counters(gathered):
    facts, before, after = gathered
    status = facts["status"]
    contract = ("Uptime", "Threads_connected", "Max_used_connections", "Aborted_clients",
                "Aborted_connects", "Connection_errors_max_connections", "Open_files",
                "Threads_created", "Connections")
    assert set(contract) <= set(status)
    assert all(type(v) is int for v in status.values())
    # Counters only grow: the module's reading lies between the two independent ones.
    for name in ("Uptime", "Connections", "Threads_created", "Aborted_clients",
                 "Aborted_connects", "Connection_errors_max_connections", "Opened_tables"):
        assert before[name] <= status[name] <= after[name], name
    assert status["Max_used_connections"] >= 1
    assert status["Threads_connected"] >= 1  # the module's own connection
    # Our reads and the module's are the only clients: the module made exactly one.
    assert status["Connections"] == before["Connections"] + 1
    assert status["Connection_errors_max_connections"] == 0


def test_host_memory_from_proc_meminfo(gathered):
    host = gathered[0]["host"]
    with open("/proc/meminfo") as handle:
        meminfo = dict((line.split(":")[0], int(line.split()[1]) * 1024) for line in handle)
    assert host["mem_total_bytes"] == meminfo["MemTotal"]
    assert host["swap_total_bytes"] == meminfo["SwapTotal"]
    assert 0 < host["mem_available_bytes"] <= host["mem_total_bytes"]
    assert 0 <= host["swap_free_bytes"] <= host["swap_total_bytes"]


def test_unit_is_null_without_systemd(gathered):
    # These throwaway servers run outside systemd (and this box may have no systemd):
    # no unit is reported rather than some other unit on the machine. The detection
    # itself is unit tested (tests/unit/test_systemd.py) and run by Molecule.
    if os.path.isdir("/run/systemd/system"):
        pytest.skip("systemd runs here: a packaged server's unit could be found")
    assert gathered[0]["unit"] is None


def test_unit_detection_can_be_switched_off(mariadb):
    facts = facts_of(run_module("mysql_facts", dict(mariadb.login, unit_candidates=[]))[0])
    assert facts["unit"] is None


def test_no_accounts_asked(gathered):
    assert gathered[0]["accounts"] == {}


def test_check_mode_reads_the_same(mariadb):
    facts = facts_of(run_module("mysql_facts", mariadb.login, check=True)[0])
    assert facts["variables"]["max_connections"] == independent_variables(mariadb)["max_connections"]


def test_unix_socket_login(mariadb):
    args = dict(mariadb.login, login_unix_socket=mariadb.socket)
    facts = facts_of(run_module("mysql_facts", args)[0])
    assert facts["variables"]["socket"] == mariadb.socket


def test_socket_from_config_file_for_localhost(mariadb, tmp_path):
    """login_host=localhost + default port: the [client] socket is used, like the mysql client."""
    cnf = tmp_path / "client.cnf"
    cnf.write_text("[client]\nuser=root\nsocket=%s\n" % mariadb.socket)
    facts = facts_of(run_module("mysql_facts", {"config_file": str(cnf)})[0])
    assert facts["variables"]["port"] == mariadb.port  # reached the fixture's server


def test_config_file_socket_ignored_for_other_hosts(mariadb, tmp_path):
    cnf = tmp_path / "client.cnf"
    cnf.write_text("[client]\nuser=root\nsocket=%s\n" % (tmp_path / "absent.sock"))
    args = dict(login_host=mariadb.host, login_port=mariadb.port, config_file=str(cnf))
    facts_of(run_module("mysql_facts", args)[0])


def test_unix_socket_authentication(fresh_mariadb):
    """Debian's root: no password, authenticated by the socket's peer credentials."""
    import getpass
    os_user = getpass.getuser()
    fresh_mariadb.query("CREATE OR REPLACE USER %s@'localhost' IDENTIFIED VIA unix_socket",
                        os_user)
    fresh_mariadb.query("GRANT ALL ON *.* TO %s@'localhost'", os_user)
    args = {"login_unix_socket": fresh_mariadb.socket, "config_file": ""}
    facts_of(run_module("mysql_facts", args)[0])
    (plugin,), = fresh_mariadb.query(
        "SELECT plugin FROM mysql.user WHERE User = %s AND Host = 'localhost'", os_user)
    assert plugin == "unix_socket"


def test_accounts(mariadb):
    mariadb.query("CREATE USER IF NOT EXISTS 'sdb_facts_web'@'%' WITH MAX_USER_CONNECTIONS 13")
    mariadb.query("CREATE USER IF NOT EXISTS 'sdb_facts_log'@'10.0.0.%'")
    try:
        args = dict(mariadb.login, accounts=["sdb_facts_web@%", "sdb_facts_log@10.0.0.%",
                                             "root@localhost", "nobody_here@%"])
        result, _ = run_module("mysql_facts", args)
        accounts = facts_of(result)["accounts"]
    finally:
        mariadb.query("DROP USER IF EXISTS 'sdb_facts_web'@'%', 'sdb_facts_log'@'10.0.0.%'")
    assert accounts["sdb_facts_web@%"] == {"user": "sdb_facts_web", "host": "%", "exists": True,
                                           "max_user_connections": 13}
    assert accounts["sdb_facts_log@10.0.0.%"]["max_user_connections"] == 0
    assert accounts["root@localhost"]["exists"] is True
    assert accounts["nobody_here@%"] == {"user": "nobody_here", "host": "%", "exists": False,
                                         "max_user_connections": None}
    assert any("'nobody_here'@'%'" in w and "exists=false" in w
               for w in result.get("warnings", []))


def test_missing_account_can_fail(mariadb):
    args = dict(mariadb.login, accounts=["nobody_here@%"], on_missing_account="fail")
    result, _ = run_module("mysql_facts", args)
    assert result["failed"] is True
    assert "'nobody_here'@'%'" in result["msg"] and "does not exist" in result["msg"]
    assert "Traceback" not in result["msg"]


def test_accounts_without_privilege_on_mysql_user(mariadb):
    mariadb.query("CREATE USER IF NOT EXISTS 'sdb_facts_mon'@'%' IDENTIFIED BY 'mon-pass'")
    try:
        args = dict(mariadb.login, login_user="sdb_facts_mon", login_password="mon-pass",
                    accounts=["root@localhost"])
        result, _ = run_module("mysql_facts", args)
        # Without accounts the same login reads everything else.
        facts_of(run_module("mysql_facts", dict(args, accounts=[]))[0])
    finally:
        mariadb.query("DROP USER IF EXISTS 'sdb_facts_mon'@'%'")
    assert result["failed"] is True
    assert "1142" in result["msg"] and "SELECT on mysql.user" in result["msg"]


def test_stopped_server(fresh_mariadb):
    fresh_mariadb.stop()
    result, _ = run_module("mysql_facts", dict(fresh_mariadb.login, connect_timeout=3))
    assert result["failed"] is True
    msg = result["msg"]
    assert msg.startswith("Cannot connect to the MySQL/MariaDB server at 127.0.0.1:%d"
                          % fresh_mariadb.port)
    assert "Connection refused" in msg
    assert "systemctl status mariadb" in msg
    assert "Traceback" not in msg and "\n" not in msg


def test_wrong_socket(mariadb, tmp_path):
    missing = str(tmp_path / "no-such-dir" / "mysqld.sock")
    result, _ = run_module("mysql_facts", dict(mariadb.login, login_unix_socket=missing))
    assert result["failed"] is True
    assert "unix socket %s" % missing in result["msg"]
    assert "No such file or directory" in result["msg"]
    assert "login_unix_socket" in result["msg"]


def test_wrong_password_never_shown(mariadb):
    result, out = run_module("mysql_facts", dict(mariadb.login, login_password=WRONG_PASSWORD),
                             verbosity=3)
    assert result["failed"] is True
    msg = result["msg"]
    assert "Access denied for MySQL user 'root'@'127.0.0.1'" in msg
    assert "password given in login_password" in msg
    assert WRONG_PASSWORD not in out
    assert "ESTABLISH LOCAL CONNECTION" in out  # really the -vvv output


def test_wrong_password_from_config_file_never_shown(mariadb, tmp_path):
    cnf = tmp_path / "client.cnf"
    cnf.write_text("[client]\nuser=root\npassword=%s\n" % WRONG_PASSWORD)
    args = dict(login_host=mariadb.host, login_port=mariadb.port, config_file=str(cnf))
    result, out = run_module("mysql_facts", args, verbosity=3)
    assert result["failed"] is True
    assert "password from config_file %s" % cnf in result["msg"]
    assert WRONG_PASSWORD not in out


def test_config_file_credentials_work(mariadb, tmp_path):
    cnf = tmp_path / "client.cnf"
    cnf.write_text("[client]\nuser=root\npassword=\n")
    args = dict(login_host=mariadb.host, login_port=mariadb.port, config_file=str(cnf))
    facts_of(run_module("mysql_facts", args)[0])


def test_missing_pymysql_is_one_clear_sentence(mariadb, tmp_path):
    """PyMySQL made unimportable for the module's Python (nothing is uninstalled).

    A package named ``pymysql`` that raises ImportError is put first on PYTHONPATH,
    which the module process inherits from the ansible CLI.
    """
    shadow = tmp_path / "shadow" / "pymysql"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named pymysql (test)')\n")
    result, _ = run_module("mysql_facts", mariadb.login,
                           extra_env={"PYTHONPATH": str(shadow.parent)})
    assert result["failed"] is True
    assert "apt install python3-pymysql" in result["msg"]
    assert "pip install PyMySQL" in result["msg"]


def test_too_many_connections(mariadb_factory):
    server = mariadb_factory("--max-connections=10").start()  # 10 is MariaDB's minimum
    server.query("CREATE USER 'sdb_facts_app'@'%' IDENTIFIED BY 'app-pass'")
    # Accounts with CONNECTION ADMIN (root) may exceed max_connections, so the module logs
    # in as a plain account while root holds every ordinary slot.
    held = [server.connect() for _ in range(10)]
    try:
        result, _ = run_module("mysql_facts", dict(server.login, login_user="sdb_facts_app",
                                                   login_password="app-pass", connect_timeout=3))
    finally:
        for conn in held:
            conn.close()
    assert result["failed"] is True
    assert "max_connections" in result["msg"]
    assert "Too many connections" in result["msg"]


def test_user_connection_limit(mariadb):
    mariadb.query("CREATE USER IF NOT EXISTS 'sdb_facts_lim'@'%' IDENTIFIED BY 'lim-pass' "
                  "WITH MAX_USER_CONNECTIONS 1")
    held = mariadb.connect(user="sdb_facts_lim", password="lim-pass")
    try:
        result, _ = run_module("mysql_facts", dict(mariadb.login, login_user="sdb_facts_lim",
                                                   login_password="lim-pass"))
    finally:
        held.close()
        mariadb.query("DROP USER IF EXISTS 'sdb_facts_lim'@'%'")
    assert result["failed"] is True
    assert "max_user_connections" in result["msg"]
    assert "sdb_facts_lim" in result["msg"]


@pytest.mark.skipif(not os.path.exists("/proc/meminfo"), reason="needs Linux /proc")
def test_facts_are_json_types_only(gathered):
    def walk(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and walk(v) for k, v in value.items())
        if isinstance(value, list):
            return all(walk(v) for v in value)
        return value is None or isinstance(value, (str, int, bool))
    assert walk(gathered[0])
