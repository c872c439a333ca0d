"""The HTTP server on a hostile network: framing, limits, keep-alive, pipelining."""
import socket
import time
from urllib.parse import urlparse

from conftest import API_KEY


def _connect(base_url):
    u = urlparse(base_url)
    s = socket.create_connection((u.hostname, u.port), timeout=10)
    return s


def _read_all(s, timeout=10):
    s.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    return data


def test_content_length_with_transfer_encoding_is_refused(base_url):
    s = _connect(base_url)
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    data = _read_all(s)
    assert data.startswith(b"HTTP/1.1 400"), data[:100]
    assert b"Connection: close" in data


def test_malformed_chunk_is_refused(base_url):
    s = _connect(base_url)
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n")
    assert _read_all(s).startswith(b"HTTP/1.1 400")


def test_unknown_transfer_encoding_is_refused(base_url):
    s = _connect(base_url)
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n")
    assert _read_all(s).startswith(b"HTTP/1.1 501")


def test_oversize_header_is_431(base_url):
    s = _connect(base_url)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
    assert _read_all(s).startswith(b"HTTP/1.1 431")


def test_slow_header_is_cut_off_without_blocking_others(base_url):
    slow = _connect(base_url)
    slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes the head
    start = time.time()
    fast = _connect(base_url)
    fast.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b'{"status":"ok"}' in _read_all(fast)
    assert time.time() - start < 1.5
    assert _read_all(slow, timeout=6) == b""  # closed by the 2 s header timeout


def test_keep_alive_and_pipelining_answer_in_order(base_url):
    s = _connect(base_url)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + API_KEY.encode() + b"\r\n\r\n"
              b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = _read_all(s)
    assert data.count(b"HTTP/1.1 200") == 3
    i_health, i_models, i_ready = data.find(b'"status":"ok"'), data.find(b'"object":"list"'), data.find(b'"ready"')
    assert 0 < i_health < i_models < i_ready


def test_no_files_are_served_from_disk(base_url):
    s = _connect(base_url)
    s.sendall(b"GET /../../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = _read_all(s)
    assert data.startswith(b"HTTP/1.1 404") and b"root:" not in data
