"""Login resolution and error sentences of module_utils/steadydb/connection.py."""
import socket
import ssl

import pymysql
import pytest

from ansible.module_utils.steadydb import connection
from ansible.module_utils.steadydb.connection import (
    ConfigFileError,
    bounds_problem,
    error_message,
    login_argument_spec,
    missing_pymysql_message,
    read_client_options,
    resolve_target,
    session_bounds_sql,
)

SECRET = "Sup3r-Secret-pw"


def params(**overrides):
    """Module params as AnsibleModule would fill them from login_argument_spec()."""
    values = dict((name, spec.get("default")) for name, spec in login_argument_spec().items())
    values["config_file"] = ""
    values.update(overrides)
    return values


def no_socket():
    return None


def tcp_target(**overrides):
    values = dict(login_host="127.0.0.1", login_port=3307, login_user="web", login_password=SECRET)
    values.update(overrides)
    return resolve_target(params(**values), default_socket=no_socket)


def op_error(code, text):
    return pymysql.err.OperationalError(code, text)


def assert_one_sentence(msg):
    assert msg.endswith(".")
    assert "\n" not in msg
    assert "Traceback" not in msg


# --- login_argument_spec ---------------------------------------------------------------

def test_argument_spec_names_and_defaults():
    spec = login_argument_spec()
    assert set(spec) == {"login_user", "login_password", "login_host", "login_port",
                         "login_unix_socket", "config_file", "connect_timeout", "ca_cert",
                         "client_cert", "client_key", "check_hostname", "query_timeout",
                         "lock_wait_timeout"}
    assert spec["login_password"]["no_log"] is True
    assert spec["login_host"]["default"] == "localhost"
    assert spec["login_port"]["default"] == 3306
    assert spec["config_file"]["default"] == "~/.my.cnf"
    assert spec["connect_timeout"]["default"] == 10
    assert spec["query_timeout"]["default"] == 30
    # below query_timeout, so a lock wait ends with its own error first
    assert spec["lock_wait_timeout"]["default"] == 20
    # a fresh dict each time: modules may add to it
    spec["login_user"]["default"] = "x"
    assert "default" not in login_argument_spec()["login_user"]


# --- resolve_target ----------------------------------------------------------------------

def test_tcp_target_kwargs():
    target = tcp_target()
    assert target.kwargs["host"] == "127.0.0.1" and target.kwargs["port"] == 3307
    assert "unix_socket" not in target.kwargs
    assert target.password_source == "login_password"
    assert SECRET not in repr(target)


def test_localhost_prefers_default_socket():
    target = resolve_target(params(), default_socket=lambda: "/run/mysqld/mysqld.sock")
    assert target.kwargs["unix_socket"] == "/run/mysqld/mysqld.sock"
    assert target.socket_origin == "default"
    assert "host" not in target.kwargs


def test_localhost_without_socket_falls_back_to_tcp():
    target = resolve_target(params(), default_socket=no_socket)
    assert target.kwargs["host"] == "localhost" and target.kwargs["port"] == 3306


def test_localhost_with_other_port_is_tcp():
    target = resolve_target(params(login_port=3307), default_socket=lambda: "/run/x.sock")
    assert target.kwargs["port"] == 3307 and "unix_socket" not in target.kwargs


def test_explicit_socket_wins_over_host():
    target = resolve_target(params(login_host="db1", login_unix_socket="/s.sock"),
                            default_socket=no_socket)
    assert target.kwargs["unix_socket"] == "/s.sock"
    assert target.socket_origin == "login_unix_socket"


def test_config_file_fills_gaps_task_options_win(tmp_path):
    cnf = tmp_path / "my.cnf"
    cnf.write_text("!includedir /etc/mysql/conf.d/\n[mysqld]\nport=1\n[client]\nuser=backup\n"
                   "password=\"from file\"\nsocket=/cnf.sock\nssl_ca=/ca.pem\n# comment\n")
    target = resolve_target(params(config_file=str(cnf)), default_socket=no_socket)
    assert target.user == "backup"
    assert target.password == "from file"
    assert target.password_source == "config_file"
    assert target.config_file == str(cnf)
    assert target.kwargs["unix_socket"] == "/cnf.sock"
    assert target.kwargs["ssl"] == {"ca": "/ca.pem"}

    target = resolve_target(params(config_file=str(cnf), login_user="web", login_password="",
                                   login_host="127.0.0.1"), default_socket=no_socket)
    assert target.user == "web"
    assert target.password == "" and target.password_source == "login_password"
    # the file's socket applies to localhost only, like the mysql client
    assert target.kwargs["host"] == "127.0.0.1"


