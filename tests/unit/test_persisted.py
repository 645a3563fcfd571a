"""Values persisted by SET PERSIST (module_utils/steadydb/persisted.py).

The JSON samples are what Oracle MySQL writes to DATADIR/mysqld-auto.cnf: Version 2 (8.0.29
and later; this one copied from MySQL 9.7.4 after SET PERSIST max_connections=77,
SET PERSIST_ONLY back_log=90, SET PERSIST innodb_buffer_pool_size=134217729 and
SET PERSIST sql_mode) and the older Version 1 layout under "mysql_server".
"""
import json

import pytest

from ansible.module_utils.steadydb.option_file import format_value
from ansible.module_utils.steadydb.persisted import (
    AUTO_CNF, PersistedError, describe, loads_persisted, parse_persisted, persisted_overrides,
    persisted_path)
from ansible.module_utils.steadydb.variables import VarInfo, to_sql_value

META = {"Host": "localhost", "User": "root", "Timestamp": 1796101913137130}

MYSQL_97 = json.dumps({
    "Version": 2,
    "mysql_static_variables": {
        "back_log": {"Value": "90", "Metadata": META},
        "innodb_buffer_pool_size": {"Value": "134217728", "Metadata": META}},
    "mysql_dynamic_variables": {
        "sql_mode": {"Value": "STRICT_TRANS_TABLES", "Metadata": META}},
    "mysql_dynamic_parse_early_variables": {
        "max_connections": {"Value": "77", "Metadata": META}},
})

MYSQL_80_V1 = json.dumps({
    "Version": 1,
    "mysql_server": {
        "max_connections": {"Value": "77", "Metadata": META},
        "wait_timeout": {"Value": "600", "Metadata": META},
        "mysql_server_static_options": {
            "back_log": {"Value": "90", "Metadata": META}}},
})

# The first 8.0 releases wrote bare strings.
MYSQL_80_BARE = json.dumps({"mysql_server": {"max_connections": "77",
                                             "mysql_server_static_options": {"back_log": "90"}}})


def test_version_2_every_section():
    assert parse_persisted(MYSQL_97) == {
        "back_log": "90", "innodb_buffer_pool_size": "134217728",
        "sql_mode": "STRICT_TRANS_TABLES", "max_connections": "77"}


@pytest.mark.parametrize("text", [MYSQL_80_V1, MYSQL_80_BARE])
def test_version_1_layouts(text):
    values = parse_persisted(text)
    assert values["max_connections"] == "77"
    assert values["back_log"] == "90"


def test_encrypted_sensitive_variables_are_skipped():
    data = json.loads(MYSQL_97)
    data["mysql_sensitive_variables"] = {
        "master_key_id": 1, "mysql_file_key": "AAAA", "mysql_file_key_iv": "BBBB",
        "key_encryption_iv": "CCCC", "mysql_sensitive_dynamic_variables": "ZZZZ"}
    values = parse_persisted(json.dumps(data))
    assert "master_key_id" not in values and "mysql_file_key" not in values
    assert values["max_connections"] == "77"


def test_names_normalised_and_plugin_names_kept():
    text = json.dumps({"Version": 2, "mysql_dynamic_variables": {
        "Max-Connections": {"Value": "77"}, "validate_password.length": {"Value": "12"}}})
    assert parse_persisted(text) == {"max_connections": "77", "validate_password.length": "12"}


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", '{"Version": 2, "mysql_dynamic_variables": 3}'])
def test_corrupt_file_is_an_error(text):
    # mysqld refuses to start on a corrupt mysqld-auto.cnf; so do we refuse to guess.
    with pytest.raises(PersistedError):
        parse_persisted(text)


def test_path_from_option_then_effective_then_default():
    effective = [("datadir", "/srv/old"), ("datadir", "/srv/mysql/")]
    assert persisted_path(effective, "/data") == "/data/" + AUTO_CNF
    assert persisted_path(effective) == "/srv/mysql/" + AUTO_CNF
    assert persisted_path([("max_connections", "1")]) == "/var/lib/mysql/" + AUTO_CNF


def test_persisted_globals_load():
    assert loads_persisted([]) is True
    assert loads_persisted([("persisted_globals_load", "OFF")]) is False
    assert loads_persisted([("persisted_globals_load", "0"), ("persisted_globals_load", "ON")]) is True
    assert loads_persisted([("persisted_globals_load", None)]) is True  # a bare flag is ON


def test_overrides_name_file_variable_and_the_way_out():
    persisted = parse_persisted(MYSQL_97)
    desired = {"max_connections": 300, "back_log": 90, "innodb_buffer_pool_size": "128M",
               "wait_timeout": 600}
    problems = persisted_overrides(persisted, desired, "/var/lib/mysql/mysqld-auto.cnf")
    assert problems == [{"option": "max_connections", "ours": "300", "effective": "77",
                         "files": ["/var/lib/mysql/mysqld-auto.cnf"], "persisted": True,
                         "clear": "RESET PERSIST max_connections"}]
    text = describe(problems[0])
    assert "max_connections = 77" in text and "/var/lib/mysql/mysqld-auto.cnf" in text
    assert "next start" in text and "RESET PERSIST max_connections" in text


def test_same_values_in_other_spellings_are_not_overrides():
    persisted = {"innodb_buffer_pool_size": "1073741824", "skip_name_resolve": "ON",
                 "sql_mode": "STRICT_TRANS_TABLES"}
    desired = {"innodb-buffer-pool-size": "1G", "skip_name_resolve": True,
               "sql_mode": "STRICT_TRANS_TABLES"}
    assert persisted_overrides(persisted, desired, "f") == []


@pytest.mark.parametrize("info,value", [
    (VarInfo("max_connections", "151", "BIGINT UNSIGNED", "1", "100000"), 300),
    (VarInfo("innodb_buffer_pool_size", "134217728", "BIGINT UNSIGNED", "5242880", None), "1G"),
    (VarInfo("innodb_buffer_pool_size", "134217728", "BIGINT UNSIGNED", "5242880", None), "1.5G"),
    (VarInfo("skip_name_resolve", "OFF", "BOOLEAN"), True),
    (VarInfo("thread_handling", "one-thread-per-connection", "ENUM", None, None,
             ["no-threads", "one-thread-per-connection"]), "ONE-THREAD-PER-CONNECTION"),
    (VarInfo("long_query_time", "10.000000", "DOUBLE", "0", "31536000"), 2.5),
])
def test_set_persist_value_means_the_drop_in_value(info, value):
    """What mysql_global_variables binds in SET PERSIST is what the drop-in line says.

    Enums are the server's spelling in SET PERSIST (and in mysqld-auto.cnf) but as given in
    the drop-in; the server reads both case-insensitively.
    """
    persisted = str(to_sql_value(info, value))
    dropin = format_value(value)
    assert persisted_overrides({info.name: persisted}, {info.name: dropin}, "f") == []


def test_a_value_no_drop_in_could_hold_is_compared_not_raised():
    # mysql_global_variables sets such a value without a drop-in; format_value refuses it.
    problems = persisted_overrides({"init_connect": "x"}, {"init_connect": "a\\sb"}, "auto")
    assert [p["ours"] for p in problems] == ["a\\sb"]
