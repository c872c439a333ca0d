"""Starts one `daulat serve` on a free port for the whole API test session.

The server uses the demo model from DAULAT_DATA_DIR (scripts/test points it
at .cache/test-data, where scripts/bootstrap installed the model), an API key,
and a short header timeout so slow-client tests stay quick.
"""
import ctypes
import http.client as httplib
import json
import os
import pathlib
import urllib.parse
import signal
import subprocess
import tempfile
import time

import openai
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("DAULAT_BINARY", str(REPO / "build" / "src" / "cli" / "daulat"))
API_KEY = "test-key-" + os.urandom(16).hex()
MODEL = "gemma3-270m"


def die_with_parent():
    """preexec_fn for servers a test starts: killed with the pytest process,
    so that a test run that is itself killed leaves no server behind (one
    left running fills the disk with its log once its database is gone)."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def start_server(extra_server_config="", api_key=API_KEY, grace_seconds=5, wrap=None):
    """Starts `daulat serve` on a free port; returns (process, base URL, log path).

    `wrap` turns the command line into the one to run (e.g. inside a private
    mount namespace); the wrapper must pass the server's stdout through."""
    workdir = tempfile.mkdtemp(prefix="daulat-api-")
    config = pathlib.Path(workdir) / "daulat.toml"
    config.write_text(
        f"""
[server]
host = "127.0.0.1"
port = 0
api_key = "{api_key}"
max_body_bytes = 1048576
header_timeout_seconds = 2
shutdown_grace_seconds = {grace_seconds}
{extra_server_config}

[[models]]
name = "{MODEL}"
parallel = 4
context_length = 8192
max_queue = 64
threads = 1                 # tests run servers side by side on 2 cores: do not oversubscribe
"""
    )
    env = dict(os.environ, DAULAT_LOG_LEVEL="info")
    env.pop("DAULAT_API_KEY", None)
    log = pathlib.Path(workdir) / "server.log"
    argv = [BINARY, "serve", "--config", str(config)]
    proc = subprocess.Popen(wrap(argv) if wrap else argv, stdout=subprocess.PIPE,
                            stderr=open(log, "w"), env=env, text=True,
                            preexec_fn=die_with_parent)
    line = proc.stdout.readline()
    assert "listening on" in line, f"server did not start: {line!r}; see {log}"
    proc.listening_line = line
    return proc, line.split("listening on ")[1].split(" ")[0], log


@pytest.fixture(scope="session")
def server():
    proc, base, log = start_server()
    yield {"base": base, "proc": proc, "log": log}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert "daulat stopped" in proc.stdout.read()
    # Every request of the session left an audit record, and the log verifies.
    verify = subprocess.run([BINARY, "audit", "verify", "--json"], capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    report = json.loads(verify.stdout)
    assert report["ok"] and report["records"] > 50 and report["checkpoints"] >= 1


@pytest.fixture(scope="session")
def base_url(server):
    return server["base"]


@pytest.fixture(scope="session")
def client(base_url):
    return openai.OpenAI(base_url=base_url + "/v1", api_key=API_KEY, max_retries=0, timeout=120)


class Reply:
    def __init__(self, status, headers, body):
        self.status_code, self.headers, self.content = status, headers, body

    @property
    def text(self):
        return self.content.decode()

    def json(self):
        return json.loads(self.content)


def http(method, url, body=None, headers=None, timeout=60):
    """A plain HTTP request (stdlib only), for what the openai package hides."""
    u = urllib.parse.urlparse(url)
    conn = httplib.HTTPConnection(u.hostname, u.port, timeout=timeout)
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers = dict(headers or {}, **{"Content-Type": "application/json"})
    conn.request(method, u.path + (("?" + u.query) if u.query else ""), body=body, headers=headers or {})
    r = conn.getresponse()
    reply = Reply(r.status, dict(r.getheaders()), r.read())
    conn.close()
    return reply


def wait_until(predicate, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