def test_missing_config_file_is_ignored(tmp_path):
    target = resolve_target(params(config_file=str(tmp_path / "nope.cnf"), login_user="u"),
                            default_socket=no_socket)
    assert target.password_source is None and target.config_file is None
    assert "password" not in target.kwargs


def test_broken_config_file_raises(tmp_path):
    cnf = tmp_path / "bad.cnf"
    cnf.write_text("user=nosection\n")
    with pytest.raises(ConfigFileError):
        read_client_options(str(cnf))


def test_user_defaults_to_os_user():
    import getpass
    assert resolve_target(params(), default_socket=no_socket).user == getpass.getuser()


def test_tls_options():
    target = tcp_target(ca_cert="/ca", client_cert="/c", client_key="/k", check_hostname=False)
    assert target.kwargs["ssl"] == {"ca": "/ca", "cert": "/c", "key": "/k", "check_hostname": False}


# --- error_message ------------------------------------------------------------------------

def test_tcp_refused():
    msg = error_message(op_error(2003, "Can't connect to MySQL server on '127.0.0.1' "
                                       "([Errno 111] Connection refused)"), tcp_target())
    assert "127.0.0.1:3307" in msg and "Connection refused" in msg
    assert "systemctl status mariadb" in msg and "mysql" in msg
    assert_one_sentence(msg)


def test_socket_missing_names_the_socket():
    target = resolve_target(params(login_unix_socket="/nope/mysqld.sock"), default_socket=no_socket)
    msg = error_message(op_error(2003, "Can't connect to MySQL server on 'localhost' "
                                       "([Errno 2] No such file or directory)"), target)
    assert "unix socket /nope/mysqld.sock" in msg
    assert "No such file or directory" in msg
    assert "login_unix_socket" in msg
    assert "systemctl status mariadb" in msg
    assert "localhost:" not in msg
    assert "leave login_unix_socket unset" in msg
    assert_one_sentence(msg)


def test_localhost_tcp_fallback_says_no_socket_was_found():
    target = resolve_target(params(), default_socket=no_socket)
    msg = error_message(op_error(2003, "Can't connect to MySQL server on 'localhost' "
                                       "([Errno 111] Connection refused)"), target)
    assert "localhost:3306" in msg and "/run/mysqld/mysqld.sock" in msg
    assert_one_sentence(msg)


def test_default_socket_says_where_it_came_from():
    target = resolve_target(params(), default_socket=lambda: "/run/mysqld/mysqld.sock")
    msg = error_message(op_error(2002, "Can't connect (Connection refused)"), target)
    assert "default socket for login_host=localhost" in msg
    assert "127.0.0.1" in msg  # how to get TCP instead


def test_unknown_host():
    target = tcp_target(login_host="db.invalid")
    for error in (op_error(2003, "Can't connect to MySQL server on 'db.invalid' "
                                 "([Errno -2] Name or service not known)"),
                  socket.gaierror(-2, "Name or service not known")):
        msg = error_message(error, target)
        assert "Cannot resolve" in msg and "'db.invalid'" in msg and "login_host" in msg


def test_timeout_mentions_connect_timeout():
    msg = error_message(op_error(2003, "Can't connect to MySQL server on '10.0.0.1' (timed out)"),
                        tcp_target())
    assert "connect_timeout" in msg and "Timed out after 10s" in msg


def test_plain_socket_errors_are_mapped_too():
    msg = error_message(ConnectionRefusedError(111, "Connection refused"), tcp_target())
    assert "Cannot connect" in msg and "127.0.0.1:3307" in msg
    msg = error_message(socket.timeout("timed out"), tcp_target())
    assert "Timed out" in msg


@pytest.mark.parametrize("source, phrase", [
    ("login_password", "password given in login_password"),
    ("config_file", "password from config_file"),
    (None, "with no password"),
])
def test_access_denied_names_user_and_password_source(tmp_path, source, phrase):
    cnf = tmp_path / "my.cnf"
    cnf.write_text("[client]\npassword=%s\n" % SECRET)
    overrides = dict(login_user="web", login_host="127.0.0.1")
    if source == "login_password":
        overrides["login_password"] = SECRET
    elif source == "config_file":
        overrides["config_file"] = str(cnf)
    target = resolve_target(params(**overrides), default_socket=no_socket)
    assert target.password_source == source
    msg = error_message(op_error(1045, "Access denied for user 'web'@'127.0.0.1' "
                                       "(using password: YES)"), target)
    assert "'web'@'127.0.0.1'" in msg
    assert phrase in msg
    assert SECRET not in msg
    assert_one_sentence(msg)


