"""dramatiq: one line to give every message a fresh connection after an idle gap.

dramatiq worker threads live for the whole process, so a connection the server
dropped while a thread idled fails its next message with 2006/2013. django_dramatiq
users already have ``django_dramatiq.middleware.DbConnectionsMiddleware``; with plain
dramatiq add this one::

    from myproject.steadydb_app.dramatiq_middleware import DbConnectionsMiddleware
    broker.add_middleware(DbConnectionsMiddleware())

Each message then runs between two close_old_connections() calls in its worker thread,
with the worker's connect-retry budget (the thread is a worker for its whole life).
"""
import dramatiq

from . import retry
from .worker import close_old_connections

__all__ = ["DbConnectionsMiddleware"]


class DbConnectionsMiddleware(dramatiq.Middleware):
    """close_old_connections() before and after every message, in the worker thread."""

    def before_process_message(self, broker, message):
        retry.KIND.set("worker")
        close_old_connections()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        close_old_connections()

    def after_skip_message(self, broker, message):
        close_old_connections()
