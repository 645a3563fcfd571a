"""django.db.backends.mysql with two guards that need no code change in the app.

1. Idle close. Before handing out a cursor, outside an atomic block, a connection idle
   longer than STEADYDB["idle_close_after"] (the plan: the server's effective idle
   timeout minus its margin) is closed, and Django opens a new one. Processes nobody
   wraps (``manage.py shell`` left open, gearman workers, scripts) then never meet
   2006 after an idle gap; request handling and ``db_job`` keep doing their own checks.
   Idle means: since the last statement ended. Cost: a clock read per cursor and per
   statement. What a close loses (session variables, temporary tables, GET_LOCK locks)
   the server would drop a moment later anyway.
2. Connect retry. Opening a connection is retried on 2002/2003/2006/2013 (the handshake
   did not finish, so nothing ran) for the plan's budget (retry.py), so a server
   restart looks like a delay. Never a query.
"""
import time

from django.db import DatabaseError
from django.db.backends.mysql import base as mysql

from .. import registered, retry


class CursorWrapper(mysql.CursorWrapper):
    """Django's MySQL cursor wrapper that notes when each statement ended."""

    def __init__(self, cursor, owner):
        super().__init__(cursor)
        self._steadydb_owner = owner

    def execute(self, query, args=None):
        try:
            return super().execute(query, args)
        finally:
            self._steadydb_owner._steadydb_used = time.monotonic()

    def executemany(self, query, args):
        try:
            return super().executemany(query, args)
        finally:
            self._steadydb_owner._steadydb_used = time.monotonic()


class DatabaseWrapper(mysql.DatabaseWrapper):
    """MySQL/MariaDB wrapper with the idle close and the bounded connect retry."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._steadydb_plan = registered()
        self._steadydb_idle = self._steadydb_plan.get("idle_close_after")
        self._steadydb_used = None

    def get_new_connection(self, conn_params):
        seconds = retry.budget(self._steadydb_plan)
        opened = retry.connect(lambda: super(DatabaseWrapper, self).get_new_connection(conn_params), seconds)
        self._steadydb_used = time.monotonic()
        return opened

    def create_cursor(self, name=None):
        return CursorWrapper(self.connection.cursor(), self)

    def _cursor(self, name=None):
        if (self._steadydb_idle and self.connection is not None and not self.in_atomic_block
                and self._steadydb_used is not None
                and time.monotonic() - self._steadydb_used > self._steadydb_idle):
            try:
                self.close()
            except DatabaseError:  # the server may have dropped it already
                self.connection = None
        return super()._cursor(name)
