# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way for every steadydb module to log in to MySQL/MariaDB, and to explain failures.

Public API (stable, other modules import it):

- ``login_argument_spec()`` -> dict: the login options (documented once in the
  ``steadydb_login`` doc fragment), names compatible with community.mysql.
- ``connect(module, autocommit=True)`` -> PyMySQL connection, or ``module.fail_json``
  with one sentence from ``error_message`` and nothing else. The connection carries its
  ConnectionTarget as ``conn.steadydb_target`` for reporting later query errors. Every
  wait on it is bounded (see "Bounds" below).
- ``resolve_target(params)`` -> ConnectionTarget: where and as whom ``connect`` will log
  in, and where the password comes from (pure: reads the option file, no network).
- ``error_message(error, target, action="connecting")`` -> str: a PyMySQL (or socket/SSL)
  error as one sentence saying what is wrong and what to check. Never contains the
  password.
- ``fail_on_error(module, error, target, action)``: the same sentence via fail_json.
- ``missing_pymysql_message()`` -> str; ``HAS_PYMYSQL``, ``PYMYSQL_IMPORT_ERROR``.
- ``bounds_problem(params)`` -> str or None: why the timeout options are unusable.
- ``session_bounds_sql(server_version, query_timeout, lock_wait_timeout)`` -> (sql, args):
  the ``SET SESSION`` that bounds lock waits and statements for the server's flavor.

Bounds (issue: a module must never wait forever, on a hung peer or a held lock):

- ``connect_timeout``: the TCP connect, and then the MySQL handshake and the login (PyMySQL
  reads them with its read timeout, which ``connect`` keeps at connect_timeout until the
  login is done). A peer that accepts TCP and never greets fails after connect_timeout.
- ``query_timeout``: the server's own statement limit for the session (MariaDB
  ``max_statement_time``, every statement; MySQL ``max_execution_time``, read-only SELECT
  only), and, READ_GRACE seconds later, the client's read/write timeout, so the server's
  precise error arrives first and a hung server still cannot hold the module. After a
  client-side timeout the statement may still run on the server; after the server's
  limit it did not apply.
- ``lock_wait_timeout``: the session's ``lock_wait_timeout`` (metadata and backup locks)
  and ``innodb_lock_wait_timeout`` (row locks). MariaDB's wait of ALTER USER for the
  backup lock of FLUSH TABLES WITH READ LOCK ignores lock_wait_timeout; query_timeout
  ends that one.

Behaviour that differs from a bare ``pymysql.connect`` (and is documented in the
fragment):

- ``login_host: localhost`` with the default port and no socket given: the ``mysql``
  command-line client uses the server's unix socket for "localhost", PyMySQL and
  community.mysql use TCP to 127.0.0.1:3306. We follow the client: the socket from
  ``config_file`` ([client] socket=) if any, else the first of DEFAULT_SOCKETS that
  exists, else TCP. That is what makes Debian's ``root`` (authenticated by the unix
  socket) work with ``become: true`` and no password. Any other login_host, or a
  non-default login_port, always means TCP.
- ``config_file`` is read here, not by PyMySQL: its [client] ``user``, ``password``,
  ``socket``, ``ssl-ca``, ``ssl-cert``, ``ssl-key`` fill in what the task did not set.
  Task options win. A missing or unreadable file is ignored, like community.mysql.
  PyMySQL would also let a [client] ``socket=`` override any login_host; we apply it
  only to localhost, as the mysql client does.
