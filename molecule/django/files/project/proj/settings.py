"""Settings of the test app: everything about the database comes from steadydb_db.py."""
SECRET_KEY = "steadydb-molecule-test-only"  # noqa: S105 - test project, no secret
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# proj.steadydb_app: the package the role ships (management commands steadydb_health,
# steadydb_burnin)
INSTALLED_APPS = ["jobs", "proj.steadydb_app"]
MIDDLEWARE = []
ROOT_URLCONF = "proj.urls"
WSGI_APPLICATION = "proj.wsgi.application"
USE_TZ = True
LOGGING = {"version": 1, "disable_existing_loggers": False}

from .steadydb_db import DATABASES  # noqa: E402,F401  rendered by django_db_settings