def test_access_denied_root_hint_for_debian():
    target = resolve_target(params(login_user="root", login_host="127.0.0.1"), default_socket=no_socket)
    msg = error_message(op_error(1045, "Access denied for user 'root'@'localhost' "
                                       "(using password: NO)"), target)
    assert "unix socket" in msg


@pytest.mark.parametrize("code, text, variable", [
    (1040, "Too many connections", "max_connections"),
    (1203, "User web already has more than 'max_user_connections' active connections",
     "max_user_connections"),
    (1226, "User 'web' has exceeded the 'max_user_connections' resource (current value: 5)",
     "max_user_connections"),
])
def test_slots_exhausted(code, text, variable):
    msg = error_message(op_error(code, text), tcp_target())
    assert variable in msg
    assert_one_sentence(msg)


def test_1226_names_other_resource():
    msg = error_message(op_error(1226, "User 'web' has exceeded the 'max_questions' resource "
                                       "(current value: 10)"), tcp_target())
    assert "max_questions limit" in msg


@pytest.mark.parametrize("code, text", [
    (2006, "MySQL server has gone away"),
    (2013, "Lost connection to MySQL server during query"),
])
def test_gone_away(code, text):
    msg = error_message(op_error(code, text), tcp_target(), action="reading variables")
    assert "wait_timeout" in msg and "net_read_timeout" in msg
    assert "while reading variables" in msg
    assert_one_sentence(msg)


def test_host_blocked():
    msg = error_message(op_error(1129, "Host '10.0.0.5' is blocked because of many connection "
                                       "errors"), tcp_target())
    assert "FLUSH HOSTS" in msg and "max_connect_errors" in msg


def test_tls_error():
    msg = error_message(ssl.SSLError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
                        tcp_target())
    assert "ca_cert" in msg


def test_generic_error_keeps_code_and_text():
    msg = error_message(pymysql.err.ProgrammingError(1064, "You have an error in your SQL syntax"),
                        tcp_target(), action="reading status")
    assert "1064" in msg and "reading status" in msg and "SQL syntax" in msg


def test_unknown_exception():
    msg = error_message(RuntimeError("boom"), tcp_target())
    assert "RuntimeError" in msg and "boom" in msg
    assert_one_sentence(msg)


def test_password_is_redacted_even_if_an_error_echoes_it():
    msg = error_message(op_error(1064, "near '%s' at line 1" % SECRET), tcp_target())
    assert SECRET not in msg and "********" in msg


def test_config_file_error_sentence():
    msg = error_message(ConfigFileError("/x.cnf: File contains no section headers."),
                        tcp_target())
    assert "/x.cnf: File contains no section headers:" in msg and "config_file" in msg
    assert_one_sentence(msg)


def test_missing_pymysql_message():
    msg = missing_pymysql_message()
    assert "apt install python3-pymysql" in msg and "pip install PyMySQL" in msg
    assert_one_sentence(msg)


# --- connect() without PyMySQL -----------------------------------------------------------

class FakeModule(object):
    """Just enough of AnsibleModule for connect()'s failure paths."""

    class Failed(Exception):
        pass

    def __init__(self, **module_params):
        self.params = params(**module_params)
        self.no_log_values = set()

    def fail_json(self, **kwargs):
        raise self.Failed(kwargs)


def test_connect_without_pymysql(monkeypatch):
    monkeypatch.setattr(connection, "HAS_PYMYSQL", False)
    module = FakeModule()
    with pytest.raises(FakeModule.Failed) as failed:
        connection.connect(module)
    assert failed.value.args[0]["msg"] == missing_pymysql_message()


def test_connect_registers_config_file_password_as_secret(tmp_path, monkeypatch):
    cnf = tmp_path / "my.cnf"
    cnf.write_text("[client]\npassword=%s\n" % SECRET)
    monkeypatch.setattr(connection, "_default_socket", no_socket)

    def refuse(**kwargs):
        raise op_error(2003, "Can't connect to MySQL server on '127.0.0.1' "
                             "([Errno 111] Connection refused)")
    monkeypatch.setattr(connection.pymysql, "connect", refuse)
    module = FakeModule(config_file=str(cnf), login_host="127.0.0.1", login_port=1)
    with pytest.raises(FakeModule.Failed) as failed:
        connection.connect(module)
    assert SECRET in module.no_log_values
    assert "127.0.0.1:1" in failed.value.args[0]["msg"]


