"""steadydb_app.retry without a server: which errors are retried, the budget, the backoff."""
import os
import sys

import pytest

FILES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     "roles", "django_db_settings", "files")
sys.dont_write_bytecode = True
sys.path.insert(0, FILES)

from steadydb_app import retry  # noqa: E402


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class OperationalError(Exception):
    pass


def failing(codes, result="conn"):
    """open_connection that fails with the given error numbers, then succeeds."""
    codes = list(codes)

    def open_connection():
        if codes:
            code = codes.pop(0)
            raise OperationalError(code, "error %s" % code)
        return result
    return open_connection


@pytest.mark.parametrize("code", [2002, 2003, 2006, 2013])
def test_handshake_errors_are_retried(code):
    clock = Clock()
    assert retry.connect(failing([code, code, code]), 5, clock.sleep, clock.clock) == "conn"
    assert clock.sleeps == [0.05, 0.1, 0.2]


@pytest.mark.parametrize("code", [1045, 1040, 1226, 1049, None])
def test_other_errors_are_raised_at_once(code):
    clock = Clock()
    with pytest.raises(OperationalError):
        retry.connect(failing([code]), 5, clock.sleep, clock.clock)
    assert clock.sleeps == []


def test_budget_bounds_the_retries():
    clock = Clock()
    with pytest.raises(OperationalError):
        retry.connect(failing([2003] * 1000), 3, clock.sleep, clock.clock)
    assert clock.now <= 3 and max(clock.sleeps) == retry.MAX_DELAY
    # 0.05 + 0.1 + 0.2 + 10 x 0.25 = 2.85; the next 0.25 would pass 3.
    assert len(clock.sleeps) == 13


def test_a_server_back_is_noticed_within_the_longest_wait():
    # Before: waits grew to 1 s, so a request noticed a restarted server up to ~1 s late.
    clock = Clock()
    retry.connect(failing([2003] * 12), 10, clock.sleep, clock.clock)
    assert max(clock.sleeps) <= 0.25


def test_zero_budget_means_one_attempt():
    clock = Clock()
    with pytest.raises(OperationalError):
        retry.connect(failing([2003]), 0, clock.sleep, clock.clock)
    assert clock.sleeps == []


def test_on_retry_reports_code_and_attempt():
    seen = []
    clock = Clock()
    retry.connect(failing([2003, 2013]), 5, clock.sleep, clock.clock, on_retry=lambda c, a: seen.append((c, a)))
    assert seen == [(2003, 1), (2013, 2)]


def test_budget_by_context():
    plan = {"connect_retry": {"web": 4, "worker": 12}}
    assert retry.budget(plan) == 4.0
    token = retry.KIND.set("worker")
    try:
        assert retry.budget(plan) == 12.0
    finally:
        retry.KIND.reset(token)
    assert retry.budget({}) == 0.0 and retry.budget({"connect_retry": None}) == 0.0


def test_error_number_follows_the_cause_chain():
    class DjangoError(Exception):
        pass

    try:
        try:
            raise OperationalError(2003, "refused")
        except OperationalError as exc:
            raise DjangoError("wrapped") from exc
    except DjangoError as exc:
        assert retry.error_number(exc) == 2003
    assert retry.error_number(ValueError("x")) is None


def test_probes_never_retry():
    plan = {"connect_retry": {"web": 4, "worker": 12}}
    with retry.no_retry():
        assert retry.budget(plan) == 0.0
    assert retry.budget(plan) == 4.0
