"""mysql_user_limits against a real MariaDB, run through the ansible CLI."""
from conftest import run_module


def limit(server, user, host):
    rows = server.query("SELECT max_user_connections FROM mysql.user WHERE User=%s AND Host=%s",
                        user, host)
    return int(rows[0][0]) if rows else None


def test_sets_limits_reports_missing_and_reruns_unchanged(fresh_mariadb):
    fresh_mariadb.query("CREATE USER 'web'@'%' IDENTIFIED BY 'x-Pass-123'")
    accounts = [{"app": "web", "user": "web", "host": "%", "max_user_connections": 13},
                {"app": "jobs", "user": "jobs", "host": "%", "max_user_connections": 5}]
    args = dict(fresh_mariadb.login, accounts=accounts)
    checked, _ = run_module("mysql_user_limits", args, check=True, diff=True)
    assert checked["changed"] is True
    assert limit(fresh_mariadb, "web", "%") == 0
    result, _ = run_module("mysql_user_limits", args, diff=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert result["changes"] == [{"account": "web@%", "before": 0, "after": 13}]
    assert result["missing"] == ["jobs@%"]
    assert any("jobs@% does not exist" in w for w in result["warnings"])
    assert limit(fresh_mariadb, "web", "%") == 13
    assert limit(fresh_mariadb, "jobs", "%") is None  # never created
    again, _ = run_module("mysql_user_limits", args)
    assert again["changed"] is False


def test_missing_account_can_fail_before_any_change(fresh_mariadb):
    fresh_mariadb.query("CREATE USER 'web'@'%' IDENTIFIED BY 'x-Pass-123'")
    args = dict(fresh_mariadb.login, on_missing_account="fail",
                accounts=[{"user": "web", "max_user_connections": 13},
                          {"user": "nobody", "max_user_connections": 5}])
    result, _ = run_module("mysql_user_limits", args)
    assert result.get("failed") is True
    assert "nobody@% does not exist" in result["msg"]
    assert limit(fresh_mariadb, "web", "%") == 0