"""

import configparser
import getpass
import os
import re
import socket
import ssl
import struct

try:
    import pymysql
except ImportError:  # pragma: no cover - depends on the target host
    pymysql = None
    HAS_PYMYSQL = False
    import traceback
    PYMYSQL_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_PYMYSQL = True
    PYMYSQL_IMPORT_ERROR = None

DEFAULT_PORT = 3306
DEFAULT_CONNECT_TIMEOUT = 10
# steadydb's statements are small metadata reads and changes: one that runs 30 s is
# waiting for something (a lock, a hung server), not working.
DEFAULT_QUERY_TIMEOUT = 30
# Below DEFAULT_QUERY_TIMEOUT, so a lock wait fails with its own, clearer error.
DEFAULT_LOCK_WAIT_TIMEOUT = 20
# The client waits this much longer than the server's statement limit, so the server's
# error (which says the statement was stopped, not applied) arrives before the client
# gives up on a statement that may still be running.
READ_GRACE = 5
# PyMySQL's own ceiling for connect_timeout; lock_wait_timeout has the same.
MAX_TIMEOUT = 31536000
# Where Debian/Ubuntu (both MariaDB and MySQL packages) and most RPM builds put the
# server socket. /var/run is a symlink to /run on current systems; both are listed for
# older ones.
DEFAULT_SOCKETS = (
    "/run/mysqld/mysqld.sock",
    "/var/run/mysqld/mysqld.sock",
    "/var/lib/mysql/mysql.sock",
    "/tmp/mysql.sock",
)

_SERVICE_HINT = "systemctl status mariadb, or systemctl status mysql"

# Client-side (CR_*) and server-side (ER_*) codes this module explains.
CR_CONNECTION_ERROR = 2002
CR_CONN_HOST_ERROR = 2003
CR_UNKNOWN_HOST = 2005
CR_SERVER_GONE_ERROR = 2006
CR_SERVER_LOST = 2013
ER_LOCK_WAIT_TIMEOUT = 1205
ER_STATEMENT_TIMEOUT = 1969  # MariaDB: max_statement_time exceeded
ER_QUERY_TIMEOUT = 3024  # MySQL: maximum statement execution time exceeded
ER_CON_COUNT_ERROR = 1040
ER_DBACCESS_DENIED_ERROR = 1044
ER_ACCESS_DENIED_ERROR = 1045
ER_HOST_IS_BLOCKED = 1129
ER_HOST_NOT_PRIVILEGED = 1130
ER_TOO_MANY_USER_CONNECTIONS = 1203
ER_USER_LIMIT_REACHED = 1226


def login_argument_spec():
    """Return the login options shared by every steadydb MySQL module (a fresh dict)."""
    return dict(
        login_user=dict(type="str"),
        login_password=dict(type="str", no_log=True),
        login_host=dict(type="str", default="localhost"),
        login_port=dict(type="int", default=DEFAULT_PORT),
        login_unix_socket=dict(type="path"),
        config_file=dict(type="path", default="~/.my.cnf"),
        connect_timeout=dict(type="int", default=DEFAULT_CONNECT_TIMEOUT),
        query_timeout=dict(type="int", default=DEFAULT_QUERY_TIMEOUT),
        lock_wait_timeout=dict(type="int", default=DEFAULT_LOCK_WAIT_TIMEOUT),
        ca_cert=dict(type="path", aliases=["ssl_ca"]),
        client_cert=dict(type="path", aliases=["ssl_cert"]),
        client_key=dict(type="path", aliases=["ssl_key"]),
        check_hostname=dict(type="bool"),
    )


def missing_pymysql_message():
    """The sentence for a target host whose Python cannot import PyMySQL."""
    return ("The PyMySQL library is not importable by the Python that runs this module on "
            "the target host: install it there (apt install python3-pymysql, or "
            "pip install PyMySQL) or point ansible_python_interpreter at a Python that has it.")


class ConfigFileError(Exception):
    """The option file exists and is readable but cannot be parsed."""


class ConnectionTarget(object):
    """Where ``connect`` logs in and as whom: what error messages need to name.

    ``password_source`` is ``"login_password"``, ``"config_file"`` or ``None`` (no
    password sent). The password itself is kept only in ``kwargs``, never in repr().
    """

    def __init__(self, host, port, unix_socket, user, password_source, config_file=None,
                 socket_origin=None, kwargs=None, query_timeout=DEFAULT_QUERY_TIMEOUT,
                 lock_wait_timeout=DEFAULT_LOCK_WAIT_TIMEOUT):
        self.host = host
        self.port = port
        self.unix_socket = unix_socket
        self.user = user
        self.password_source = password_source
        self.config_file = config_file
        # Why a socket is used: "login_unix_socket", "config_file" or "default".
        self.socket_origin = socket_origin
        self.kwargs = kwargs or {}
        self.query_timeout = query_timeout
        self.lock_wait_timeout = lock_wait_timeout

    @property
    def connect_timeout(self):
        return self.kwargs.get("connect_timeout", DEFAULT_CONNECT_TIMEOUT)

    @property
    def read_timeout(self):
        """The client's read/write timeout once logged in."""
        return self.query_timeout + READ_GRACE

    @property
    def password(self):
        return self.kwargs.get("password")

    def where(self):
        """``unix socket /run/mysqld/mysqld.sock`` or ``127.0.0.1:3306``."""
        if self.unix_socket:
            return "unix socket %s" % self.unix_socket
        return "%s:%s" % (self.host, self.port)

    def __repr__(self):
        return "ConnectionTarget(%s as %r, password from %s)" % (
            self.where(), self.user, self.password_source)


