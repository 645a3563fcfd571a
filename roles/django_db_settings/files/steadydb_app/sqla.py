"""SQLAlchemy engine of an app without Django: the same env file, the plan's pool data.

pool_recycle stays below the server's idle timeout and pool_pre_ping tests each
connection on checkout, so a pooled connection the server dropped is replaced instead
of failing with 2006/2013. The password goes to SQLAlchemy as a URL object, never
through a URL string, so no character needs escaping. No Django import.
"""
from . import envfile


class SteadydbConfigError(RuntimeError):
    """A connection variable is missing or wrong."""


def _environment(plan):
    import os

    file_values = {}
    if plan.get("load_env_file", True):
        try:
            file_values = envfile.read_env_file(plan["env_file"]) or {}
        except envfile.EnvFileError as exc:
            raise SteadydbConfigError("steadydb: cannot read %s: %s" % (plan["env_file"], exc)) from None

    def get(suffix):
        name = plan["env_prefix"] + suffix
        value = os.environ.get(name)
        if value is None:
            value = file_values.get(name)
        if value is None or value == "":
            raise SteadydbConfigError(
                "steadydb: the environment variable %s is not set (app %s); the deploy writes it to %s"
                % (name, plan["app"], plan["env_file"]))
        return value
    return get


def database_url(plan):
    """A sqlalchemy.engine.URL built from the environment (password unescaped)."""
    from sqlalchemy.engine import URL

    get = _environment(plan)
    host, port = get("HOST"), get("PORT")
    if not port.isdigit():
        raise SteadydbConfigError("steadydb: %sPORT must be a TCP port, not %r" % (plan["env_prefix"], port))
    query = {}
    if host.startswith("/"):
        query["unix_socket"] = host
        host = None
    return URL.create(
        "mysql+pymysql" if plan.get("driver") == "pymysql" else "mysql+mysqldb",
        username=get("USER"), password=get("PASSWORD"), host=host,
        port=int(port) if host else None, database=get("NAME"), query=query)


def engine_kwargs(plan):
    """The plan's create_engine() keyword arguments (a fresh copy)."""
    kwargs = dict(plan["engine_kwargs"])
    kwargs["connect_args"] = dict(kwargs.get("connect_args") or {})
    return kwargs


def create_engine(plan, **overrides):
    """sqlalchemy.create_engine(database_url(plan), **engine_kwargs(plan), **overrides)."""
    import sqlalchemy

    kwargs = engine_kwargs(plan)
    kwargs.update(overrides)
    return sqlalchemy.create_engine(database_url(plan), **kwargs)
