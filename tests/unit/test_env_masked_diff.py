"""The env file's diff under --check --diff, with the secrets masked (issue 17).

The defect: the env-file task said "changed" with no diff at all (diff: false, no_log),
so --check --diff could not explain the change. The diff shown now has every value
hidden except the plan's non-secret settings: app_files makes it on the host
(env_block.masked_diff) with the keys the role shows (steadydb_django.env_shown_keys).
"""

import steadydb_django as F  # tests/conftest.py puts the role's plugins on the path

from ansible.module_utils.steadydb import env_block

SHOWN = F.env_shown_keys("DB_")
OLD = ("REDIS_PASS=old-redis-secret\n"
       "# BEGIN steadydb django_db_settings app=shop\n"
       "DB_HOST='db1'\nDB_PASSWORD='old-pw'\nDB_CONN_MAX_AGE='60'\n"
       "DATABASE_URL='mysql://shop:old-pw@db1/shop'\n"
       "# END steadydb django_db_settings app=shop\n")
NEW = OLD.replace("old-pw", "new-pw").replace("'60'", "'240'").replace(
    "old-redis-secret", "new-redis-secret")


def test_settings_in_clear_secrets_masked_changes_still_shown():
    diff = env_block.masked_diff(OLD, NEW, SHOWN, "/srv/shop/shop.env").split("\n")
    text = "\n".join(diff)
    assert diff[0] == "--- /srv/shop/shop.env (before)"
    assert "-DB_CONN_MAX_AGE='60'" in diff and "+DB_CONN_MAX_AGE='240'" in diff
    assert "-DB_PASSWORD=********" in diff and "+DB_PASSWORD=********" in diff
    assert "-DATABASE_URL=********" in diff and "+DATABASE_URL=********" in diff
    assert "-REDIS_PASS=********" in diff and "+REDIS_PASS=********" in diff
    for secret in ("old-pw", "new-pw", "redis-secret"):
        assert secret not in text


def test_a_new_file_and_a_line_that_is_no_assignment():
    diff = env_block.masked_diff("", "garbage line with a secret\nDB_HOST='db1'\n", SHOWN).split("\n")
    assert "+********" in diff and "+DB_HOST='db1'" in diff
    assert "secret" not in "\n".join(diff)


def test_no_change_no_diff():
    assert env_block.masked_diff(OLD, OLD, SHOWN) == ""
