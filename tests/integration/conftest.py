"""A real MariaDB for integration tests, started from the host's Debian packages.

Each server is a throwaway ``mariadbd`` on 127.0.0.1 with its own datadir, unix
socket and a free port; nothing outside the test's temporary directory is touched.
``root`` has an empty password over TCP and the socket (mariadb-install-db
--auth-root-authentication-method=normal).
"""
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field

import pytest

pymysql = pytest.importorskip("pymysql")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class MariaDBServer:
    basedir: str
    port: int
    socket: str
    datadir: str
    errlog: str
    extra_args: list = field(default_factory=list)
    proc: subprocess.Popen = None

    host = "127.0.0.1"
    user = "root"
    password = ""

    def start(self, timeout=30):
        args = [
            shutil.which("mariadbd") or "/usr/sbin/mariadbd",
            "--no-defaults",
            "--datadir=" + self.datadir,
            "--socket=" + self.socket,
            "--port=%d" % self.port,
            "--bind-address=127.0.0.1",
            "--pid-file=" + os.path.join(self.basedir, "mariadbd.pid"),
            "--log-error=" + self.errlog,
            "--innodb-buffer-pool-size=32M",
            "--skip-name-resolve",
        ] + list(self.extra_args)
        if os.geteuid() == 0:
            args.append("--user=root")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("mariadbd exited: " + self.read_errlog())
            try:
                self.connect().close()
                return self
            except pymysql.err.OperationalError:
                time.sleep(0.2)
        raise RuntimeError("mariadbd did not answer in %ss: %s" % (timeout, self.read_errlog()))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def read_errlog(self):
        try:
            with open(self.errlog) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def connect(self, **kw):
        params = dict(host=self.host, port=self.port, user=self.user, password=self.password,
                      connect_timeout=2, autocommit=True)
        params.update(kw)
        return pymysql.connect(**params)

    def query(self, sql, *args):
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args or None)
                return cur.fetchall()
        finally:
            conn.close()

    @property
    def login(self):
        """Login options for steadydb modules, as a task would pass them."""
        return {"login_host": self.host, "login_port": self.port, "login_user": self.user,
                "login_password": self.password, "config_file": ""}


def _make_server(tmp_path_factory, extra_args=()):
    if not shutil.which("mariadb-install-db"):
        pytest.fail("mariadb-server is not installed on this machine (make deps installs it)")
    base = str(tmp_path_factory.mktemp("mariadb"))
    datadir = os.path.join(base, "data")
    subprocess.run(
        ["mariadb-install-db", "--no-defaults", "--datadir=" + datadir,
         "--auth-root-authentication-method=normal", "--skip-test-db"]
        + (["--user=root"] if os.geteuid() == 0 else []),
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    return MariaDBServer(basedir=base, port=_free_port(), socket=os.path.join(base, "mysqld.sock"),
                         datadir=datadir, errlog=os.path.join(base, "error.log"),
                         extra_args=list(extra_args))


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory):
    """One shared server for read-mostly tests. Do not leave global changes behind."""
    server = _make_server(tmp_path_factory).start()
    yield server
    server.stop()


@pytest.fixture
def fresh_mariadb(tmp_path_factory):
    """A server of the test's own, for tests that change globals or stop the server."""
    server = _make_server(tmp_path_factory).start()
    yield server
    server.stop()


@pytest.fixture
def mariadb_factory(tmp_path_factory):
    """Build (not start) servers with extra mariadbd arguments; stopped at teardown."""
    made = []

    def factory(*extra_args):
        server = _make_server(tmp_path_factory, extra_args)
        made.append(server)
        return server

    yield factory
    for server in made:
        server.stop()


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_module(module, args, check=False, diff=False, extra_env=None, verbosity=0, timeout=120):
    """Run one steadydb module through the real ``ansible`` CLI on localhost.

    ``timeout`` bounds the whole ``ansible`` run (subprocess.TimeoutExpired fails the
    test): a test that expects a bounded failure passes a few seconds above its bound,
    so a module that hangs fails the test instead of hanging it.

    Returns ``(result_dict, raw_stdout)``: the task result as the json callback reports
    it, and the whole output (to assert that secrets never appear in it).
    """
    import json
    import sys

    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    cmd = [ansible, "localhost", "-i", "localhost,", "-c", "local", "-m", module,
           "-a", json.dumps(args), "-e", "ansible_python_interpreter=" + sys.executable]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    env.update(extra_env or {})
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    start = proc.stdout.find("{")
    data = json.loads(proc.stdout[start:])
    result = data["plays"][0]["tasks"][0]["hosts"]["localhost"]
    return result, out
