"""Django's DATABASES entry: identity from the environment, the rest from the plan.

Authoritative sources (also stated in the rendered steadydb_db.py and the env file):

- the connection identity (HOST, PORT, NAME, USER, PASSWORD) comes from the environment,
  i.e. the env file the role writes (mode 0600; the password lives nowhere else);
- CONN_MAX_AGE, CONN_HEALTH_CHECKS and OPTIONS come from the plan data rendered into
  steadydb_db.py. The env file's copies (DB_CONN_MAX_AGE, ...) exist for readers that
  do not use this module (dj-database-url, django-environ, shell scripts); both are
  written from the same plan in the same run, and this module ignores the env copies.
"""
import os

from django.core.exceptions import ImproperlyConfigured

from . import envfile, register


def _use_pymysql():
    import pymysql

    # Django checks MySQLdb.version_info >= (1, 4, 3) (a mysqlclient version). PyMySQL
    # before 1.1 reports (1, 4, 0) (Debian 12's python3-pymysql 1.0.2) although it works
    # with Django 5.2; report the oldest accepted mysqlclient version instead.
    if pymysql.version_info < (1, 4, 3):
        pymysql.version_info = (1, 4, 3, "final", 0)
    pymysql.install_as_MySQLdb()


class Environment:
    """Variables PREFIX+suffix from the process environment, then (optionally) the env
    file; the process environment wins. ``error`` is the exception class raised."""

    def __init__(self, plan, error=ImproperlyConfigured):
        self.plan = plan
        self.error = error
        self._file = None

    def _file_values(self):
        if self._file is None:
            try:
                self._file = envfile.read_env_file(self.plan["env_file"]) or {}
            except envfile.EnvFileError as exc:
                raise self.error("steadydb: cannot read %s: %s" % (self.plan["env_file"], exc)) from None
        return self._file

    def get(self, suffix):
        name = self.plan["env_prefix"] + suffix
        value = os.environ.get(name)
        if value is None and self.plan.get("load_env_file", True):
            value = self._file_values().get(name)
        if value is None or value == "":
            raise self.error(
                "steadydb: the environment variable %s is not set (app %s). The deploy writes it "
                "to %s: load that file (systemd EnvironmentFile=, or set -a; . FILE; set +a) "
                "or check that this user can read it." % (name, self.plan["app"], self.plan["env_file"]))
        return value

    def port(self, suffix="PORT"):
        value = self.get(suffix)
        if not value.isdigit() or not 0 < int(value) < 65536:
            raise self.error("steadydb: the environment variable %s%s must be a TCP port, not %r"
                             % (self.plan["env_prefix"], suffix, value))
        return int(value)


def engine(plan):
    """The ENGINE: this package's backend (wherever the package sits) or Django's."""
    if plan.get("engine", "steadydb") == "steadydb":
        return __name__.rsplit(".", 1)[0] + ".backend"
    return "django.db.backends.mysql"


def database(plan):
    """The DATABASES entry of the app described by ``plan`` (the rendered data).

    Registers ``plan`` for the health and burn-in commands, and installs PyMySQL as
    MySQLdb when ``plan["driver"] == "pymysql"`` (so import settings before any model).
    """
    register(plan)
    if plan.get("driver") == "pymysql":
        _use_pymysql()
    env = Environment(plan)
    return {
        "ENGINE": engine(plan),
        "HOST": env.get("HOST"),
        "PORT": env.port(),
        "NAME": env.get("NAME"),
        "USER": env.get("USER"),
        "PASSWORD": env.get("PASSWORD"),
        "CONN_MAX_AGE": plan["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": plan["CONN_HEALTH_CHECKS"],
        "OPTIONS": dict(plan["OPTIONS"]),
    }
