#!/usr/bin/env python3
"""Fault tests for the mysql_systemd drop-in, run inside a test container.

Usage: fault_tests.py UNIT DROPIN CONF_DIR START_LIMIT_BURST LIMIT_SECONDS OUT_JSON

Flavor-neutral (MariaDB, Oracle MySQL): the server's messages are read from the
journal and from the error log file (Oracle MySQL's Debian package logs there).

1. with-steadydb-dropin: SIGKILL the unit's MainPID (what the OOM killer does)
   and time until a PyMySQL connection over the unix socket succeeds again; three
   times, the median counts.
2. baseline-packaged-unit: the same with the drop-in moved away (daemon-reload),
   i.e. the packaged unit alone; the drop-in is put back afterwards.
3. config-error-unknown-option: a test-only option file in CONF_DIR has an unknown
   option; `systemctl restart` fails. MariaDB exits with a code the drop-in lists in
   RestartPreventExitStatus (no automatic restart); Oracle MySQL's unit fails in its
   ExecStartPre check (exit 1 of a control process, which RestartPreventExitStatus
   does not cover), so systemd retries until the start limit trips. Wait until the
   unit stays failed (at most the start limit interval + 10 s), count the tries and
   read the unit state and the logs, then remove the bad option and start again.
4. crash-loop-start-limit: kill the server each time it is up again (a server
   that dies during every start); systemd must give up after StartLimitBurst
   starts (Result=start-limit-hit) instead of looping. Then reset-failed + start.

Bounded: three kills per case 1-2 (at most LIMIT_SECONDS of probing each), one
failed restart watched for at most the start limit interval + 10 s, at most
START_LIMIT_BURST + 1 kills within 2 x LIMIT_SECONDS. The drop-in is always
restored and the bad option always removed. Writes
one JSON document (a list of results) to OUT_JSON and prints it.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pymysql

SOCKET = "/run/mysqld/mysqld.sock"
BAD_CNF = "zz-sdb-test-bad-option.cnf"
BAD_OPTION = "sdb-test-no-such-option"
# Where Oracle MySQL's Debian package sends the server's log (MariaDB: the journal).
ERROR_LOGS = ("/var/log/mysql/error.log",)
# Kills per case 1-2: the median is compared.
KILL_REPEATS = 3
# The line each flavor logs once per server start.
START_LINES = ("[Note] Starting MariaDB", "starting as process")


class Logs:
    """The journal of the unit and the error log files, from now on."""

    def __init__(self, unit):
        self.unit = unit
        # journalctl --since has whole seconds: begin in a fresh second so that
        # earlier lines are not counted.
        self.t0 = int(time.time()) + 1
        time.sleep(max(0.0, self.t0 - time.time()) + 0.05)
        self.offsets = {}
        for path in ERROR_LOGS:
            try:
                self.offsets[path] = os.path.getsize(path)
            except OSError:
                self.offsets[path] = 0

    def sources(self):
        """The new lines of each source, one list per source."""
        out = run("journalctl", "-u", self.unit, "--since", f"@{self.t0}", "-o", "cat").stdout
        found = [out.splitlines()]
        for path, offset in self.offsets.items():
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    fh.seek(offset)
                    found.append(fh.read().splitlines())
            except OSError:
                pass
        return found

    def lines(self):
        return [line for source in self.sources() for line in source]

    def count(self, predicate):
        """Events logged once per occurrence, in whichever source has them (a message
        may reach both the journal and the error log: count one source)."""
        return max(sum(1 for line in source if predicate(line)) for source in self.sources())


def run(*argv):
    return subprocess.run(list(argv), capture_output=True, text=True, check=False)


def show(unit, *props):
    args = ["systemctl", "show"] + [f"--property={p}" for p in props] + [unit]
    out = run(*args).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def seconds(span):
    """A duration as systemctl prints it ("5min", "1min 30s", "100ms") -> seconds."""
    factors = {"h": 3600, "min": 60, "s": 1, "ms": 0.001, "us": 1e-6}
    total = 0.0
    for part in span.split():
        number = part.rstrip("abcdefghijklmnopqrstuvwxyz")
        total += float(number) * factors.get(part[len(number):] or "s", 0)
    return total


def connect_ok(timeout=1):
    conn = pymysql.connect(unix_socket=SOCKET, user="root", connect_timeout=timeout,
                           read_timeout=2)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            return cur.fetchone()[0] == 1
    finally:
        conn.close()


def wait_active(unit, limit=60):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if run("systemctl", "is-active", unit).stdout.strip() == "active":
            return True
        time.sleep(0.5)
    return False


def unit_pids(unit):
    """PIDs in the unit's control group (any hierarchy), from /proc/*/cgroup."""
    pids = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cgroup", encoding="utf-8") as fh:
                lines = fh.read().splitlines()
        except OSError:
            continue
        if any(line.endswith("/" + unit) for line in lines):
            pids.add(int(entry))
    return pids


