"""Issue 12 item 1: waits that never end.

A module must fail within its bound, saying what it waited for and which module option
raises the bound, against a peer that accepts TCP and never answers, a server that hangs
after the login, and a server where a backup holds a lock.
"""
import time

import pytest

from conftest import run_module
from hostile_peers import Peer

pytestmark = pytest.mark.hostile

# Start-up of the ansible CLI on a loaded test machine, on top of the bound under test.
ANSIBLE_OVERHEAD = 20


def timed_module(module, args, bound):
    """run_module with the whole run bounded: a hang fails the test (TimeoutExpired)."""
    started = time.monotonic()
    result, out = run_module(module, args, timeout=bound + ANSIBLE_OVERHEAD + 30)
    return result, out, time.monotonic() - started


def test_peer_that_accepts_and_never_writes_fails_within_connect_timeout():
    # Before the fix: PyMySQL read the handshake with no timeout and mysql_facts hung
    # until the test's subprocess timeout killed it.
    with Peer("silent") as peer:
        result, _out, elapsed = timed_module("mysql_facts", {
            "login_host": "127.0.0.1", "login_port": peer.port, "login_user": "root",
            "login_password": "", "config_file": "", "connect_timeout": 3}, bound=3)
        assert peer.accepted >= 1
    assert result.get("failed") is True, result
    msg = result["msg"]
    assert "127.0.0.1:%d" % peer.port in msg
    assert "accepted the TCP connection but sent no MySQL handshake within 3 s" in msg
    assert "connect_timeout" in msg
    assert elapsed < 3 + ANSIBLE_OVERHEAD


def test_server_that_hangs_after_login_fails_within_query_timeout():
    # The login works, then the server never answers SHOW GLOBAL VARIABLES: only the
    # client's read timeout can end this wait.
    with Peer("mysql_then_silent") as peer:
        result, _out, elapsed = timed_module("mysql_facts", {
            "login_host": "127.0.0.1", "login_port": peer.port, "login_user": "root",
            "login_password": "", "config_file": "", "connect_timeout": 3,
            "query_timeout": 2}, bound=2 + 5)
        assert any(q.upper().startswith("SHOW GLOBAL VARIABLES") for q in peer.queries), peer.queries
    assert result.get("failed") is True, result
    msg = result["msg"]
    assert "no answer" in msg.lower() and "SHOW GLOBAL VARIABLES" in msg
    assert "query_timeout" in msg
    assert elapsed < 2 + 5 + ANSIBLE_OVERHEAD


def _create_worker(server):
    server.query("CREATE USER IF NOT EXISTS 'worker'@'%' IDENTIFIED BY 'worker-pw'")


def _limit(server):
    return int(server.query("SELECT max_user_connections FROM mysql.user "
                            "WHERE User = 'worker' AND Host = '%'")[0][0])


def _user_limits(server, limit, **bounds):
    args = dict(server.login, accounts=[{"user": "worker", "host": "%",
                                         "max_user_connections": limit}])
    args.update(bounds)
    return args


def test_alter_user_under_flush_tables_with_read_lock_fails_within_query_timeout(fresh_mariadb):
    # A backup (mariadb-dump --lock-all-tables, mariabackup without backup locks) holds
    # FLUSH TABLES WITH READ LOCK: ALTER USER waits in "Waiting for backup lock", and on
    # MariaDB lock_wait_timeout does not end that wait; the statement limit does.
    _create_worker(fresh_mariadb)
    holder = fresh_mariadb.connect()
    try:
        holder.cursor().execute("FLUSH TABLES WITH READ LOCK")
        result, _out, elapsed = timed_module(
            "mysql_user_limits", _user_limits(fresh_mariadb, 7, query_timeout=3), bound=3)
    finally:
        holder.close()  # releases the lock
    assert result.get("failed") is True, result
    msg = result["msg"]
    assert "worker@%" in msg
    assert "3 s" in msg and "query_timeout" in msg
    assert "FLUSH TABLES WITH READ LOCK" in msg and "backup lock" in msg
    assert elapsed < 3 + ANSIBLE_OVERHEAD
    # The server stopped the statement: nothing applies once the backup lets go.
    time.sleep(0.5)
    assert _limit(fresh_mariadb) == 0


def test_alter_user_under_backup_stage_fails_within_lock_wait_timeout(fresh_mariadb):
    # mariabackup's BACKUP STAGE BLOCK_COMMIT: this wait obeys lock_wait_timeout.
    _create_worker(fresh_mariadb)
    holder = fresh_mariadb.connect()
    try:
        cursor = holder.cursor()
        cursor.execute("BACKUP STAGE START")
        cursor.execute("BACKUP STAGE BLOCK_COMMIT")
        result, _out, elapsed = timed_module(
            "mysql_user_limits", _user_limits(fresh_mariadb, 7, lock_wait_timeout=2),
            bound=2)
    finally:
        holder.close()  # ends the backup stages
    assert result.get("failed") is True, result
    msg = result["msg"]
    assert "worker@%" in msg
    assert "waited 2 s for a lock" in msg and "lock_wait_timeout" in msg
    assert "BACKUP STAGE" in msg
    assert elapsed < 2 + ANSIBLE_OVERHEAD
    # MariaDB applied the ALTER USER before it waited for BLOCK_COMMIT (the error says the
    # change may have taken effect): a rerun after the backup agrees with the server.
    assert _limit(fresh_mariadb) == 7
    again, _out, _elapsed = timed_module(
        "mysql_user_limits", _user_limits(fresh_mariadb, 7, lock_wait_timeout=2), bound=2)
    assert not again.get("failed"), again.get("msg")
    assert again["changed"] is False


def test_defaults_bound_every_session(fresh_mariadb):
    # No bound given: the module's session still gets finite limits (the defaults), as
    # the server's general log shows.
    _create_worker(fresh_mariadb)
    fresh_mariadb.query("SET GLOBAL log_output = 'TABLE'")
    fresh_mariadb.query("SET GLOBAL general_log = ON")
    result, _out, _elapsed = timed_module("mysql_user_limits",
                                          _user_limits(fresh_mariadb, 9), bound=30)
    fresh_mariadb.query("SET GLOBAL general_log = OFF")
    assert not result.get("failed"), result.get("msg")
    assert _limit(fresh_mariadb) == 9
    statements = [str(row[0], "utf-8") if isinstance(row[0], bytes) else row[0]
                  for row in fresh_mariadb.query(
                      "SELECT argument FROM mysql.general_log WHERE argument LIKE 'SET SESSION%'")]
    assert any("lock_wait_timeout = 20" in s and "max_statement_time = 30" in s
               for s in statements), statements
