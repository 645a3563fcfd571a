#!/usr/bin/env python3
"""systemd's EnvironmentFile= parser against the shipped env-file format.

Writes the hostile passwords (argv[2]: tests/data/hostile_passwords.json, the set
tests/unit/test_steadydb_app_envfile.py reads), quoted by the package the role shipped
(steadydb_app.envfile, found under the directory given as argv[1]), into a private env
file, starts a transient unit that reads it with EnvironmentFile= and prints its
environment, and checks that systemd reads back every value for which envfile.readers()
names systemd (all of them: systemd agrees with sh).
Prints one JSON line; exit 1 when a value differs. Values are never printed.
"""
import json
import os
import subprocess
import sys
import tempfile

SHOW = "import json, os; print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('P_')}))"


def main(settings_dir, passwords_file):
    sys.path.insert(0, settings_dir)
    from steadydb_app import envfile

    with open(passwords_file, encoding="utf-8") as handle:
        hostile = json.load(handle)

    fd, path = tempfile.mkstemp(suffix=".env")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for key, value in hostile.items():
                handle.write("P_%s=%s\n" % (key.upper(), envfile.quote(value)))
        proc = subprocess.run(
            ["systemd-run", "--wait", "--pipe", "--quiet", "--collect",
             "--property=EnvironmentFile=" + path, "/usr/bin/python3", "-c", SHOW],
            capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        print(json.dumps({"error": proc.stderr[-500:]}))
        return 1
    got = json.loads(proc.stdout)
    wrong = [key for key, value in hostile.items()
             if ("systemd" in envfile.readers(value)) != (got.get("P_" + key.upper()) == value)]
    print(json.dumps({"checked": len(hostile), "wrong": wrong}))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
