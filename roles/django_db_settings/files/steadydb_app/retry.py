"""Bounded retry of opening a connection while the server restarts.

Without socket activation (Oracle MySQL's packages, Debian 13's MariaDB, Debian 12 with
mariadb.socket off) nothing listens on the port between a crash and the restart, and
every connection attempt fails at once with 2003 (TCP) or 2002 (socket). systemd
restarts the server after RestartSec, and it answers after its start time: a retry of
the *connect* for that long turns the outage into a delay.

Only opening a connection is retried, and only when the handshake did not finish:
2002/2003 (nothing listening, refused), 2013/2006 (reset or lost during the handshake).
A query is never retried: it may have run. The budget comes from the plan (rendered
into STEADYDB["connect_retry"]): ``web`` = RestartSec + the server's start time, for
request handling that must answer soon; ``worker`` (longer) inside ``db_job``, the rq
job class and the dramatiq middleware. The wait between attempts doubles from 50 ms
to 250 ms; the whole call is bounded by the budget plus one connect_timeout.
"""
import contextvars
import time

RETRY_ERRORS = frozenset({2002, 2003, 2006, 2013})
FIRST_DELAY = 0.05
# The longest wait between attempts is also how late a request may notice that the
# server is back: with 1 s, the 2026-12-01 benchmark saw requests succeed ~0.9 s after
# the server was ready (Debian 13: ready 2.68 s, first success 3.61 s after kill -9). A
# refused connect costs a millisecond, so polling four times a second is cheap.
MAX_DELAY = 0.25

# "web" unless the code runs inside a worker job (worker.DbJob, rq_worker, dramatiq);
# "none" (no retry) in the probes that must see an outage as it is (health, burn-in).
KIND = contextvars.ContextVar("steadydb_connect_kind", default="web")
NO_RETRY = "none"


class no_retry:  # noqa: N801 - used like a function: ``with no_retry():``
    """Within: opening a connection is tried once (probes report what they meet)."""

    def __enter__(self):
        self._token = KIND.set(NO_RETRY)

    def __exit__(self, *exc):
        KIND.reset(self._token)
        return False


def error_number(exc):
    """The MySQL error number of a driver or Django error (2006, 1226, ...), or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        args = getattr(exc, "args", ())
        if args and isinstance(args[0], int):
            return args[0]
        exc = exc.__cause__ or exc.__context__
    return None


def budget(plan, kind=None):
    """Seconds of retry for ``kind`` ("web" or "worker"; default: the current context)."""
    kind = kind or KIND.get()
    retry = plan.get("connect_retry") or {}
    return 0.0 if kind == NO_RETRY else float(retry.get(kind) or 0)


def connect(open_connection, seconds, sleep=time.sleep, clock=time.monotonic, on_retry=None):
    """``open_connection()``, retried on RETRY_ERRORS for up to ``seconds``.

    Any other error, or one that comes when the next attempt would start after the
    budget, is raised unchanged (the last one). ``on_retry(code, attempt)`` is called
    before each wait (logging, counters).
    """
    deadline = clock() + seconds
    delay = FIRST_DELAY
    attempt = 0
    while True:
        attempt += 1
        try:
            return open_connection()
        except Exception as exc:
            code = error_number(exc)
            if code not in RETRY_ERRORS or clock() + delay > deadline:
                raise
            if on_retry is not None:
                on_retry(code, attempt)
            sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
