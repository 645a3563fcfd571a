"""The unit of work of the benchmark app: one ORM read and one ORM write."""
# django.db.Error: the base of DatabaseError and InterfaceError (a broken PyMySQL
# connection raises InterfaceError(0, "") on its next use).
from django.db import Error as DatabaseError

from benchapp.models import Item


def unit_of_work(label):
    """What a request or a job does with the database; returns the row count."""
    Item.objects.create(name=label[:64])
    return Item.objects.count()


def error_code(exc):
    """The MySQL error number of a DatabaseError (2006, 2013, 1040, ...), else its type."""
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], int) and args[0]:
        return str(args[0])
    cause = exc.__cause__
    if cause is not None and cause is not exc:
        cargs = getattr(cause, "args", ())
        if cargs and isinstance(cargs[0], int) and cargs[0]:
            return str(cargs[0])
    return type(exc).__name__


__all__ = ["unit_of_work", "error_code", "DatabaseError"]