# --- bounds: no wait without an end (issue 12 item 1) -------------------------------------

def test_handshake_and_login_are_read_with_connect_timeout():
    # PyMySQL reads the handshake with read_timeout; unset, it waits forever on a peer
    # that accepts TCP and never writes.
    target = tcp_target(connect_timeout=3)
    assert target.kwargs["connect_timeout"] == 3
    assert target.kwargs["read_timeout"] == 3 and target.kwargs["write_timeout"] == 3
    assert target.query_timeout == 30 and target.lock_wait_timeout == 20
    assert target.read_timeout == 35  # the client waits past the server's own limit


@pytest.mark.parametrize("name, value", [("connect_timeout", 0), ("query_timeout", -1),
                                         ("lock_wait_timeout", 0),
                                         ("query_timeout", 31536001)])
def test_unbounded_or_absurd_timeouts_are_refused(name, value):
    msg = bounds_problem(params(**{name: value}))
    assert "%s=%s" % (name, value) in msg and "no 'wait forever'" in msg
    assert bounds_problem(params()) is None


@pytest.mark.parametrize("version, statement_limit", [
    ("10.11.6-MariaDB-0+deb12u1", ("max_statement_time", 30)),
    ("5.5.5-10.4.32-MariaDB", ("max_statement_time", 30)),
    ("11.8.2-MariaDB-1 from Debian", ("max_statement_time", 30)),
    ("8.0.36-0ubuntu0.22.04.1", ("max_execution_time", 30000)),  # milliseconds
    ("5.7.44-log", ("max_execution_time", 30000)),
    ("5.6.51", None),
    ("10.0.38-MariaDB", None),
])
def test_session_bounds_per_flavor(version, statement_limit):
    sql, args = session_bounds_sql(version, 30, 20)
    assert sql.startswith("SET SESSION lock_wait_timeout = %s, innodb_lock_wait_timeout = %s")
    assert args[:2] == [20, 20]
    if statement_limit is None:
        assert len(args) == 2 and "max_" not in sql
    else:
        assert sql.endswith(", %s = %%s" % statement_limit[0])
        assert args[2] == statement_limit[1]


LOST_TIMED_OUT = "Lost connection to MySQL server during query (timed out)"


def test_peer_that_never_sends_a_handshake():
    msg = error_message(op_error(2013, LOST_TIMED_OUT), tcp_target(connect_timeout=3),
                        action="connecting")
    assert ("127.0.0.1:3307 accepted the TCP connection but sent no MySQL handshake within 3 s"
            in msg)
    assert "connect_timeout" in msg and "33060" in msg
    assert_one_sentence(msg)


def test_login_that_never_finishes():
    msg = error_message(op_error(2013, LOST_TIMED_OUT), tcp_target(connect_timeout=4),
                        action="logging in")
    assert "sent its handshake but did not finish the login of user 'web' within 4 s" in msg
    assert "connect_timeout" in msg
    assert_one_sentence(msg)


def test_query_without_answer_names_the_action_and_query_timeout():
    msg = error_message(op_error(2013, LOST_TIMED_OUT), tcp_target(query_timeout=10),
                        action="reading SHOW GLOBAL VARIABLES")
    assert "No answer" in msg and "within 15 s while reading SHOW GLOBAL VARIABLES" in msg
    assert "query_timeout" in msg and "may still be running" in msg
    assert_one_sentence(msg)


def test_lock_wait_timeout_names_the_lock_and_the_option():
    msg = error_message(op_error(1205, "Lock wait timeout exceeded; try restarting transaction"),
                        tcp_target(lock_wait_timeout=7), action="altering worker@%")
    assert "gave up altering worker@% after it waited 7 s for a lock" in msg
    assert "FLUSH TABLES WITH READ LOCK" in msg and "BACKUP STAGE" in msg
    assert "lock_wait_timeout" in msg and "rerun the task" in msg
    assert_one_sentence(msg)


def test_statement_limit_names_the_backup_lock_and_query_timeout():
    msg = error_message(op_error(1969, "Query execution was interrupted (max_statement_time "
                                       "exceeded)"), tcp_target(query_timeout=3),
                        action="altering worker@%")
    assert "stopped altering worker@% after 3 s" in msg
    assert "query_timeout" in msg and "max_statement_time" in msg
    assert "Waiting for backup lock" in msg and "FLUSH TABLES WITH READ LOCK" in msg
    assert_one_sentence(msg)
    msg = error_message(op_error(3024, "Query execution was interrupted, maximum statement "
                                       "execution time exceeded"), tcp_target(),
                        action="reading mysql.user")
    assert "max_execution_time" in msg and "SELECT" in msg and "query_timeout" in msg


