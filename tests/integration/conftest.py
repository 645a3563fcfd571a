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
from pathlib import Path
from typing import NamedTuple

import pytest

pymysql = pytest.importorskip("pymysql")


MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
# For the tests that run the server binary itself (validation, option files).
needs_mariadbd = pytest.mark.skipif(not os.path.exists(MARIADBD),
                                    reason="mariadb-server is not installed (make test-apt installs it)")


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
            MARIADBD,
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


class OptionTree(NamedTuple):
    """A throwaway option tree shaped like Debian's (see the ``option_tree`` fixture)."""
    tmp: Path
    top: str
    confd: Path

    @property
    def dropin(self):
        """Where the tests put steadydb's drop-in."""
        return self.confd / "99-steadydb.cnf"


@pytest.fixture
def option_tree(tmp_path):
    """Make the test's option tree: ``my.cnf`` with ``!includedir conf.d/`` and
    ``conf.d/50-server.cnf`` holding ``[mysqld]`` and the given server lines.

    ``defaults_file=tree.top`` points a module (and so my_print_defaults and the server
    binary's validation) at it. Returns an ``OptionTree`` (``tmp, top, confd = tree``).
    """
    def make(*server_lines):
        confd = tmp_path / "conf.d"
        confd.mkdir()
        top = tmp_path / "my.cnf"
        top.write_text("[client-server]\nport = 3306\n\n!includedir %s/\n" % confd)
        (confd / "50-server.cnf").write_text("".join(line + "\n" for line in ("[mysqld]",) + server_lines))
        return OptionTree(tmp_path, str(top), confd)
    return make


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


def run_option_file(tree, options, **kw):
    """mysql_option_file on the tree's drop-in, checked with the real mariadbd; ``extra``
    holds further module arguments, the other keywords go to ``run_module``."""
    args = dict(path=str(tree.dropin), defaults_file=tree.top, server_binary=MARIADBD,
                options=options)
    args.update(kw.pop("extra", {}))
    return run_module("mysql_option_file", args, **kw)


def podman_env():
    """The environment for podman: the project's own containers.conf (runc, explicit
    rlimits), as the Makefile exports it, unless the caller set one."""
    env = dict(os.environ)
    conf = os.path.join(REPO, ".config", "containers.conf")
    if os.path.exists(conf):
        env.setdefault("CONTAINERS_CONF", conf)
    return env


def have_podman_image(image):
    """True when podman runs here and ``image`` exists (``make images`` builds it)."""
    if not shutil.which("podman"):
        return False
    return subprocess.run(["podman", "image", "exists", image], env=podman_env(),
                          timeout=60).returncode == 0


def podman(*args, check=True, timeout=120):
    """One bounded podman command; fails the test with podman's message when ``check``."""
    proc = subprocess.run(["podman"] + list(args), env=podman_env(), capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError("podman %s: %s" % (" ".join(args), proc.stderr or proc.stdout))
    return proc
