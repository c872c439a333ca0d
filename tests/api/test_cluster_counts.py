"""Two `daulat serve` nodes on one record and one Valkey (Debian's
redis-server, started here on loopback): a key's requests per minute and the
sign-in throttle hold across both, a session made on one works on the other,
and while Valkey is down the nodes refuse what they cannot count
(docs/scale.md)."""
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import API_KEY, die_with_parent, start_server
from test_management import api, chat, create_key, new_tenant


def pongs(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class Valkey:
    """A redis-server of this test's own, below the ephemeral port range."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="daulat-valkey-")
        self.proc = None
        for _ in range(20):
            self.port = random.randint(20000, 25000)
            if self.start():
                return
        pytest.fail("redis-server did not start (run scripts/bootstrap)")

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
        for _ in range(250):
            if pongs(self.port):
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.02)
        return False

    def stop(self):
        self.proc.kill()
        self.proc.wait()

    def url(self):
        return f"redis://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def nodes():
    valkey = Valkey()
    config = f'[quotas]\nvalkey_url = "{valkey.url()}"\n'
    started = [start_server(config) for _ in range(2)]
    yield valkey, [base for _, base, _ in started]
    for proc, _, _ in started:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    valkey.stop()
    shutil.rmtree(valkey.dir, ignore_errors=True)


def test_a_keys_rate_holds_across_nodes_and_valkey_down_refuses(nodes):
    valkey, (a, b) = nodes
    _, owner = new_tenant(a, "cluster")
    limited = create_key(a, owner, name="limited", role="member", requests_per_minute=3)["key"]
    free = create_key(b, owner, name="free", role="member")["key"]
    codes = [chat(base, limited, "Hai", classification="TERBUKA").status_code for base in (a, b) * 3]
    assert sorted(codes) == [200, 200, 200, 429, 429, 429], codes
    refused = chat(b, limited, "Hai", classification="TERBUKA")
    assert refused.status_code == 429 and "requests per minute" in refused.json()["error"]["message"]
    assert int(refused.headers["Retry-After"]) >= 1

    valkey.stop()
    down = chat(a, limited, "Hai", classification="TERBUKA")
    assert down.status_code == 503, down.text
    assert down.json()["error"]["message"].startswith("quotas cannot be checked")
    assert chat(b, free, "Hai", classification="TERBUKA").status_code == 200  # nothing to count
    assert api(a, "GET", "/healthz").status_code == 200

    assert valkey.start()  # empty after its restart: the minute starts again
    time.sleep(1.2)  # past the client's wait before it tries to connect again
    assert chat(a, limited, "Hai", classification="TERBUKA").status_code == 200
    assert api(a, "GET", "/api/v1/keys", API_KEY).status_code == 200


def test_sign_in_counts_and_sessions_are_the_clusters(nodes):
    valkey, (a, b) = nodes
    tid, owner = new_tenant(a, "signin")
    made = api(a, "POST", "/api/v1/users", owner,
               {"username": "pegawai", "password": "kata-laluan-panjang", "role": "member"})
    assert made.status_code == 201, made.text
    guess = {"tenant": tid, "username": "pegawai", "password": "salah-sama-sekali"}
    # Ten free failures for the account, wherever they land; after the next
    # one each attempt waits (one node alone would have seen six).
    codes = [api(base, "POST", "/api/v1/auth/login", body=guess).status_code
             for base in (a, b) * 5 + (a,)]
    assert codes == [401] * 11, codes
    held = api(b, "POST", "/api/v1/auth/login", body=guess)
    assert held.status_code == 429 and "retry after" in held.json()["error"]["message"], held.text
    time.sleep(1.5)  # the first wait is one second
    right = dict(guess, password="kata-laluan-panjang")
    signed_in = api(a, "POST", "/api/v1/auth/login", body=right)
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["token"]
    assert api(b, "GET", "/api/v1/me", token).json()["subject"] == "user:pegawai"
    assert api(b, "POST", "/api/v1/auth/logout", token).status_code == 200
    assert api(a, "GET", "/api/v1/me", token).status_code == 401  # signed out everywhere
