"""mysql_server_apply against a real throwaway MariaDB and an option tree of its own.

The tree mimics Debian's (a top file with ``!includedir conf.d``); ``defaults_file``
points the drop-in checks at it. The server itself runs with --no-defaults, so the
drop-in is checked and validated but never read by it: what the tests look at is the
module's one round trip (checks, drop-in, caps, SET GLOBAL, restart decision) and its
rollback of the drop-in when a step after the write fails.
"""
import os

import pytest

from conftest import MARIADBD, needs_mariadbd, run_module

pytestmark = needs_mariadbd

OLD_MTIME = 1700000000.25
PREVIOUS = b"# hand-kept header\n[mysqld]\nmax_connections = 222\nwait_timeout = 900\n"


@pytest.fixture
def tree(option_tree):
    return option_tree("bind-address = 127.0.0.1")


def run(server, tree, variables, **kw):
    _, top, confd = tree
    args = dict(server.login, path=str(confd / "99-steadydb.cnf"), defaults_file=top,
                server_binary=MARIADBD, variables=variables, header="Managed by steadydb")
    args.update(kw.pop("extra", {}))
    return run_module("mysql_server_apply", args, **kw)


def globals_of(server, *names):
    rows = server.query("SHOW GLOBAL VARIABLES")
    values = dict((name.lower(), value) for name, value in rows)
    return dict((name, values[name]) for name in names)


def previous_dropin(confd):
    path = confd / "99-steadydb.cnf"
    path.write_bytes(PREVIOUS)
    os.chmod(str(path), 0o640)
    os.utime(str(path), (OLD_MTIME, OLD_MTIME))
    return path


def test_failure_after_the_write_puts_the_previous_dropin_back(fresh_mariadb, tree):
    # slow_query_log_file in a directory that does not exist passes every check (type,
    # the server binary's validation) and is refused only by SET GLOBAL: after the
    # drop-in was written and after max_connections was set.
    _, top, confd = tree
    path = previous_dropin(confd)
    before = globals_of(fresh_mariadb, "max_connections")
    result, _ = run(fresh_mariadb, tree, {"max_connections": 444,
                                          "slow_query_log_file": "/nonexistent-dir-xyz/slow.log"})
    assert result.get("failed") is True, result
    assert "slow_query_log_file" in result["msg"]
    assert "was put back as it was" in result["msg"], result["msg"]
    assert path.read_bytes() == PREVIOUS
    assert path.stat().st_mtime == OLD_MTIME
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    assert sorted(os.listdir(str(confd))) == ["50-server.cnf", "99-steadydb.cnf"]
    assert globals_of(fresh_mariadb, "max_connections") == before
    assert result["dropin"]["rolled_back"] is True


def test_failure_after_the_write_removes_a_dropin_it_created(fresh_mariadb, tree):
    _, top, confd = tree
    result, _ = run(fresh_mariadb, tree, {"max_connections": 444,
                                          "slow_query_log_file": "/nonexistent-dir-xyz/slow.log"})
    assert result.get("failed") is True, result
    assert "was removed" in result["msg"], result["msg"]
    assert sorted(os.listdir(str(confd))) == ["50-server.cnf"]


@pytest.mark.parametrize("previous", [True, False], ids=["dropin-exists", "no-dropin"])
@pytest.mark.parametrize("check", [True, False], ids=["check", "real"])
def test_an_unknown_owner_is_refused_before_the_write_in_check_mode_too(fresh_mariadb, tree, check,
                                                                        previous):
    # The defect: nothing looked the owner up before the write. Ansible did, when it set
    # the attributes after the new content was in place, and failed the module there;
    # check mode, which sets no attributes on a file it would create, said "ok" when
    # there was no drop-in yet. (A failure of the attribute step itself still puts the
    # previous drop-in back: tests/unit/test_server_apply.py.)
    _, top, confd = tree
    path = previous_dropin(confd) if previous else confd / "99-steadydb.cnf"
    before = globals_of(fresh_mariadb, "max_connections")
    result, _ = run(fresh_mariadb, tree, {"max_connections": 444}, check=check,
                    extra={"owner": "steadydb-no-such-user"})
    assert result.get("failed") is True, result
    assert "no such user 'steadydb-no-such-user' on this host" in result["msg"], result["msg"]
    assert "nothing was changed" in result["msg"], result["msg"]
    if previous:
        assert path.read_bytes() == PREVIOUS and path.stat().st_mtime == OLD_MTIME
        assert sorted(os.listdir(str(confd))) == ["50-server.cnf", "99-steadydb.cnf"]
    else:
        assert sorted(os.listdir(str(confd))) == ["50-server.cnf"]
    assert globals_of(fresh_mariadb, "max_connections") == before


