"""Issue 12 item 15 (first half): a service on the port that is not MySQL.

PyMySQL reads an SSH or HTTP greeting as a MySQL packet header and says "Packet sequence
number wrong - got 45 expected 0"; the module must say the port does not speak the
MySQL protocol, and fail at once.
"""
import time

import pytest

from conftest import run_module
from hostile_peers import Peer

pytestmark = pytest.mark.hostile


@pytest.mark.parametrize("banner", [
    b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    b"220 mail.example.com ESMTP Postfix\r\n",
], ids=["ssh", "http", "smtp"])
def test_non_mysql_service_on_the_port(banner):
    with Peer("banner", banner=banner) as peer:
        started = time.monotonic()
        result, _out = run_module("mysql_facts", {
            "login_host": "127.0.0.1", "login_port": peer.port, "login_user": "root",
            "login_password": "", "config_file": "", "connect_timeout": 3}, timeout=60)
        elapsed = time.monotonic() - started
        assert peer.accepted >= 1
    assert result.get("failed") is True, result
    msg = result["msg"]
    assert "127.0.0.1:%d does not speak the MySQL protocol" % peer.port in msg
    assert "login_port" in msg
    assert elapsed < 20
