"""Baseline: the same account, Django's default connection settings
(CONN_MAX_AGE 0, no health checks, no driver timeouts)."""
from .settings import *  # noqa: F401,F403
from .steadydb_db import STEADYDB_DATABASE

DATABASES = {"default": {key: STEADYDB_DATABASE[key]
                         for key in ("ENGINE", "HOST", "PORT", "NAME", "USER", "PASSWORD")}}