def read_client_options(path):
    """Return the [client] section of a MySQL option file as a dict ({} if unusable).

    Missing or unreadable files give {} (community.mysql ignores them too); a file that
    exists but does not parse raises ConfigFileError. Keys use dashes (``ssl_ca`` and
    ``ssl-ca`` are the same option to MySQL); surrounding quotes are removed.
    """
    if not path:
        return {}
    path = os.path.expanduser(path)
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        return {}
    parser = configparser.RawConfigParser(allow_no_value=True, strict=False,
                                          comment_prefixes=("#", ";"),
                                          inline_comment_prefixes=None,
                                          interpolation=None)
    parser.optionxform = lambda key: key.strip().lower().replace("_", "-")
    try:
        with open(path) as handle:
            # !include / !includedir lines are for the server and the C client; skip
            # them rather than mistaking them for options (PyMySQL ignores them too).
            text = "".join(line for line in handle if not line.lstrip().startswith("!"))
        parser.read_string(text, source=path)
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigFileError("%s: %s" % (path, str(exc).splitlines()[0]))
    if not parser.has_section("client"):
        return {}
    options = {}
    for key, value in parser.items("client"):
        if value is None:
            value = ""
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        options[key] = value
    return options


def _default_socket():
    for path in DEFAULT_SOCKETS:
        if os.path.exists(path):
            return path
    return None


def resolve_target(params, client_options=None, default_socket=_default_socket):
    """Turn module params into a ConnectionTarget carrying the ``pymysql.connect`` kwargs.

    ``client_options`` is the parsed [client] section (read from ``config_file`` when
    None); ``default_socket`` is a callable so tests can pin the filesystem lookup.
    Raises ConfigFileError when config_file cannot be parsed.
    """
    config_file = params.get("config_file") or None
    if client_options is None:
        client_options = read_client_options(config_file)
    if not client_options:
        config_file_used = None
    else:
        config_file_used = config_file

    host = params.get("login_host") or "localhost"
    port = params.get("login_port") or DEFAULT_PORT

    unix_socket, socket_origin = params.get("login_unix_socket"), None
    if unix_socket:
        socket_origin = "login_unix_socket"
    elif host == "localhost" and port == DEFAULT_PORT:
        if client_options.get("socket"):
            unix_socket, socket_origin = client_options["socket"], "config_file"
        else:
            unix_socket = default_socket()
            socket_origin = "default" if unix_socket else None

    user = params.get("login_user")
    if user is None:
        user = client_options.get("user") or None
    if not user:
        # What PyMySQL (and the mysql client) send when nobody names a user.
        try:
            user = getpass.getuser()
        except Exception:  # no passwd entry for the uid inside some containers
            user = "root"

    password, password_source = params.get("login_password"), None
    if password is not None:
        password_source = "login_password"
    elif "password" in client_options:
        password, password_source = client_options["password"], "config_file"

    connect_timeout = params.get("connect_timeout") or DEFAULT_CONNECT_TIMEOUT
    kwargs = dict(
        user=user,
        connect_timeout=connect_timeout,
        # PyMySQL reads the handshake and the login answers with read_timeout (unset, it
        # waits forever on a peer that accepts TCP and never writes): bound them by
        # connect_timeout; connect() raises them to query_timeout once logged in.
        read_timeout=connect_timeout,
        write_timeout=connect_timeout,
        autocommit=True,
        charset="utf8mb4",
    )
    if password is not None:
        kwargs["password"] = password
    if unix_socket:
        kwargs["unix_socket"] = unix_socket
    else:
        kwargs["host"] = host
        kwargs["port"] = port

    tls = {}
    ca = params.get("ca_cert") or client_options.get("ssl-ca")
    cert = params.get("client_cert") or client_options.get("ssl-cert")
    key = params.get("client_key") or client_options.get("ssl-key")
    if ca:
        tls["ca"] = ca
    if cert:
        tls["cert"] = cert
    if key:
        tls["key"] = key
    if params.get("check_hostname") is not None:
        tls["check_hostname"] = params["check_hostname"]
    if tls:
        kwargs["ssl"] = tls

    return ConnectionTarget(host=host, port=port, unix_socket=unix_socket, user=user,
                            password_source=password_source, config_file=config_file_used,
                            socket_origin=socket_origin, kwargs=kwargs,
                            query_timeout=params.get("query_timeout") or DEFAULT_QUERY_TIMEOUT,
                            lock_wait_timeout=(params.get("lock_wait_timeout")
                                               or DEFAULT_LOCK_WAIT_TIMEOUT))


