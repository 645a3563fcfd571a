"""The built collection, used as a user would: installed from the tarball, run from
a directory outside the clone.

`make collection` (tools/build_collection.py) builds the tarball; this test builds it
into a temporary directory, installs it with ``ansible-galaxy collection install`` into
a temporary collections path, and runs everything from a temporary project directory
with an empty ansible.cfg, so nothing of the clone (library/, module_utils/, roles/,
filter_plugins/ wired by its ansible.cfg) can stand in for the collection.
"""
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)

with open(os.path.join(REPO, "galaxy.yml")) as _handle:
    GALAXY = yaml.safe_load(_handle)
FQCN = "%s.%s" % (GALAXY["namespace"], GALAXY["name"])
MODULES = sorted(f[:-3] for f in os.listdir(os.path.join(REPO, "library")) if f.endswith(".py"))
ROLES = sorted(d for d in os.listdir(os.path.join(REPO, "roles"))
               if os.path.isdir(os.path.join(REPO, "roles", d)))
PLAYBOOKS = ("harden_db", "audit_db")


class Project:
    """A user's project directory with the collection installed; runs the Ansible CLIs there."""

    def __init__(self, path, collections):
        self.path = path
        self.collections = collections
        config = os.path.join(path, "ansible.cfg")
        open(config, "w").close()
        # Only what a user's shell would have: no ANSIBLE_* of the repo's Makefile.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
        self.env.update(ANSIBLE_CONFIG=config, ANSIBLE_COLLECTIONS_PATH=collections,
                        ANSIBLE_NOCOLOR="1", NO_COLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
                        PATH=BIN + os.pathsep + os.environ.get("PATH", ""))

    def run(self, tool, *args, timeout=180, check=True):
        proc = subprocess.run([os.path.join(BIN, tool)] + list(args), cwd=self.path, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            pytest.fail("%s %s failed (%d):\n%s\n%s" % (tool, " ".join(args), proc.returncode,
                                                        proc.stdout[-4000:], proc.stderr[-4000:]))
        return proc

    def write(self, name, data):
        path = os.path.join(self.path, name)
        with open(path, "w") as handle:
            if isinstance(data, str):
                handle.write(data)
            else:
                yaml.safe_dump(data, handle, sort_keys=False)
        return path


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("collection-build")
    proc = subprocess.run([sys.executable, os.path.join(REPO, "tools", "build_collection.py"),
                           "--output-dir", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    path = proc.stdout.strip().splitlines()[-1]
    assert os.path.basename(path) == "%s-%s-%s.tar.gz" % (GALAXY["namespace"], GALAXY["name"],
                                                          GALAXY["version"])
    return path


@pytest.fixture(scope="module")
def project(tarball, tmp_path_factory):
    base = tmp_path_factory.mktemp("user-project")
    collections = str(base / "collections")
    work = base / "project"
    work.mkdir()
    proj = Project(str(work), collections)
    proj.run("ansible-galaxy", "collection", "install", tarball, "-p", collections)
    assert os.path.isdir(os.path.join(collections, "ansible_collections", GALAXY["namespace"],
                                      GALAXY["name"], "plugins", "modules"))
    return proj


def test_installed_version_is_galaxy_version(project):
    out = project.run("ansible-galaxy", "collection", "list", FQCN, "--format", "json").stdout
    found = [v for path in json.loads(out).values() for name, v in path.items() if name == FQCN]
    assert found == [{"version": GALAXY["version"]}]


def test_the_clone_is_not_used(project):
    """The short name resolves nowhere: only the collection can answer the tests below."""
    proc = project.run("ansible-doc", "-t", "module", "mysql_facts", check=False)
    assert "mysql_facts" not in proc.stdout or proc.returncode != 0


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_module(project, module):
    out = project.run("ansible-doc", "-t", "module", "%s.%s" % (FQCN, module)).stdout
    assert "%s.%s" % (FQCN, module) in out
    assert "OPTIONS" in out or "This module has no options" in out


@pytest.mark.parametrize("role", ROLES)
def test_ansible_doc_role(project, role):
    out = project.run("ansible-doc", "-t", "role", "%s.%s" % (FQCN, role)).stdout
    assert "%s.%s" % (FQCN, role) in out
    assert re.search(r"ENTRY POINT:\W*main", out), out[:500]


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_syntax(project, playbook):
    inventory = project.write("syntax-hosts.yml", {"db": {"hosts": {"db1": None}},
                                                   "app": {"hosts": {"app1": None}}})
    project.run("ansible-playbook", "-i", inventory, "--syntax-check", "%s.%s" % (FQCN, playbook))


def _inventory(project, server, name="hosts.yml", **extra):
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "steadydb_login_host": server.host, "steadydb_login_port": server.port,
            "steadydb_login_user": server.user, "steadydb_config_file": "",
            "steadydb_apps": [{"name": "shop", "processes_per_host": 2}]}
    host.update(extra)
    return project.write(name, {"db": {"hosts": {"db1": host}}})


def test_modules_and_module_defaults_against_a_real_server(project, mariadb):
    """A user's own playbook: the collection's modules by FQCN, module_defaults keyed by FQCN."""
    inventory = _inventory(project, mariadb)
    playbook = project.write("own.yml", [{
        "name": "Use steadydb modules from my project",
        "hosts": "db",
        "gather_facts": False,
        "module_defaults": {FQCN + ".mysql_global_variables": {
            "login_host": "{{ steadydb_login_host }}", "login_port": "{{ steadydb_login_port }}",
            "login_user": "{{ steadydb_login_user }}", "config_file": ""}},
        "tasks": [
            {"name": "Read the server", FQCN + ".mysql_facts": {
                "login_host": "{{ steadydb_login_host }}", "login_port": "{{ steadydb_login_port }}",
                "login_user": "{{ steadydb_login_user }}", "config_file": ""}},
            {"name": "Plan", FQCN + ".mysql_plan": {"facts": "{{ ansible_facts.mysql }}",
                                                     "apps": "{{ steadydb_apps }}"},
             "register": "plan"},
            {"name": "Set the planned wait_timeout (check mode: changes nothing)",
             FQCN + ".mysql_global_variables": {
                 "variables": {"wait_timeout": "{{ plan.plan.server.variables.wait_timeout }}"}},
             "check_mode": True, "register": "live"},
            {"name": "Keep the results", "ansible.builtin.copy": {
                "content": "{{ {'flavor': ansible_facts.mysql.flavor, 'plan': plan.plan,"
                           " 'live': live} | to_json }}",
                "dest": "{{ playbook_dir }}/own.json", "mode": "0644"},
             "check_mode": False},
        ],
    }])
    project.run("ansible-playbook", "-i", inventory, playbook)
    with open(os.path.join(project.path, "own.json")) as handle:
        result = json.load(handle)
    assert result["flavor"] == "mariadb"
    assert result["plan"]["server"]["variables"]["max_connections"] > 0
    assert not result["live"].get("failed"), result["live"]


def test_harden_db_read_and_plan_through_the_collection(project, mariadb):
    """harden_db by FQCN, its read and plan stages (the server and systemd stages need a
    systemd host: molecule covers them), against a real server."""
    inventory = _inventory(project, mariadb)
    proc = project.run("ansible-playbook", "-i", inventory, "%s.harden_db" % FQCN, "--tags", "plan")
    assert "steadydb plan for db1 (mariadb" in proc.stdout, proc.stdout[-3000:]


def test_audit_db_through_the_collection(project, mariadb):
    """audit_db by FQCN writes its report; a throwaway server outside systemd may well have
    critical findings (then the playbook fails after writing the report, as designed)."""
    report = os.path.join(project.path, "audit.json")
    inventory = _inventory(project, mariadb)
    proc = project.run("ansible-playbook", "-i", inventory, "%s.audit_db" % FQCN,
                       "-e", "steadydb_audit_report=" + report, check=False)
    assert os.path.exists(report), proc.stdout[-4000:] + proc.stderr[-2000:]
    with open(report) as handle:
        data = json.load(handle)
    assert set(data["counts"]) >= {"critical", "warning"}
    # The version comes from the installed collection's MANIFEST.json.
    with open(os.path.join(REPO, "galaxy.yml")) as handle:
        assert "version: %s\n" % data["steadydb_version"] in handle.read()
    if proc.returncode != 0:
        assert "critical finding(s) on db1" in proc.stdout + proc.stderr, proc.stdout[-4000:]
