"""SET PERSIST against a real Oracle MySQL 9.7 (the localhost/steadydb:mysql image).

A throwaway systemd container (started and removed here, every wait bounded) runs
mysql.service. The modules run in it through ansible's podman connection, as root over
the unix socket (auth_socket), exactly as the role runs them:

- a value persisted by an admin beats the drop-in at the next start; mysql_option_file
  says so (check mode included) and names RESET PERSIST;
- mysql_global_variables persist=true leaves mysqld-auto.cnf agreeing with the drop-in
  even when the runtime value already matches (an admin's SET PERSIST_ONLY);
- after a real restart the server runs with the drop-in's value.

Skipped without podman or the image (``make images`` builds it).
"""
import json
import os
import subprocess
import sys
import time
import uuid

import pytest

from conftest import REPO, have_podman_image, podman, podman_env

IMAGE = "localhost/steadydb:mysql"
DROPIN = "/etc/mysql/mysql.conf.d/99-steadydb.cnf"
AUTO = "/var/lib/mysql/mysqld-auto.cnf"


pytestmark = [pytest.mark.skipif(not have_podman_image(IMAGE), reason="podman or %s is missing" % IMAGE)]


@pytest.fixture(scope="module")
def mysql():
    name = "sdb-itest-persist-%s" % uuid.uuid4().hex[:8]
    podman("run", "-d", "--name", name, "--cgroupns=private", "--cap-add", "SYS_ADMIN",
           "--systemd=always", "--network", "none", "--ulimit", "nofile=10000:10000",
           "--ulimit", "nproc=4096:4096", IMAGE, "/sbin/init")
    try:
        wait_sql(name, "SELECT 1", deadline=120)
        yield name
    finally:
        podman("rm", "-f", "-t", "5", name, check=False)


def sql(name, statement):
    return podman("exec", name, "mysql", "-N", "-B", "-e", statement).stdout.strip()


def wait_sql(name, statement, deadline):
    end = time.monotonic() + deadline
    while True:
        proc = podman("exec", name, "mysql", "-N", "-B", "-e", statement, check=False, timeout=30)
        if proc.returncode == 0:
            return proc.stdout.strip()
        if time.monotonic() > end:
            raise AssertionError("MySQL in %s did not answer within %d s: %s"
                                 % (name, deadline, proc.stderr))
        time.sleep(1)


def module(name, mod, args, check=False):
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    cmd = [ansible, "all", "-i", name + ",", "-c", "containers.podman.podman", "-m", mod,
           "-a", json.dumps(args), "-e", "ansible_python_interpreter=/usr/bin/python3"]
    if check:
        cmd.append("--check")
    env = dict(podman_env(), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    data = json.loads(proc.stdout[proc.stdout.find("{"):])
    return data["plays"][0]["tasks"][0]["hosts"][name]


def persisted(name):
    rows = sql(name, "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM performance_schema.persisted_variables")
    return dict(line.split("\t", 1) for line in rows.splitlines() if line)


DROPIN_ARGS = dict(path=DROPIN, options={"max_connections": 300, "wait_timeout": 600},
                   exclusive=True, on_override="fail", validate=True)


def test_admin_persisted_value_is_an_override(mysql):
    sql(mysql, "SET PERSIST max_connections = 77")
    checked = module(mysql, "mysql_option_file", dict(DROPIN_ARGS, on_override="warn"),
                     check=True)
    assert not checked.get("failed"), checked.get("msg")
    warning = " ".join(checked.get("warnings", []))
    assert "max_connections = 77 is persisted in %s" % AUTO in warning
    assert "at its next start it will run with max_connections = 77, not 300" in warning
    assert checked["effective"]["max_connections"] == "77"
    result = module(mysql, "mysql_option_file", DROPIN_ARGS)
    assert result.get("failed") is True
    assert "RESET PERSIST max_connections" in result["msg"]
    assert podman("exec", mysql, "test", "-e", DROPIN, check=False).returncode == 1


def test_set_global_without_persist_warns_about_the_persisted_value(mysql):
    sql(mysql, "SET PERSIST max_connections = 77")
    result = module(mysql, "mysql_global_variables", {"variables": {"max_connections": 300}})
    assert not result.get("failed"), result.get("msg")
    assert result["applied"] == ["max_connections"]
    warning = " ".join(result.get("warnings", []))
    assert "max_connections = 77" in warning and "RESET PERSIST max_connections" in warning
    assert result["persisted"] == {"max_connections": "77"}


def test_persist_replaces_a_stale_persisted_value_and_survives_a_restart(mysql):
    # The runtime value is already ours; an admin's PERSIST_ONLY would win at the next start.
    sql(mysql, "SET GLOBAL max_connections = 300")
    sql(mysql, "SET PERSIST_ONLY max_connections = 77")
    result = module(mysql, "mysql_global_variables",
                    {"variables": {"max_connections": 300, "wait_timeout": 600}, "persist": True})
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert "max_connections" in result["applied"]
    assert persisted(mysql)["max_connections"] == "300"
    assert persisted(mysql)["wait_timeout"] == "600"
    again = module(mysql, "mysql_global_variables",
                   {"variables": {"max_connections": 300, "wait_timeout": 600}, "persist": True})
    assert again["changed"] is False
    dropin = module(mysql, "mysql_option_file", DROPIN_ARGS)
    assert not dropin.get("failed"), dropin.get("msg")
    assert dropin["persisted"] == {"max_connections": "300", "wait_timeout": "600"}
    assert dropin["overrides"] == []
    podman("exec", mysql, "systemctl", "restart", "mysql", timeout=120)
    assert wait_sql(mysql, "SELECT @@max_connections", deadline=90) == "300"