def bounds_problem(params):
    """One sentence saying why the timeout options cannot be used, or None.

    Zero or negative would mean "wait forever" (or is refused by PyMySQL and the server
    with a less helpful message): every wait must be bounded.
    """
    problems = []
    for name in ("connect_timeout", "query_timeout", "lock_wait_timeout"):
        value = params.get(name)
        if value is None:
            continue
        if not 1 <= value <= MAX_TIMEOUT:
            problems.append("%s=%s" % (name, value))
    if problems:
        return ("%s: timeouts are whole seconds from 1 to %d (there is no 'wait forever'), "
                "nothing was done" % (", ".join(problems), MAX_TIMEOUT))
    return None


def server_flavor(server_version):
    """("mariadb" or "mysql", (major, minor, patch)) from the handshake's version string.

    MariaDB before 11 prefixes "5.5.5-" for old replication clients; it is skipped.
    """
    text = str(server_version or "")
    flavor = "mariadb" if "mariadb" in text.lower() else "mysql"
    if text.startswith("5.5.5-") and flavor == "mariadb":
        text = text[len("5.5.5-"):]
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", text)
    version = tuple(int(part) for part in match.groups()) if match else (0, 0, 0)
    return flavor, version


def session_bounds_sql(server_version, query_timeout, lock_wait_timeout):
    """``(sql, args)`` of the SET SESSION that bounds every wait of this session.

    lock_wait_timeout (metadata and backup locks, MySQL 5.5+/MariaDB 5.5+) and
    innodb_lock_wait_timeout (row locks) on both flavors; the statement limit where the
    flavor has one: MariaDB 10.1+ max_statement_time (seconds, every statement), MySQL
    5.7.8+ max_execution_time (milliseconds, read-only SELECT only).
    """
    flavor, version = server_flavor(server_version)
    names = ["lock_wait_timeout", "innodb_lock_wait_timeout"]
    args = [lock_wait_timeout, lock_wait_timeout]
    if flavor == "mariadb" and version >= (10, 1, 1):
        names.append("max_statement_time")
        args.append(query_timeout)
    elif flavor == "mysql" and version >= (5, 7, 8):
        names.append("max_execution_time")
        args.append(query_timeout * 1000)
    return "SET SESSION " + ", ".join("%s = %%s" % name for name in names), args