# --- a service on the port that is not MySQL (issue 12 item 15) ----------------------------

@pytest.mark.parametrize("error", [
    pymysql.err.InternalError("Packet sequence number wrong - got 45 expected 0"),
    IndexError("index out of range"),
    UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
])
def test_non_mysql_service_on_the_port(error):
    for action in ("connecting", "logging in"):
        msg = error_message(error, tcp_target(), action=action)
        assert "127.0.0.1:3307 does not speak the MySQL protocol" in msg
        assert "login_port" in msg
        assert_one_sentence(msg)


def test_sequence_error_after_login_is_not_called_a_foreign_service():
    msg = error_message(pymysql.err.InternalError("Packet sequence number wrong - got 3 "
                                                  "expected 1"), tcp_target(),
                        action="reading status")
    assert "does not speak" not in msg and "reading status" in msg


# --- connect(): bounds applied to the session ---------------------------------------------

class FakeCursor(object):
    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql, args=None):
        if self.conn.fail_on_set:
            raise self.conn.fail_on_set
        self.conn.executed.append((sql, args))


class FakeConnection(object):
    """Records what connect() does with a PyMySQL connection, no network."""

    def __init__(self, version="10.11.6-MariaDB", fail_on_connect=None, handshake=True,
                 fail_on_set=None, **kwargs):
        self.kwargs = kwargs
        self.version = version
        self.fail_on_connect = fail_on_connect
        self.handshake = handshake
        self.fail_on_set = fail_on_set
        self.executed = []
        self.closed = False

    def connect(self):
        if self.handshake:
            self.server_version = self.version
        if self.fail_on_connect:
            raise self.fail_on_connect

    def get_server_info(self):
        return self.version

    def cursor(self):
        return FakeCursor(self)

    def close(self):
        self.closed = True


def fake_pymysql(monkeypatch, **behaviour):
    made = []

    def connect(**kwargs):
        conn = FakeConnection(**dict(behaviour, **kwargs))
        made.append(conn)
        return conn
    monkeypatch.setattr(connection.pymysql, "connect", connect)
    return made


def test_connect_bounds_the_session(monkeypatch):
    made = fake_pymysql(monkeypatch)
    module = FakeModule(login_host="127.0.0.1", connect_timeout=3, query_timeout=12,
                        lock_wait_timeout=6)
    conn = connection.connect(module)
    assert conn is made[0]
    assert conn.kwargs["defer_connect"] is True
    assert conn.kwargs["read_timeout"] == 3 and conn.kwargs["write_timeout"] == 3
    assert conn._read_timeout == 17 and conn._write_timeout == 17
    assert conn.executed == [("SET SESSION lock_wait_timeout = %s, innodb_lock_wait_timeout = "
                              "%s, max_statement_time = %s", [6, 6, 12])]


def test_connect_refuses_unbounded_timeouts(monkeypatch):
    made = fake_pymysql(monkeypatch)
    module = FakeModule(query_timeout=0)
    with pytest.raises(FakeModule.Failed) as failed:
        connection.connect(module)
    assert "query_timeout=0" in failed.value.args[0]["msg"] and not made


@pytest.mark.parametrize("handshake, phrase", [
    (False, "sent no MySQL handshake within 3 s"),
    (True, "did not finish the login of user 'web' within 3 s"),
])
def test_connect_tells_handshake_from_login(monkeypatch, handshake, phrase):
    fake_pymysql(monkeypatch, handshake=handshake,
                 fail_on_connect=op_error(2013, LOST_TIMED_OUT))
    module = FakeModule(login_host="127.0.0.1", login_user="web", connect_timeout=3)
    with pytest.raises(FakeModule.Failed) as failed:
        connection.connect(module)
    assert phrase in failed.value.args[0]["msg"]


def test_connect_fails_when_the_session_cannot_be_bounded(monkeypatch):
    made = fake_pymysql(monkeypatch, fail_on_set=op_error(1193, "Unknown system variable "
                                                                "'max_statement_time'"))
    module = FakeModule(login_host="127.0.0.1")
    with pytest.raises(FakeModule.Failed) as failed:
        connection.connect(module)
    msg = failed.value.args[0]["msg"]
    assert "setting the session's time limits (lock_wait_timeout, innodb_lock_wait_timeout, " \
           "max_statement_time)" in msg and "1193" in msg
    assert made[0].closed
