# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way for every steadydb module to log in to MySQL/MariaDB, and to explain failures.

Public API (stable, other modules import it):

- ``login_argument_spec()`` -> dict: the login options (documented once in the
  ``steadydb_login`` doc fragment), names compatible with community.mysql.
- ``connect(module, autocommit=True)`` -> PyMySQL connection, or ``module.fail_json``
  with one sentence from ``error_message`` and nothing else. The connection carries its
  ConnectionTarget as ``conn.steadydb_target`` for reporting later query errors.
- ``resolve_target(params)`` -> ConnectionTarget: where and as whom ``connect`` will log
  in, and where the password comes from (pure: reads the option file, no network).
- ``error_message(error, target, action="connecting")`` -> str: a PyMySQL (or socket/SSL)
  error as one sentence saying what is wrong and what to check. Never contains the
  password.
- ``fail_on_error(module, error, target, action)``: the same sentence via fail_json.
- ``missing_pymysql_message()`` -> str; ``HAS_PYMYSQL``, ``PYMYSQL_IMPORT_ERROR``.

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

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import configparser
import getpass
import os
import re
import socket
import ssl

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
        login_unix_socket=dict(type="str"),
        config_file=dict(type="path", default="~/.my.cnf"),
        connect_timeout=dict(type="int", default=DEFAULT_CONNECT_TIMEOUT),
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
                 socket_origin=None, kwargs=None):
        self.host = host
        self.port = port
        self.unix_socket = unix_socket
        self.user = user
        self.password_source = password_source
        self.config_file = config_file
        # Why a socket is used: "login_unix_socket", "config_file" or "default".
        self.socket_origin = socket_origin
        self.kwargs = kwargs or {}

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

    kwargs = dict(
        user=user,
        connect_timeout=params.get("connect_timeout") or DEFAULT_CONNECT_TIMEOUT,
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
                            socket_origin=socket_origin, kwargs=kwargs)


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

    if code == CR_UNKNOWN_HOST or isinstance(error, socket.gaierror) or (
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
    try:
        conn = pymysql.connect(**kwargs)
    except Exception as exc:  # PyMySQL, socket and SSL errors all end up here
        fail_on_error(module, exc, target, "connecting")
    conn.steadydb_target = target
    return conn
