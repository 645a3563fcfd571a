"""Baseline for web requests: CONN_MAX_AGE above the server's wait_timeout, no health
checks, Django's own engine (the classic misconfiguration: Django keeps a connection the
server dropped)."""
from .settings import *  # noqa: F401,F403
from .steadydb_db import STEADYDB_DATABASE

DATABASES = {"default": dict(STEADYDB_DATABASE, CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=False,
                             ENGINE="django.db.backends.mysql")}
