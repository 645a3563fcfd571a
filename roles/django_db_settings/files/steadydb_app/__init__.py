"""steadydb's app-side helpers, shipped as-is by the Ansible role django_db_settings.

The role copies this package next to the app's settings.py and renders only the plan's
data into ``steadydb_db.py`` (Django) and ``steadydb_sqlalchemy.py`` (SQLAlchemy), which
import it. Modules:

- ``envfile``: the env-file format (quote, parse); no Django import;
- ``dbsettings``: the DATABASES entry from the environment and the plan's data;
- ``worker``: ``db_job`` (sync and async) for code outside HTTP requests;
- ``rq_worker``, ``dramatiq_middleware``: one-line adapters for rq and dramatiq;
- ``health``: the checks behind the health view and ``manage.py steadydb_health``;
- ``burnin``: ``manage.py steadydb_burnin`` (open up to the declared peak at once);
- ``sqla``: SQLAlchemy URL and engine;
- ``retry``: the bounded connect retry; ``backend``: the Django engine (idle close and
  connect retry) named in the rendered settings' ENGINE.

Add ``"<project>.steadydb_app"`` to INSTALLED_APPS for the management commands.
Edits here are overwritten by the next deploy.
"""

# The plan's data of this process, set by the rendered steadydb_db.py when settings.py
# imports it (``register``); read by the health and burn-in checks.
_PLAN = {}


def register(plan):
    """Remember the rendered plan data (a dict) of this app; returns it."""
    _PLAN.clear()
    _PLAN.update(plan)
    return plan


def registered():
    """The plan data registered by steadydb_db.py (empty when it was not imported)."""
    return dict(_PLAN)
