"""mysql_option_file reads DATADIR/mysqld-auto.cnf (SET PERSIST) in its override check.

Oracle MySQL reads mysqld-auto.cnf after every option file, so a persisted value beats
the drop-in at each start; my_print_defaults does not show it. The host has MariaDB
(which neither writes nor reads the file): the option trees are real and read by the
host's real my_print_defaults, and ``server_binary`` is a stand-in that answers
``--version`` like Oracle's mysqld, because the flavor is what decides whether the file
counts. tests/integration/test_persisted_mysql.py runs the same against a real MySQL
9.7 in a container.
"""
import json
import os
import shutil

import pytest

from conftest import MARIADBD, run_module

pytestmark = pytest.mark.skipif(not shutil.which("my_print_defaults"),
                                reason="my_print_defaults is not installed (make deps installs it)")

META = {"Host": "localhost", "User": "root", "Timestamp": 1796101913137130}


def auto_cnf(datadir, **values):
    datadir.mkdir(exist_ok=True)
    data = {"Version": 2, "mysql_static_variables": {},
            "mysql_dynamic_variables": {},
            "mysql_dynamic_parse_early_variables": {}}
    for name, value in values.items():
        section = "mysql_dynamic_parse_early_variables" if name == "max_connections" \
            else "mysql_dynamic_variables"
        data[section][name] = {"Value": str(value), "Metadata": META}
    (datadir / "mysqld-auto.cnf").write_text(json.dumps(data))


@pytest.fixture
def fake_mysqld(tmp_path):
    path = tmp_path / "mysqld"
    path.write_text("#!/bin/sh\necho '/usr/sbin/mysqld  Ver 9.7.4-2 for Linux on x86_64 ((Debian))'\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def tree(option_tree, tmp_path):
    datadir = tmp_path / "data"
    # The datadir comes from the option files, as the server finds it.
    return tuple(option_tree("datadir = %s" % datadir)) + (datadir,)


def run(tree, binary, options, **kw):
    tmp, top, confd, datadir = tree
    args = dict(path=str(confd / "99-steadydb.cnf"), defaults_file=top, server_binary=binary,
                options=options, on_override="fail")
    args.update(kw.pop("extra", {}))
    return run_module("mysql_option_file", args, **kw)


def test_persisted_value_fails_naming_file_variable_and_reset(tree, fake_mysqld):
    tmp, top, confd, datadir = tree
    auto_cnf(datadir, max_connections=77, wait_timeout=600)
    path = confd / "99-steadydb.cnf"
    path.write_text("[mysqld]\nmax_connections = 200\n")
    result, _ = run(tree, fake_mysqld, {"max_connections": 300, "wait_timeout": 600})
    assert result.get("failed") is True, result
    auto = str(datadir / "mysqld-auto.cnf")
    assert "max_connections = 77 is persisted in %s" % auto in result["msg"]
    assert "RESET PERSIST max_connections" in result["msg"]
    assert "wait_timeout" not in result["msg"]  # persisted, but the same value
    assert path.read_text() == "[mysqld]\nmax_connections = 200\n"
    assert result["overrides"] == [{"option": "max_connections", "ours": "300", "effective": "77",
                                    "files": [auto], "persisted": True,
                                    "clear": "RESET PERSIST max_connections"}]
    assert result["persisted"] == {"max_connections": "77", "wait_timeout": "600"}
    assert result["persisted_file"] == auto
    assert result["effective"]["max_connections"] == "77"  # what the server will run with


def test_check_mode_says_what_the_next_start_does(tree, fake_mysqld):
    tmp, top, confd, datadir = tree
    auto_cnf(datadir, max_connections=77)
    result, _ = run(tree, fake_mysqld, {"max_connections": 300}, check=True,
                    extra={"on_override": "warn"})
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert not (confd / "99-steadydb.cnf").exists()
    warning = " ".join(result.get("warnings", []))
    assert "at its next start it will run with max_connections = 77, not 300" in warning
    assert "RESET PERSIST max_connections" in warning


def test_datadir_option_and_default_datadir(tree, fake_mysqld, tmp_path):
    tmp, top, confd, datadir = tree
    other = tmp_path / "other-data"
    auto_cnf(other, max_connections=77)
    # The option file's datadir has no mysqld-auto.cnf: nothing persisted.
    result, _ = run(tree, fake_mysqld, {"max_connections": 300})
    assert not result.get("failed"), result.get("msg")
    assert result["persisted"] == {}
    result, _ = run(tree, fake_mysqld, {"max_connections": 300}, extra={"datadir": str(other)})
    assert result.get("failed") is True
    assert str(other / "mysqld-auto.cnf") in result["msg"]


def test_persisted_globals_load_off_is_not_an_override(tree, fake_mysqld):
    tmp, top, confd, datadir = tree
    auto_cnf(datadir, max_connections=77)
    (confd / "60-local.cnf").write_text("[mysqld]\npersisted_globals_load = OFF\n")
    result, _ = run(tree, fake_mysqld, {"max_connections": 300})
    assert not result.get("failed"), result.get("msg")
    assert result["persisted_file"] is None


def test_will_persist_reports_but_does_not_fail(tree, fake_mysqld):
    # The role's SET PERSIST (mysql_global_variables persist=true) follows the drop-in
    # with the same values: the old persisted value is about to be replaced.
    tmp, top, confd, datadir = tree
    auto_cnf(datadir, max_connections=77)
    result, _ = run(tree, fake_mysqld, {"max_connections": 300}, extra={"will_persist": True})
    assert not result.get("failed"), result.get("msg")
    assert result["overrides"] == []
    assert result["persisted"] == {"max_connections": "77"}


def test_corrupt_file_fails(tree, fake_mysqld):
    tmp, top, confd, datadir = tree
    datadir.mkdir()
    (datadir / "mysqld-auto.cnf").write_text('{"Version": 2, "mysql_dynamic_var')
    result, _ = run(tree, fake_mysqld, {"max_connections": 300})
    assert result.get("failed") is True
    assert "mysqld-auto.cnf" in result["msg"] and "refuse to start" in result["msg"]


@pytest.mark.skipif(not os.path.exists(MARIADBD), reason="mariadb-server is not installed")
def test_mariadb_does_not_read_it(tree):
    tmp, top, confd, datadir = tree
    auto_cnf(datadir, max_connections=77)
    result, _ = run(tree, MARIADBD, {"max_connections": 300})
    assert not result.get("failed"), result.get("msg")
    assert result["persisted_file"] is None and result["persisted"] == {}


@pytest.mark.skipif(not os.path.exists("/etc/mysql/my.cnf"), reason="no Debian option tree")
def test_on_the_hosts_own_tree(tmp_path, fake_mysqld):
    # The host's real /etc/mysql tree (read only), ~/.my.cnf as the managed file, and a
    # fake datadir given with the datadir option.
    home = tmp_path / "home"
    home.mkdir()
    datadir = tmp_path / "data"
    auto_cnf(datadir, wait_timeout=33)
    args = dict(path=str(home / ".my.cnf"), server_binary=fake_mysqld, datadir=str(datadir),
                options={"wait_timeout": 77}, on_override="fail")
    result, _ = run_module("mysql_option_file", args, extra_env={"HOME": str(home)})
    assert result.get("failed") is True, result
    assert "wait_timeout = 33 is persisted in %s/mysqld-auto.cnf" % datadir in result["msg"]
    assert "RESET PERSIST wait_timeout" in result["msg"]
    assert not (home / ".my.cnf").exists()
