#!/usr/bin/env python3
"""kill -9 the main PID of a MySQL/MariaDB unit and time its recovery.

Usage: kill_probe.py UNIT LABEL LIMIT_SECONDS OUT_JSON

Sends SIGKILL to the unit's MainPID, then tries a PyMySQL connection over the
unix socket every 0.2 s until one succeeds (SELECT 1 on a *new* MainPID) or
LIMIT_SECONDS pass. Writes one JSON object (appended as a line to OUT_JSON) and
prints it. Bounded: one kill, at most LIMIT_SECONDS of probing.
"""
import json
import os
import signal
import subprocess
import sys
import time

import pymysql

SOCKET = "/run/mysqld/mysqld.sock"


def show(unit, prop):
    res = subprocess.run(["systemctl", "show", "-p", prop, "--value", unit],
                         capture_output=True, text=True, check=False)
    return res.stdout.strip()


def main():
    unit, label, limit, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    old_pid = int(show(unit, "MainPID") or 0)
    if old_pid <= 0:
        print(json.dumps({"label": label, "error": "unit has no MainPID"}))
        return 2
    restarts_before = int(show(unit, "NRestarts") or 0)
    start = time.monotonic()
    os.kill(old_pid, signal.SIGKILL)
    attempts = 0
    last_error = ""
    recovered = None
    while time.monotonic() - start < limit:
        attempts += 1
        try:
            conn = pymysql.connect(unix_socket=SOCKET, user="root", connect_timeout=1,
                                   read_timeout=2)
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
            conn.close()
            new_pid = int(show(unit, "MainPID") or 0)
            if new_pid and new_pid != old_pid:
                recovered = round(time.monotonic() - start, 2)
                break
        except Exception as exc:  # noqa: BLE001 - any failure means "not back yet"
            last_error = str(exc)[:160]
        time.sleep(0.2)
    result = {
        "label": label,
        "unit": unit,
        "killed_pid": old_pid,
        "recovered": recovered is not None,
        "seconds": recovered,
        "limit_seconds": limit,
        "attempts": attempts,
        "restarts_by_systemd": int(show(unit, "NRestarts") or 0) - restarts_before,
        "active_state": show(unit, "ActiveState"),
        "sub_state": show(unit, "SubState"),
        "restart_policy": show(unit, "Restart"),
        "restart_usec": show(unit, "RestartUSec"),
        "last_error": "" if recovered is not None else last_error,
    }
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(result) + "\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