def settled(unit):
    """Active, and mariadbd is the only process left in the unit.

    Debian's ExecStartPost (debian-start) leaves a background check running for
    a moment after the unit turns active. Killing mariadbd while it still runs
    makes systemd stop that helper too, and inside these containers (cgroup v1
    named hierarchy, no release agent) systemd never hears that the cgroup became
    empty: the unit then hangs in `deactivating` until TimeoutStopSec (15 min,
    SendSIGKILL=no). On a host with cgroup v2 this does not happen. The tests
    therefore kill only a settled server.
    """
    props = show(unit, "ActiveState", "MainPID")
    pid = int(props.get("MainPID") or 0)
    return props.get("ActiveState") == "active" and pid > 0 and unit_pids(unit) == {pid}


def wait_settled(unit, limit=30):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if settled(unit):
            return True
        time.sleep(0.2)
    return False


def kill_and_time(unit, label, limit):
    wait_settled(unit)
    before = show(unit, "MainPID", "NRestarts", "Restart", "RestartUSec")
    old_pid = int(before.get("MainPID") or 0)
    if old_pid <= 0:
        return {"label": label, "recovered": False, "error": "unit has no MainPID"}
    start = time.monotonic()
    os.kill(old_pid, signal.SIGKILL)
    attempts, last_error, back_after = 0, "", None
    while time.monotonic() - start < limit:
        attempts += 1
        try:
            if connect_ok():
                new_pid = int(show(unit, "MainPID").get("MainPID") or 0)
                if new_pid and new_pid != old_pid:
                    back_after = round(time.monotonic() - start, 2)
                    break
        except Exception as exc:  # noqa: BLE001 - any failure means "not back yet"
            last_error = str(exc)[:160]
        time.sleep(0.2)
    after = show(unit, "NRestarts", "ActiveState", "SubState")
    return {
        "label": label,
        "recovered": back_after is not None,
        "seconds": back_after,
        "limit_seconds": limit,
        "connect_attempts": attempts,
        "restart_policy": before.get("Restart"),
        "restart_usec": before.get("RestartUSec"),
        "restart_seconds": seconds(before.get("RestartUSec") or "0"),
        "automatic_restarts": int(after.get("NRestarts") or 0) - int(before.get("NRestarts") or 0),
        "state_after": f"{after.get('ActiveState')}/{after.get('SubState')}",
        "last_error": "" if back_after is not None else last_error,
    }


