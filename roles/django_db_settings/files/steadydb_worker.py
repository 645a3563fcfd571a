# Shipped as-is by the steadydb role django_db_settings: edits are overwritten.
"""``db_job`` for Django code outside HTTP requests (see steadydb_app/worker.py)::

    from myproject.steadydb_worker import db_job
"""
if __package__:
    from .steadydb_app.worker import DbJob, close_old_connections, db_job, db_job_iter  # noqa: F401
else:  # the settings directory itself is on sys.path
    from steadydb_app.worker import DbJob, close_old_connections, db_job, db_job_iter  # noqa: F401

__all__ = ["DbJob", "db_job", "db_job_iter", "close_old_connections"]
