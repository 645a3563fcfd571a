"""Sick peers on 127.0.0.1 for the hostile tests: things on a port that are not a healthy
MySQL server.

``Peer(kind, ...)`` is a context manager: a listener on a free port of 127.0.0.1 served
by a thread, ``peer.port`` to point a module at, ``peer.accepted`` to prove the module
really got through TCP. Every socket operation of the thread is bounded (0.2 s polls)
so the listener stops at teardown however the test ended.

Kinds:

- ``silent``: accepts and never writes (a hung server, a firewall proxy, the MySQL X
  Protocol port, an HTTP server waiting for the request).
- ``banner``: accepts and writes ``banner`` (an SSH or HTTP greeting), then keeps the
  connection open without writing more.
- ``mysql_then_silent``: speaks just enough MySQL to let PyMySQL log in (handshake, OK
  to the authentication and to every ``SET`` statement), then never answers the first
  other query: a server that hangs in the middle of a session.
"""
import socket
import struct
import threading

# CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION
# | CLIENT_PLUGIN_AUTH: what PyMySQL needs for a mysql_native_password login.
_CAPABILITIES = 0x1 | 0x200 | 0x2000 | 0x8000 | 0x80000
_SERVER_STATUS_AUTOCOMMIT = 0x2
_OK = b"\x00\x00\x00" + struct.pack("<HH", _SERVER_STATUS_AUTOCOMMIT, 0)


def _packet(seq, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def _handshake():
    scramble = b"abcdefghijklmnopqrst"
    payload = (b"\x0a" + b"10.11.0-MariaDB-fake-peer\x00" + struct.pack("<I", 7)
               + scramble[:8] + b"\x00"
               + struct.pack("<H", _CAPABILITIES & 0xFFFF) + bytes([45])
               + struct.pack("<H", _SERVER_STATUS_AUTOCOMMIT)
               + struct.pack("<H", _CAPABILITIES >> 16) + bytes([21]) + b"\x00" * 10
               + scramble[8:] + b"\x00" + b"mysql_native_password\x00")
    return _packet(0, payload)


class Peer(object):

    def __init__(self, kind, banner=b""):
        assert kind in ("silent", "banner", "mysql_then_silent")
        self.kind = kind
        self.banner = banner
        self.accepted = 0
        self.queries = []
        self._stop = threading.Event()
        self._conns = []
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(16)
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        for conn in self._conns:
            conn.close()
        self._server.close()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _addr = self._server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            self._conns.append(conn)
            conn.settimeout(0.2)
            if self.kind == "banner":
                conn.sendall(self.banner)
            elif self.kind == "mysql_then_silent":
                threading.Thread(target=self._speak_mysql, args=(conn,), daemon=True).start()
            # "silent" (and "banner" after its greeting): hold the connection, say nothing.

    def _read(self, conn, size):
        data = b""
        while len(data) < size and not self._stop.is_set():
            try:
                chunk = conn.recv(size - len(data))
            except socket.timeout:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
        return data if len(data) == size else None

    def _read_packet(self, conn):
        header = self._read(conn, 4)
        if header is None:
            return None, None
        length = header[0] | header[1] << 8 | header[2] << 16
        return header[3], self._read(conn, length)

    def _speak_mysql(self, conn):
        try:
            conn.sendall(_handshake())
            seq, _auth = self._read_packet(conn)
            if seq is None:
                return
            conn.sendall(_packet(seq + 1, _OK))
            while not self._stop.is_set():
                seq, payload = self._read_packet(conn)
                if payload is None or payload[:1] == b"\x01":  # gone, or COM_QUIT
                    return
                query = payload[1:].decode("utf-8", "replace")
                self.queries.append(query)
                if payload[:1] == b"\x03" and query.strip().upper().startswith("SET "):
                    conn.sendall(_packet(seq + 1, _OK))
                    continue
                # Anything else: never answer (the test's teardown closes the socket).
                self._stop.wait()
                return
        except OSError:
            return
