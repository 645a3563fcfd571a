#!/usr/bin/env python3
"""Fault 5: a second app ("runaway", its own account) that leaks connections.

Opens up to --attempts connections one after another and keeps every one it gets,
prints one JSON line ("ready") with what it got, then holds them until stdin closes
or --hold seconds pass, whichever comes first. Plain PyMySQL, like a small data
logger would use; it talks to 127.0.0.1 inside the container only.
"""
import argparse
import json
import select
import sys
import time

import pymysql


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=300)
    parser.add_argument("--hold", type=float, default=60.0)
    parser.add_argument("--secret", default="/srv/runaway/secret.json")
    args = parser.parse_args()
    secret = json.load(open(args.secret))
    held, codes = [], {}
    t0 = time.monotonic()
    for _ in range(max(1, min(args.attempts, 2000))):
        try:
            conn = pymysql.connect(host="127.0.0.1", port=3306, user=secret["user"],
                                   password=secret["password"], database=secret["db"],
                                   connect_timeout=5)
            held.append(conn)
        except pymysql.err.MySQLError as exc:
            code = str(exc.args[0]) if exc.args else type(exc).__name__
            codes[code] = codes.get(code, 0) + 1
        if time.monotonic() - t0 > 60:
            break
    print(json.dumps({"ready": True, "held": len(held), "refused": sum(codes.values()),
                      "codes": codes}), flush=True)
    deadline = time.monotonic() + min(args.hold, 300)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sys.stdin], [], [], 0.2)
        if ready and not sys.stdin.readline():
            break
    for conn in held:
        try:
            conn.close()
        except pymysql.err.MySQLError:
            pass


if __name__ == "__main__":
    main()