def _error_parts(error):
    """(code or None, text) from a PyMySQL error, an OSError or anything else."""
    # OSError also carries (errno, text) in args: check it first so errno 111 is not
    # taken for a MySQL error code.
    if isinstance(error, OSError):
        return None, error.strerror or str(error) or error.__class__.__name__
    args = getattr(error, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        return args[0], str(args[1])
    return None, str(error) or error.__class__.__name__


# What getaddrinfo says (PyMySQL wraps it in a 2003) when login_host does not resolve.
_NAME_RESOLUTION_RE = re.compile(
    r"Name or service not known|Temporary failure in name resolution|nodename nor servname",
    re.IGNORECASE)


def _redact(text, target):
    # Server messages never echo the password; this is the belt to that braces. Very
    # short passwords are skipped: replacing every "a" in a sentence hides nothing.
    password = target.password if target is not None else None
    if password and len(password) >= 3:
        text = text.replace(password, "********")
    return text


def _reason(text):
    """The OS reason PyMySQL puts in parentheses: "... on 'x' ([Errno 111] Connection refused)"."""
    match = re.search(r"\((?:\[Errno -?\d+\] )?([^()]*)\)\s*$", text)
    return match.group(1).strip() if match else text.strip()


# The two phases of ``connect``: before the server's handshake arrived, and after it.
CONNECTING = "connecting"
LOGGING_IN = "logging in"

# What PyMySQL raises when the first bytes of a peer are not a MySQL packet: an SSH
# "SSH-2.0-..." or HTTP "HTTP/1.1 ..." greeting read as a packet header has a sequence
# number other than 0; a greeting that gets past that breaks the handshake parser.
_PROTOCOL_GARBAGE = (struct.error, IndexError, UnicodeDecodeError)


def _timed_out(error, text):
    return isinstance(error, socket.timeout) or "timed out" in text.lower()


def _not_mysql(error, text, action):
    if action not in (CONNECTING, LOGGING_IN):
        return False
    return "Packet sequence number wrong" in text or isinstance(error, _PROTOCOL_GARBAGE)


def _password_phrase(target):
    if target.password_source == "login_password":
        return "with the password given in login_password"
    if target.password_source == "config_file":
        return "with the password from config_file %s" % target.config_file
    return "with no password (neither login_password nor a config_file password was set)"


def error_message(error, target, action="connecting"):
    """Return one sentence explaining ``error`` (raised while ``action``) for ``target``.

    Pure function: ``error`` is any exception (PyMySQL errors carry ``(code, text)``),
    ``target`` a ConnectionTarget. The password never appears in the result.
    """
    code, text = _error_parts(error)
    where = target.where()

    if _not_mysql(error, text, action):
        msg = ("The service at %s does not speak the MySQL protocol (what it sent first is not "
               "a MySQL/MariaDB handshake: %s): something else listens there (SSH, HTTP, a "
               "mail server, a TLS-only proxy), so check login_port and login_host; "
               "MySQL/MariaDB usually listens on 3306" % (where, text))
    elif code == CR_SERVER_LOST and action == CONNECTING and _timed_out(error, text):
        msg = ("The server at %s accepted the TCP connection but sent no MySQL handshake within "
               "%s s: a MySQL/MariaDB server greets at once, so this is a hung or overloaded "
               "server, a proxy without a backend, or a service that waits for the client to "
               "speak first (HTTP, the MySQL X Protocol port 33060); check login_host/login_port "
               "and the server, and raise connect_timeout only if it is just slow"
               % (where, target.connect_timeout))
    elif code == CR_SERVER_LOST and action == LOGGING_IN and _timed_out(error, text):
        msg = ("The MySQL/MariaDB server at %s sent its handshake but did not finish the login "
               "of user '%s' within %s s (a server resolving client host names with slow DNS, "
               "skip_name_resolve=OFF; an authentication plugin waiting on PAM or LDAP; an "
               "overloaded server): check the server, and raise connect_timeout only if it is "
               "just slow" % (where, target.user, target.connect_timeout))
    elif code in (CR_SERVER_LOST, CR_SERVER_GONE_ERROR) and _timed_out(error, text):
        msg = ("No answer from the MySQL/MariaDB server at %s within %s s while %s (query_timeout "
               "%s s, plus %s s for the server's own statement limit to report first): the "
               "client stopped waiting, but the statement may still be running on the server; "
               "look for it in SHOW PROCESSLIST (KILL it if needed), check the server's load "
               "and error log, and raise query_timeout only if it is just slow"
               % (where, target.read_timeout, action, target.query_timeout, READ_GRACE))
    elif code == ER_LOCK_WAIT_TIMEOUT:
        msg = ("The server at %s gave up %s after it waited %s s for a lock (error 1205, the "
               "session's lock_wait_timeout): another session holds a lock this statement "
               "needs, such as a backup in BACKUP STAGE or holding FLUSH TABLES WITH READ LOCK, "
               "a long ALTER TABLE or an open transaction (SHOW PROCESSLIST shows 'Waiting for "
               "backup lock' or 'Waiting for table metadata lock'); the change may have taken "
               "effect nevertheless (MariaDB applies ALTER USER before it waits for a backup's "
               "BACKUP STAGE BLOCK_COMMIT), so rerun the task after the backup to check, or "
               "raise the module option lock_wait_timeout to wait longer"
               % (where, action, target.lock_wait_timeout))
    elif code == ER_STATEMENT_TIMEOUT:
        msg = ("The server at %s stopped %s after %s s, the statement time limit (the module "
               "option query_timeout, set as the session's max_statement_time): steadydb's "
               "statements only take that long when they wait, most likely for a lock; on "
               "MariaDB, ALTER USER and other changes wait in 'Waiting for backup lock' "
               "(which lock_wait_timeout does not end) while a backup holds FLUSH TABLES WITH "
               "READ LOCK; the statement was not applied: check SHOW PROCESSLIST, retry after "
               "the backup, or raise query_timeout to wait longer"
               % (where, action, target.query_timeout))
    elif code == ER_QUERY_TIMEOUT:
        msg = ("The server at %s stopped %s after %s s, the statement time limit (the module "
               "option query_timeout, set as the session's max_execution_time, which MySQL "
               "applies to read-only SELECT statements): check the server's load and SHOW "
               "PROCESSLIST for what it waited on, or raise query_timeout to wait longer"
               % (where, action, target.query_timeout))
    elif code == CR_UNKNOWN_HOST or isinstance(error, socket.gaierror) or (
            code == CR_CONN_HOST_ERROR and _NAME_RESOLUTION_RE.search(text)):
        msg = ("Cannot resolve the MySQL/MariaDB server name %r (%s): check login_host and the "
               "target host's DNS or /etc/hosts" % (target.host, _reason(text)))
    elif code in (CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR) or (
            code is None and isinstance(error, (ConnectionError, socket.timeout))):
        reason = _reason(text)
        if "timed out" in reason.lower():
            msg = ("Timed out after %ss connecting to the MySQL/MariaDB server at %s: check that "
                   "the host is reachable (firewall, bind-address, security group) and raise "
                   "connect_timeout if the network is slow" % (target.kwargs.get("connect_timeout"), where))
        elif target.unix_socket:
            origin = {"login_unix_socket": "login_unix_socket",
                      "config_file": "the socket= line of config_file %s" % target.config_file,
                      "default": "the default socket for login_host=localhost"}.get(
                target.socket_origin, "login_unix_socket")
            if target.socket_origin == "login_unix_socket":
                alternative = "or leave login_unix_socket unset to use TCP"
            else:
                alternative = "or set login_host to 127.0.0.1 to use TCP"
            msg = ("Cannot connect to the MySQL/MariaDB server through the %s (%s, taken from %s): "
                   "check that the server is running (%s) and that the path matches its socket "
                   "setting, %s" % (where, reason, origin, _SERVICE_HINT, alternative))
        else:
            msg = ("Cannot connect to the MySQL/MariaDB server at %s (%s): check that the server "
                   "is running (%s) and that login_host/login_port match its bind-address and port"
                   % (where, reason, _SERVICE_HINT))
            if target.host == "localhost" and target.port == DEFAULT_PORT:
                # The socket lookup came up empty too; say so, or people hunt the wrong thing.
                msg += ("; no server socket was found at %s either" % ", ".join(DEFAULT_SOCKETS))
    elif code == ER_ACCESS_DENIED_ERROR:
        seen = re.search(r"for user ('[^']*'@'[^']*')", text)
        account = seen.group(1) if seen else "'%s'" % target.user
        msg = ("Access denied for MySQL user %s at %s %s: check login_user/login_password or the "
               "[client] section of config_file, and that the account exists for the host it "
               "connects from" % (account, where, _password_phrase(target)))
        if target.password_source is None and target.user == "root" and not target.unix_socket:
            msg += (" (Debian's root logs in through the unix socket: run the task as root "
                    "with login_host localhost or login_unix_socket)")
    elif code == ER_DBACCESS_DENIED_ERROR:
        msg = ("MySQL user '%s' at %s has no access to the database it asked for (%s): grant it "
               "or check the database name" % (target.user, where, text))
    elif code == ER_CON_COUNT_ERROR:
        msg = ("The MySQL/MariaDB server at %s refused the connection because all max_connections "
               "slots are in use (%s): compare SHOW GLOBAL STATUS Threads_connected with "
               "max_connections and look for idle or leaked application connections" % (where, text))
    elif code in (ER_TOO_MANY_USER_CONNECTIONS, ER_USER_LIMIT_REACHED):
        limit = re.search(r"'(max_[a-z_]+)'", text)
        limit = limit.group(1) if limit else "max_user_connections"
        msg = ("MySQL user '%s' at %s has used up its %s limit (%s): check the account's "
               "max_user_connections (and the global max_user_connections) against how many "
               "connections its application holds" % (target.user, where, limit, text))
    elif code == ER_HOST_IS_BLOCKED:
        msg = ("The MySQL/MariaDB server at %s blocks this client host after too many failed "
               "connections (%s): run FLUSH HOSTS (mariadb-admin flush-hosts) and raise "
               "max_connect_errors" % (where, text))
    elif code == ER_HOST_NOT_PRIVILEGED:
        msg = ("The MySQL/MariaDB server at %s has no account for user '%s' from this client "
               "host (%s): create the account for the host part the server sees, or connect "
               "from an allowed host" % (where, target.user, text))
    elif code in (CR_SERVER_GONE_ERROR, CR_SERVER_LOST):
        msg = ("The MySQL/MariaDB server at %s closed the connection while %s (%s): check the "
               "server error log for a crash or restart, and wait_timeout, net_read_timeout, "
               "net_write_timeout and max_allowed_packet" % (where, action, text))
    elif isinstance(error, ssl.SSLError):
        msg = ("TLS failed while %s to the MySQL/MariaDB server at %s (%s): check ca_cert, "
               "client_cert, client_key and check_hostname against the server certificate"
               % (action, where, text))
    elif isinstance(error, ConfigFileError):
        msg = ("Cannot parse the MySQL option file %s: fix its syntax or set config_file to "
               "'' to ignore it" % text.rstrip(" ."))
    elif code is not None:
        msg = "MySQL error %d while %s (server %s, user '%s'): %s" % (
            code, action, where, target.user, text)
    else:
        msg = "Error while %s (server %s, user '%s'): %s: %s" % (
            action, where, target.user, error.__class__.__name__, text)
    msg = msg.rstrip(" .") + "."
    return _redact(msg, target)


def fail_on_error(module, error, target, action="connecting", **result):
    """``module.fail_json`` with ``error_message``: the one way modules report DB errors."""
    module.fail_json(msg=error_message(error, target, action), **result)


def connect(module, autocommit=True):
    """Log in with the module's login options and return the PyMySQL connection.

    Fails the module with one sentence when PyMySQL is missing, the option file is
    broken or the server refuses; never raises for those.
    """
    if not HAS_PYMYSQL:
        module.fail_json(msg=missing_pymysql_message(), exception=PYMYSQL_IMPORT_ERROR)
    problem = bounds_problem(module.params)
    if problem:
        module.fail_json(msg=problem + ".")
    try:
        target = resolve_target(module.params)
    except ConfigFileError as exc:
        module.fail_json(msg=error_message(exc, ConnectionTarget(
            module.params.get("login_host"), module.params.get("login_port"), None,
            module.params.get("login_user"), None)))
    if target.password_source == "config_file" and target.password:
        # Ansible masks no_log option values in every output; a password read from the
        # option file is not an option, so register it explicitly.
        module.no_log_values.add(target.password)
    kwargs = dict(target.kwargs, autocommit=autocommit)
    conn = None
    try:
        # Deferred, so a failure can tell "no handshake" (server_version unset) from "the
        # login did not finish".
        conn = pymysql.connect(defer_connect=True, **kwargs)
        conn.connect()
    except Exception as exc:  # PyMySQL, socket and SSL errors all end up here
        phase = LOGGING_IN if getattr(conn, "server_version", None) else CONNECTING
        fail_on_error(module, exc, target, phase)
    # Logged in: from now on the client waits query_timeout plus READ_GRACE for any
    # answer. PyMySQL (0.7 to 1.x) reads these attributes before every socket read and
    # write; it has no public setter.
    conn._read_timeout = target.read_timeout
    conn._write_timeout = target.read_timeout
    sql, args = session_bounds_sql(conn.get_server_info(), target.query_timeout,
                                   target.lock_wait_timeout)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, args)
    except Exception as exc:
        try:
            conn.close()
        except Exception:  # PyMySQL already closed it after a network error
            pass
        fail_on_error(module, exc, target, "setting the session's time limits (%s)"
                      % ", ".join(re.findall(r"(\w+) = %s", sql)))
    conn.steadydb_target = target
    return conn