def test_clean_apply_then_rerun_is_unchanged(fresh_mariadb, tree):
    _, top, confd = tree
    fresh_mariadb.query("CREATE USER 'web'@'%' IDENTIFIED BY 'x'")
    caps = [{"user": "web", "host": "%", "max_user_connections": 13, "app": "web"}]
    wanted = {"max_connections": 321, "wait_timeout": 600, "back_log": 77}
    result, _ = run(fresh_mariadb, tree, wanted, diff=True, extra={"accounts": caps})
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    dropin = result["dropin"]
    assert dropin["changed"] is True and dropin["previous_mtime"] is None
    assert dropin["path"] == str(confd / "99-steadydb.cnf")
    assert sorted(c["option"] for c in dropin["changes"]) == ["back_log", "max_connections",
                                                             "wait_timeout"]
    assert (confd / "99-steadydb.cnf").read_text() == (
        "# Managed by steadydb\n[mysqld]\nmax_connections = 321\nwait_timeout = 600\n"
        "back_log = 77\n")
    assert sorted(result["live"]["applied"]) == ["max_connections", "wait_timeout"]
    assert result["caps"]["changes"] == [{"account": "web@%", "before": 0, "after": 13}]
    # back_log is static: pending, and the drop-in line changed in this run, so due.
    assert list(result["pending"]) == ["back_log"]
    assert result["restart_due"] is True
    assert globals_of(fresh_mariadb, "max_connections", "wait_timeout") == {
        "max_connections": "321", "wait_timeout": "600"}
    assert fresh_mariadb.query("SELECT max_user_connections FROM mysql.user WHERE User='web'") \
        == ((13,),)
    assert "backup_file" not in dropin and sorted(os.listdir(str(confd))) == [
        "50-server.cnf", "99-steadydb.cnf"]
    headers = [d.get("before_header") for d in result["diff"]]
    assert "server variables" in headers and "per-account caps" in headers

    again, _ = run(fresh_mariadb, tree, wanted, extra={"accounts": caps})
    assert not again.get("failed"), again.get("msg")
    assert again["changed"] is False
    assert again["dropin"]["changes"] == [] and again["live"]["applied"] == []
    assert again["caps"]["changes"] == []
    assert list(again["pending"]) == ["back_log"]


def test_check_mode_predicts_a_refused_value_and_leaves_the_dropin(fresh_mariadb, tree):
    _, top, confd = tree
    path = previous_dropin(confd)
    result, _ = run(fresh_mariadb, tree, {"max_connections": 999999, "wait_timeout": 100},
                    check=True)
    assert result.get("failed") is True, result
    assert "max_connections = 999999 is outside the range the server accepts" in result["msg"]
    assert path.read_bytes() == PREVIOUS and path.stat().st_mtime == OLD_MTIME
    assert globals_of(fresh_mariadb, "wait_timeout") == {"wait_timeout": "28800"}


def test_check_mode_reports_what_would_change(fresh_mariadb, tree):
    _, top, confd = tree
    path = previous_dropin(confd)
    result, _ = run(fresh_mariadb, tree, {"max_connections": 333, "wait_timeout": 900},
                    check=True, diff=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert result["dropin"]["changes"] == [{"option": "max_connections", "before": "222",
                                            "after": "333"}]
    assert sorted(result["live"]["applied"]) == ["max_connections", "wait_timeout"]
    assert path.read_bytes() == PREVIOUS and path.stat().st_mtime == OLD_MTIME
    assert globals_of(fresh_mariadb, "max_connections")["max_connections"] != "333"


def test_missing_account_with_on_missing_fail_fails_before_the_write(fresh_mariadb, tree):
    _, top, confd = tree
    caps = [{"user": "ghost", "host": "%", "max_user_connections": 5}]
    result, _ = run(fresh_mariadb, tree, {"max_connections": 345},
                    extra={"accounts": caps, "on_missing_account": "fail"})
    assert result.get("failed") is True, result
    assert "ghost@%" in result["msg"]
    assert sorted(os.listdir(str(confd))) == ["50-server.cnf"]
    assert globals_of(fresh_mariadb, "max_connections")["max_connections"] != "345"
