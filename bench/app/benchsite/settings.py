"""Settings of the benchmark app "shop".

Everything but DATABASES is fixed. DATABASES comes from one of two sources, chosen by
BENCH_DB_MODE (environment) or the file BENCH_MODE next to manage.py:

- baseline: what a typical deploy has: Django's defaults plus a persistent connection
  lifetime chosen without looking at the server (CONN_MAX_AGE 300, as in field report
  01), no health checks, no client timeouts. Background workers run with Django's
  default CONN_MAX_AGE 0 (BENCH_CONN_MAX_AGE=0) and never close their connection.
- hardened: the snippet steadydb_db.py that roles/django_db_settings renders into this
  package (it reads the env file the role renders next to it), unchanged.
"""
import json
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _bench_mode():
    mode = os.environ.get("BENCH_DB_MODE", "").strip()
    if not mode:
        try:
            mode = (BASE_DIR / "BENCH_MODE").read_text().strip()
        except FileNotFoundError:
            mode = "baseline"
    if mode not in ("baseline", "hardened"):
        raise RuntimeError("BENCH_DB_MODE must be baseline or hardened, got %r" % mode)
    return mode


BENCH_DB_MODE = _bench_mode()

# Both modes use PyMySQL (Debian's python3-pymysql in the image). Debian 12 ships
# PyMySQL 1.0.2, which tells Django (through install_as_MySQLdb) that it is version
# 1.0.2; Django's MySQL backend then refuses to load ("mysqlclient 1.4.3 or newer is
# required"). PyMySQL >= 1.1 reports a compatible version itself. Same shim for both
# modes, before the rendered snippet calls install_as_MySQLdb().
import pymysql  # noqa: E402

if tuple(getattr(pymysql, "version_info", (0,))[:3]) < (1, 4, 3):
    pymysql.version_info = (1, 4, 6, "final", 0)

if BENCH_DB_MODE == "hardened":
    from .steadydb_db import DATABASES  # noqa: E402,F401  rendered by steadydb
else:
    pymysql.install_as_MySQLdb()
    _secret = json.loads((BASE_DIR / "baseline_db.json").read_text())
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": "shop",
            "USER": "shop",
            "PASSWORD": _secret["password"],
            "HOST": "127.0.0.1",
            "PORT": "3306",
            "CONN_MAX_AGE": int(os.environ.get("BENCH_CONN_MAX_AGE", "300")),
            "OPTIONS": {"charset": "utf8mb4",
                        "init_command": "SET sql_mode='STRICT_TRANS_TABLES'"},
        }
    }

SECRET_KEY = "steadydb-bench-not-secret"  # a throwaway app inside a container
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["benchapp"]
MIDDLEWARE = ["benchapp.middleware.DatabaseErrorAsJSON"]
ROOT_URLCONF = "benchsite.urls"
WSGI_APPLICATION = "benchsite.wsgi.application"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "loggers": {"django.request": {"handlers": ["null"], "propagate": False}},
}
