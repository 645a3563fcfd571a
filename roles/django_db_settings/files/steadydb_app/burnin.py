"""Open up to the app's declared peak of connections at once, count failures by error.

The plan gives each app a peak (``limits.demand``: web processes x threads + workers)
and a cap (``max_user_connections`` = peak + headroom). ``burn_in`` opens connections
with the app's own settings (driver, OPTIONS, connect_timeout), keeps every one open
until all were tried, then closes them: with the app stopped, ``n`` = the peak must
open without a failure; beyond the cap the server answers 1226, beyond
max_connections 1040, a server that is down 2003. Bounded: at most ``MAX_CONNECTIONS``
connections and ``deadline`` seconds in total (each attempt is bounded by the plan's
connect_timeout, and never retried: the steadydb engine's connect retry is off here).
"""
import time

from django.db import connections

from .health import error_number
from .retry import no_retry

MAX_CONNECTIONS = 2000


def _open_all(wrapper, params, n, deadline_at, opened, failures, errors):
    """Open up to n connections into ``opened``; count failures by error number."""
    for _ in range(n):
        if time.monotonic() > deadline_at:
            return
        try:
            opened.append(wrapper.get_new_connection(params))
        except Exception as exc:  # every driver error counts, by its number
            code = str(error_number(exc))
            failures[code] = failures.get(code, 0) + 1
            if len(errors) < 5:
                errors.append("%s: %s" % (code, str(exc)[:160]))


def burn_in(n, alias="default", deadline=60.0):
    """Open ``n`` connections at once; returns a JSON-ready report."""
    if not 0 < n <= MAX_CONNECTIONS:
        raise ValueError("burn-in: the number of connections must be 1 to %d, not %r" % (MAX_CONNECTIONS, n))
    wrapper = connections[alias]
    params = wrapper.get_connection_params()
    opened, failures, errors = [], {}, []
    started = time.monotonic()
    try:
        with no_retry():
            _open_all(wrapper, params, n, started + deadline, opened, failures, errors)
    finally:
        for raw in opened:
            try:
                raw.close()
            except Exception:  # noqa: S110 - closing a socket the server may have dropped
                pass
    tried = len(opened) + sum(failures.values())
    return {"requested": n, "tried": tried, "opened": len(opened), "failures": failures,
            "errors": errors, "stopped_at_deadline": tried < n,
            "seconds": round(time.monotonic() - started, 3),
            "ok": not failures and tried == n}
