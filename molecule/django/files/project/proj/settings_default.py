"""Baseline: the same account, Django's default connection settings and engine
(django.db.backends.mysql, CONN_MAX_AGE 0, no health checks, no driver timeouts)."""
from .settings import *  # noqa: F401,F403
from .steadydb_db import STEADYDB_DATABASE

DATABASES = {"default": dict({key: STEADYDB_DATABASE[key] for key in ("HOST", "PORT", "NAME", "USER", "PASSWORD")},
                             ENGINE="django.db.backends.mysql")}
