# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Login options shared by every steadydb MySQL module.

Built once in module_utils/steadydb/connection.py (login_argument_spec); modules use
``extends_documentation_fragment: [steadydb_login]``.
"""


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  login_user:
    description:
      - The MySQL/MariaDB account to log in as.
      - When unset, the C(user) of the C([client]) section of O(config_file) is used, and
        without that the name of the operating system user running the module (what the
        C(mysql) client does).
    type: str
  login_password:
    description:
      - The password of O(login_user).
      - When unset, the C(password) of the C([client]) section of O(config_file) is used;
        without that no password is sent.
      - Never shown in output or error messages, including a password read from
        O(config_file).
    type: str
  login_host:
    description:
      - Host name or address of the server.
      - "C(localhost) with the default O(login_port) behaves like the C(mysql) client, not
        like PyMySQL or community.mysql (which use TCP to port 3306): the module connects
        through the unix socket named by C(socket) in O(config_file), else the first of
        C(/run/mysqld/mysqld.sock), C(/var/run/mysqld/mysqld.sock),
        C(/var/lib/mysql/mysql.sock), C(/tmp/mysql.sock) that exists, and uses TCP only
        when none does. This lets Debian's C(root), which authenticates by the unix socket,
        log in with C(become=true) and no password."
      - Use C(127.0.0.1) to force TCP on the local host.
    type: str
    default: localhost
  login_port:
    description:
      - TCP port of the server.
      - A value other than C(3306) always means TCP, also for O(login_host=localhost).
    type: int
    default: 3306
  login_unix_socket:
    description:
      - Path of the server's unix socket. When set, it is used whatever O(login_host) says.
    type: path
  config_file:
    description:
      - MySQL option file whose C([client]) section supplies C(user), C(password),
        C(socket), C(ssl-ca), C(ssl-cert) and C(ssl-key) when the matching task option is
        not set. Task options always win.
      - A C(socket) from this file is used only for O(login_host=localhost) (as the
        C(mysql) client does).
      - A missing or unreadable file is silently ignored, as community.mysql does.
        Set to an empty string to ignore the file altogether.
      - C(!include) and C(!includedir) lines are skipped, not followed.
    type: path
    default: ~/.my.cnf
  connect_timeout:
    description:
      - Seconds to wait for the server to accept the TCP connection, and again for its
        MySQL handshake and for the login to finish.
      - A peer that accepts the connection and never greets (a hung server, a proxy
        without a backend, a service that waits for the client such as HTTP or the MySQL
        X Protocol port 33060) fails after this many seconds, saying so.
      - Lower than community.mysql's 30 so a dead server fails a play quickly.
      - Whole seconds from 1 to 31536000; there is no "wait forever".
    type: int
    default: 10
  query_timeout:
    description:
      - Longest time, in seconds, any one statement of the module may take once logged in.
      - On MariaDB it is the session's C(max_statement_time), which applies to every
        statement; the server stops a statement that runs longer (error 1969) and that
        statement is not applied. This is also what ends MariaDB's wait of C(ALTER USER)
        for the backup lock while a backup holds C(FLUSH TABLES WITH READ LOCK), a wait
        that O(lock_wait_timeout) does not end.
      - On MySQL 5.7.8 and later it is the session's C(max_execution_time), which MySQL
        applies to read-only C(SELECT) statements only.
      - On both, the client stops waiting for any answer 5 seconds later (PyMySQL's read
        and write timeouts), so a server that hangs mid-session cannot hold the play; a
        statement abandoned that way may still be running on the server.
      - Whole seconds from 1 to 31536000.
    type: int
    default: 30
  lock_wait_timeout:
    description:
      - Seconds a statement may wait for a lock, set as the session's
        C(lock_wait_timeout) (metadata and backup locks, for example C(BACKUP STAGE) of a
        backup) and C(innodb_lock_wait_timeout) (row locks).
      - Keep it below O(query_timeout), which bounds the whole statement including its
        lock waits.
      - Changes such as C(ALTER USER) are what wait for a backup's lock; reads rarely do.
      - Whole seconds from 1 to 31536000.
    type: int
    default: 20
  ca_cert:
    description:
      - CA certificate to verify the server's TLS certificate against. Enables TLS.
    type: path
    aliases: [ssl_ca]
  client_cert:
    description:
      - Client TLS certificate. Enables TLS.
    type: path
    aliases: [ssl_cert]
  client_key:
    description:
      - Private key of O(client_cert).
    type: path
    aliases: [ssl_key]
  check_hostname:
    description:
      - Whether the server certificate must match O(login_host). Only effective with
        O(ca_cert).
      - When unset, PyMySQL's default applies (checked when O(ca_cert) is given).
    type: bool
attributes:
  platform:
    support: full
    platforms: posix
    details:
      - Talks to the server over the network or its unix socket with PyMySQL, so it runs on
        any POSIX host that reaches the server, the database host or another one.
requirements:
  - PyMySQL on the target host (C(apt install python3-pymysql) or C(pip install PyMySQL)).
notes:
  - Connection failures are reported as one sentence naming the server address, the
    account and where the password came from (never the password), with what to check.
  - Every wait is bounded by O(connect_timeout), O(query_timeout) or O(lock_wait_timeout);
    when one trips, the error says what the module waited for and which option raises
    the bound.
  - A port where something other than MySQL/MariaDB answers (SSH, HTTP) is reported as
    not speaking the MySQL protocol.
'''
