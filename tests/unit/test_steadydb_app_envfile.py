"""The shipped env-file format (roles/django_db_settings/files/steadydb_app/envfile.py)
against every reader it claims, without Ansible: POSIX sh (set -a; . FILE),
django-environ Env.read_env, python-dotenv (load_dotenv's defaults), python-decouple
and steadydb's own parser; DATABASE_URL through each of them, then dj-database-url and
django-environ's URL parser. systemd's EnvironmentFile= is proved in molecule/django
(this host does not run systemd).

For every hostile password: the readers that ``readers()`` names read it back exactly,
and the others do not (the claim is exact, in both directions), and the URL variable is
right for every reader.
"""
import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = os.path.join(REPO, "roles", "django_db_settings", "files")
sys.dont_write_bytecode = True  # keep __pycache__ out of the role's shipped package
sys.path.insert(0, FILES)
from steadydb_app import envfile  # noqa: E402

dotenv = pytest.importorskip("dotenv")
decouple = pytest.importorskip("decouple")

# The hostile passwords, one set for this test and molecule/django's systemd check.
with open(os.path.join(REPO, "tests", "data", "hostile_passwords.json"), encoding="utf-8") as _handle:
    HOSTILE = json.load(_handle)


def database_url(password):
    from urllib.parse import quote as pct

    return "mysql://u:%s@h:3306/n?connect_timeout=5" % pct(password, safe="")


@pytest.fixture(scope="module")
def env_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("envfile") / "app.env"
    lines = ["# comment line"]
    for key, value in HOSTILE.items():
        lines.append("P_%s=%s" % (key.upper(), envfile.quote(value)))
        lines.append("U_%s=%s" % (key.upper(), envfile.quote(database_url(value))))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _names():
    return ["P_" + k.upper() for k in HOSTILE] + ["U_" + k.upper() for k in HOSTILE]


def read_sh(path):
    names = _names()
    script = 'set -a; . "$1"; set +a; printf "%s\\0" ' + " ".join('"$%s"' % n for n in names)
    proc = subprocess.run(["sh", "-c", script, "sh", path], capture_output=True,
                          env={"PATH": os.environ["PATH"], "HOME": "/home/x"}, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return dict(zip(names, proc.stdout.decode("utf-8").split("\0")))


def read_django_environ(path):
    code = ("import environ, json, os\nenviron.Env.read_env(%r)\n"
            "print(json.dumps({k: v for k, v in os.environ.items() if k[:2] in ('P_', 'U_')}))" % path)
    env = {k: v for k, v in os.environ.items() if k[:2] not in ("P_", "U_")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def read_dotenv(path):
    return dict(dotenv.dotenv_values(path))  # load_dotenv's defaults: interpolate=True


def read_decouple(path):
    return dict(decouple.RepositoryEnv(path).data)


def read_steadydb(path):
    return envfile.read_env_file(path)


READ = {"sh": read_sh, "django-environ": read_django_environ, "python-dotenv": read_dotenv,
        "python-decouple": read_decouple, "steadydb": read_steadydb}


@pytest.fixture(scope="module")
def read(env_file):
    return {reader: func(env_file) for reader, func in READ.items()}


@pytest.mark.parametrize("reader", sorted(READ))
@pytest.mark.parametrize("key", sorted(HOSTILE))
def test_claimed_readers_get_the_password(read, reader, key):
    got = read[reader].get("P_" + key.upper())
    claimed = reader in envfile.readers(HOSTILE[key])
    assert (got == HOSTILE[key]) == claimed, (reader, key, got, envfile.quote(HOSTILE[key]))


@pytest.mark.parametrize("reader", sorted(READ))
@pytest.mark.parametrize("key", sorted(HOSTILE))
def test_url_variable_is_right_for_every_reader(read, reader, key):
    import dj_database_url
    import environ

    url = read[reader]["U_" + key.upper()]
    assert url == database_url(HOSTILE[key])
    assert dj_database_url.parse(url)["PASSWORD"] == HOSTILE[key]
    assert environ.Env.db_url_config(url)["PASSWORD"] == HOSTILE[key]


def test_issue_hostile_set_is_portable_except_dotenv_interpolation():
    # The issue's set: quote, $, backquote, backslash, ${...}, spaces, #: every reader
    # but python-dotenv's interpolation of ${...} reads them right.
    for key in ("quote", "dollar", "backquote", "backslash", "spaces", "hash"):
        assert envfile.readers(HOSTILE[key]) == envfile.READERS, key
    assert envfile.readers(HOSTILE["brace"]) == tuple(r for r in envfile.READERS if r != "python-dotenv")


def test_dotenv_without_interpolation_reads_brace(env_file):
    assert dotenv.dotenv_values(env_file, interpolate=False)["P_BRACE"] == HOSTILE["brace"]


def test_quote_forms():
    assert envfile.quote("a$b") == "'a$b'"
    assert envfile.quote("it's") == '"it\'s"'
    assert envfile.quote("it's $x") == '"it\'s \\$x"'
    assert envfile.quote(True) == "'True'" and envfile.quote(3306) == "'3306'"


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\x00b"])
def test_line_breaks_refused(value):
    with pytest.raises(envfile.EnvFileError, match="newlines"):
        envfile.quote(value)


def test_parse_errors_name_the_line_and_keys_filter():
    with pytest.raises(envfile.EnvFileError, match="f line 2 is not KEY=VALUE"):
        envfile.parse("A=1\nnot an assignment\n", source="f")
    with pytest.raises(envfile.EnvFileError, match="f line 1 \\(A\\): unterminated single quote"):
        envfile.parse("A='x\n", source="f")
    # Only the keys asked for are parsed: a foreign malformed line is no error.
    assert envfile.parse("X='broken\nexport A=\"v\\$\"\n", keys={"A"}) == {"A": "v$"}


def test_read_env_file_missing_is_none(tmp_path):
    assert envfile.read_env_file(str(tmp_path / "missing.env")) is None


def test_round_trip_property():
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    @hypothesis.given(st.text(alphabet=st.characters(blacklist_characters="".join(envfile.FORBIDDEN),
                                                     blacklist_categories=("Cs",))))
    @hypothesis.settings(max_examples=300, deadline=None)
    def check(value):
        assert envfile.unquote(envfile.quote(value)) == value
        assert envfile.parse("K=" + envfile.quote(value))["K"] == value

    check()


@pytest.mark.parametrize("char", ["\x0b", "\x0c", "\x1c", "\x85", "\u2028"])
def test_other_line_breaks_refused(char, tmp_path):
    # django-environ splits the file with str.splitlines(): these would cut the line.
    path = tmp_path / "x.env"
    path.write_text("P_K='a%sb'\n" % char, encoding="utf-8")
    got = read_django_environ(str(path))
    assert "P_K" in got and got["P_K"] != "a%sb" % char
    with pytest.raises(envfile.EnvFileError, match="line breaks"):
        envfile.quote("a%sb" % char)


def test_reason_never_quotes_the_value():
    assert envfile.reason("plain") == "" and envfile.reason("it's") == ""
    assert "python-dotenv expands" in envfile.reason("x${SECRETVALUE}")
    why = envfile.reason("it's $SECRETVALUE")
    assert "python-dotenv and python-decouple do not undo" in why and "SECRETVALUE" not in why
