"""Baseline for workers: the rendered plan settings, but Django's own engine
(django.db.backends.mysql) instead of steadydb's: nothing closes a connection the
server dropped while a worker idled unless db_job does."""
from .settings import *  # noqa: F401,F403
from .steadydb_db import STEADYDB_DATABASE

DATABASES = {"default": dict(STEADYDB_DATABASE, ENGINE="django.db.backends.mysql")}
