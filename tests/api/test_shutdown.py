"""SIGTERM: in-flight streams finish, new work is refused, the process exits 0."""
import json
import signal
import socket
import time
import urllib.parse

import http.client as httplib

from conftest import API_KEY, MODEL, start_server


def test_sigterm_lets_a_running_stream_finish():
    proc, base, log = start_server(grace_seconds=600)  # generous: CI machines are busy
    u = urllib.parse.urlparse(base)
    conn = httplib.HTTPConnection(u.hostname, u.port, timeout=60)
    # Still generating when SIGTERM arrives right after the first chunk.
    body = json.dumps({"model": MODEL, "prompt": "Melaka is", "max_tokens": 60, "ignore_eos": True,
                       "temperature": 0, "stream": True})
    conn.request("POST", "/v1/completions", body=body,
                 headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"})
    resp = conn.getresponse()
    assert resp.status == 200
    first = resp.readline()
    assert first.startswith(b"data: ")
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    # No new connections once shutdown has begun.
    refused = False
    try:
        s = socket.create_connection((u.hostname, u.port), timeout=2)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        refused = s.recv(100) == b""
    except OSError:
        refused = True
    assert refused
    rest = resp.read().decode()
    events = [line[6:] for line in (first.decode() + rest).splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    finish = [c["choices"][0]["finish_reason"] for c in chunks if c.get("choices") and c["choices"][0]["finish_reason"]]
    assert finish == ["length"]  # all 60 tokens, not cut off by the shutdown
    assert sum(1 for c in chunks if c.get("choices") and c["choices"][0]["text"]) > 40
    assert proc.wait(timeout=30) == 0, log.read_text()


def test_streams_still_running_after_the_grace_period_end_cleanly():
    proc, base, log = start_server(grace_seconds=1)
    u = urllib.parse.urlparse(base)
    conn = httplib.HTTPConnection(u.hostname, u.port, timeout=60)
    body = json.dumps({"model": MODEL, "prompt": "Penang is", "max_tokens": 1500, "ignore_eos": True,
                       "temperature": 0, "stream": True})
    conn.request("POST", "/v1/completions", body=body,
                 headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"})
    resp = conn.getresponse()
    first = resp.readline()
    proc.send_signal(signal.SIGTERM)
    rest = resp.read().decode()  # a clean end of the chunked body, not a reset
    events = [line[6:] for line in (first.decode() + rest).splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    assert "shutting down" in json.loads(events[-2])["error"]["message"]
    assert proc.wait(timeout=30) == 0, log.read_text()