def kill_series(unit, label, limit, repeats=KILL_REPEATS):
    """kill_and_time ``repeats`` times (start-limit counter reset before each, so the
    kills are independent crashes); ``seconds`` is the median, ``each`` every value.
    One kill on a loaded machine varies by about a second."""
    each = []
    for _ in range(repeats):
        run("systemctl", "reset-failed", unit)
        each.append(kill_and_time(unit, label, limit))
        wait_active(unit)
    result = dict(each[-1])
    times = sorted(r["seconds"] for r in each if r["recovered"])
    result["recovered"] = len(times) == repeats
    result["seconds"] = times[len(times) // 2] if times else None
    result["each"] = [r["seconds"] for r in each]
    result["automatic_restarts"] = min(r["automatic_restarts"] for r in each)
    return result


def config_error(unit, conf_dir, limit):
    bad = os.path.join(conf_dir, BAD_CNF)
    logs = Logs(unit)
    begin = time.monotonic()
    try:
        with open(bad, "w", encoding="utf-8") as fh:
            fh.write("# molecule/systemd fault test only; removed by the test.\n"
                     f"[mysqld]\n{BAD_OPTION}=1\n")
        restart = run("systemctl", "restart", unit)
        # Failed and no restart scheduled: watch 3 s more to see that it stays failed.
        failed_at, end = None, time.monotonic() + limit
        while time.monotonic() < end:
            state = show(unit, "ActiveState")["ActiveState"]
            if state == "failed":
                failed_at = failed_at or time.monotonic()
                if time.monotonic() - failed_at >= 3:
                    break
            else:
                failed_at = None
            time.sleep(0.2)
        props = show(unit, "ActiveState", "Result", "ExecMainStatus", "NRestarts")
        lines = logs.lines()
        mentions = [line for line in lines if "unknown variable" in line and BAD_OPTION in line]
        tries = logs.count(lambda line: "unknown variable" in line and BAD_OPTION in line)
    finally:
        if os.path.exists(bad):
            os.remove(bad)
    run("systemctl", "reset-failed", unit)
    started = run("systemctl", "start", unit).returncode == 0
    back = False
    if started:
        try:
            back = connect_ok(timeout=5)
        except Exception:  # noqa: BLE001
            back = False
    return {
        "label": "config-error-unknown-option",
        "restart_rc": restart.returncode,
        "active_state": props.get("ActiveState"),
        "result": props.get("Result"),
        "exit_status": int(props.get("ExecMainStatus") or -1),
        "automatic_restarts": int(props.get("NRestarts") or 0),
        "tries": tries,
        "start_limit_hit": any("Start request repeated too quickly" in line for line in lines),
        "seconds_to_failed": round(failed_at - begin, 2) if failed_at else None,
        "journal": mentions[0] if mentions else "",
        "started_after_fix": started and back,
    }


def crash_loop(unit, burst, limit):
    """Kill the server every time it comes up, StartLimitBurst + 1 times at most.

    A server that dies during every start must not be restarted forever: after
    StartLimitBurst starts within StartLimitIntervalSec systemd refuses the next
    one ("Start request repeated too quickly") and the unit ends failed. (systemd
    252/257 keep Result=signal from the last death; the journal line is the proof.)
    """
    wait_settled(unit)
    run("systemctl", "reset-failed", unit)  # start the rate-limit count from zero
    logs = Logs(unit)
    start = time.monotonic()
    kills, last_pid = 0, 0
    while time.monotonic() - start < limit and kills <= burst:
        props = show(unit, "ActiveState", "MainPID")
        pid = int(props.get("MainPID") or 0)
        if props.get("ActiveState") == "failed":
            break
        if pid and pid != last_pid and settled(unit):
            os.kill(pid, signal.SIGKILL)
            kills += 1
            last_pid = pid
        time.sleep(0.2)
    # Watch a little longer: no further start may happen.
    time.sleep(3)
    props = show(unit, "ActiveState", "Result", "NRestarts")
    journal = logs.lines()
    starts = logs.count(lambda line: any(m in line for m in START_LINES))
    result = {
        "label": "crash-loop-start-limit",
        "kills": kills,
        "seconds": round(time.monotonic() - start, 2),
        "active_state": props.get("ActiveState"),
        "result": props.get("Result"),
        "restarts_scheduled": int(props.get("NRestarts") or 0),
        # Each start logs "Starting MariaDB <version>" / "mysqld ... starting as process".
        "server_starts": starts,
        "start_limit_hit": any("Start request repeated too quickly" in line for line in journal),
        "start_limit_burst": burst,
    }
    run("systemctl", "reset-failed", unit)
    run("systemctl", "start", unit)
    result["started_after_reset"] = wait_active(unit)
    return result


def main():
    unit, dropin, conf_dir, burst, limit, out = sys.argv[1:7]
    burst, limit = int(burst), float(limit)
    results = []
    results.append(kill_series(unit, "with-steadydb-dropin", limit))
    wait_active(unit)

    parked = "/root/" + os.path.basename(dropin) + ".baseline"
    shutil.move(dropin, parked)
    try:
        run("systemctl", "daemon-reload")
        results.append(kill_series(unit, "baseline-packaged-unit", limit))
    finally:
        shutil.move(parked, dropin)
        run("systemctl", "daemon-reload")
    run("systemctl", "start", unit)
    wait_active(unit)

    interval = seconds(show(unit, "StartLimitIntervalUSec")["StartLimitIntervalUSec"])
    results.append(config_error(unit, conf_dir, interval + 10))
    results.append(crash_loop(unit, burst, 2 * limit))
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(results, fh, indent=1)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
