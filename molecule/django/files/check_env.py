#!/usr/bin/env python3
"""Exit 0 when the environment carries the expected password (compared by SHA-256, never
printed) in DB_PASSWORD and, percent-decoded, in DATABASE_URL; print what differs."""
import hashlib
import os
import sys
from urllib.parse import unquote, urlsplit


def digest(value):
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def main(expected, label):
    problems = []
    password = os.environ.get("DB_PASSWORD")
    if password is None:
        problems.append("DB_PASSWORD not set")
    elif digest(password) != expected:
        problems.append("DB_PASSWORD differs (length %d)" % len(password))
    url = os.environ.get("DATABASE_URL", "")
    url_password = unquote(urlsplit(url).password or "")
    if digest(url_password) != expected:
        problems.append("DATABASE_URL password differs")
    if problems:
        print("%s: %s" % (label, "; ".join(problems)))
        return 1
    print("%s: password round-trips" % label)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "env"))
