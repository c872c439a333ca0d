"""The cluster of docs/scale.md on this machine (scripts/cluster): PostgreSQL
with a synchronous standby, Valkey, three daulat nodes and HAProxy in front,
all on loopback. Every request here goes through HAProxy unless a test
means one node."""
import json
import os
import pathlib
import signal
import subprocess
import tempfile
import time
import urllib.parse
import http.client as httplib

import openai
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("DAULAT_BINARY", str(REPO / "build" / "src" / "cli" / "daulat"))
SCRIPT = str(REPO / "scripts" / "cluster")
MODEL = "gemma3-270m"
PORT = int(os.environ.get("DAULAT_CLUSTER_TEST_PORT", "25600"))  # a cluster of the user's may use 25500


def http(method, url, body=None, key=None, timeout=60):
    u = urllib.parse.urlparse(url)
    conn = httplib.HTTPConnection(u.hostname, u.port, timeout=timeout)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if body is not None:
        body = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, u.path + (("?" + u.query) if u.query else ""), body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    headers = {k.lower(): v for k, v in r.getheaders()}  # HAProxy sends them lower-case
    return r.status, headers, (json.loads(data) if data.startswith(b"{") else data)


class Cluster:
    def __init__(self, folder):
        self.dir = pathlib.Path(folder)
        self.env = dict(os.environ, DAULAT_CLUSTER_DIR=folder, DAULAT_CLUSTER_PORT=str(PORT),
                        DAULAT_BINARY=BINARY)
        data = os.environ.get("DAULAT_DATA_DIR")
        if data:
            self.env["DAULAT_MODELS_DIR"] = str(pathlib.Path(data) / "models")
        self.front = f"http://127.0.0.1:{PORT}"

    def run(self, *args, check=True, timeout=300):
        r = subprocess.run([SCRIPT, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if check:
            assert r.returncode == 0, f"scripts/cluster {' '.join(args)}: {r.stdout}{r.stderr}"
        return r

    def node_url(self, n):
        return f"http://127.0.0.1:{PORT + 10 + n}"

    @property
    def key(self):
        return (self.dir / "api-key").read_text().strip()

    def node_serving(self, request_id):
        """Which node's log has this request (written just after its answer)."""
        for _ in range(50):
            for n in (1, 2, 3):
                log = self.dir / f"node-{n}" / "server.log"
                if log.exists() and f"id={request_id} " in log.read_text(errors="replace"):
                    return n
            time.sleep(0.1)
        return None

    def daulat(self, *args, node=1):
        env = dict(self.env, DAULAT_DATA_DIR=str(self.dir / f"node-{node}"))
        env["DAULAT_DATABASE_URL"] = (f"postgresql://daulat@127.0.0.1:{PORT + 1},127.0.0.1:{PORT + 2}/daulat"
                                      "?target_session_attrs=read-write&connect_timeout=2")
        return subprocess.run([BINARY, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def cluster():
    folder = tempfile.mkdtemp(prefix="daulat-cluster-")
    c = Cluster(folder)
    try:
        c.run("up", timeout=600)
        yield c
    finally:
        c.run("purge", check=False)


def wait_until(predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def new_tenant(cluster, name):
    status, _, body = http("POST", cluster.front + "/api/v1/tenants", {"id": name, "name": name.upper()},
                           cluster.key)
    assert status == 201, body
    return body["owner_key"]["key"]


def test_status_reports_every_part(cluster):
    out = cluster.run("status").stdout
    for part in ("pg-primary", "pg-standby", "valkey", "node-1", "node-2", "node-3", "haproxy"):
        assert f"{part}" in out and "down" not in out, out
    assert "(primary)" in out and "(standby)" in out, out


def test_tenants_stay_apart_and_a_credential_stays_on_one_node(cluster):
    a = new_tenant(cluster, "jpn-cluster")
    b = new_tenant(cluster, "kkm-cluster")
    # Made through one node, known on every node.
    for n in (1, 2, 3):
        status, _, me = http("GET", cluster.node_url(n) + "/api/v1/me", key=a)
        assert status == 200 and me["tenant"] == "jpn-cluster", me
    status, _, made = http("POST", cluster.node_url(2) + "/api/v1/keys", {"name": "jpn-only"}, a)
    assert status == 201, made
    # Another tenant neither sees nor touches it, through any node.
    for url in (cluster.front, cluster.node_url(1), cluster.node_url(3)):
        status, _, keys = http("GET", url + "/api/v1/keys?limit=100", key=b)
        assert status == 200 and made["id"] not in {k["id"] for k in keys["data"]}, keys
        status, _, _ = http("PATCH", url + f"/api/v1/keys/{made['id']}", {"requests_per_minute": 0}, b)
        assert status == 404
        status, _, _ = http("DELETE", url + f"/api/v1/keys/{made['id']}", key=b)
        assert status == 404
    # HAProxy hashes on the credential: one key's requests meet one node.
    nodes = set()
    for _ in range(6):
        _, headers, _ = http("GET", cluster.front + "/api/v1/me", key=a)
        nodes.add(headers.get("x-request-id"))
    served = {cluster.node_serving(rid) for rid in nodes}
    assert len(served) == 1 and None not in served, served


def test_a_quota_holds_across_the_nodes(cluster):
    owner = new_tenant(cluster, "quota-cluster")
    status, _, made = http("POST", cluster.front + "/api/v1/keys",
                           {"name": "limited", "role": "member", "requests_per_minute": 3}, owner)
    assert status == 201, made
    limited = made["key"]
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Hai"}], "max_tokens": 2}
    codes = [http("POST", cluster.node_url(n) + "/v1/chat/completions", body, limited)[0]
             for n in (1, 2, 3, 1, 2, 3)]
    assert sorted(codes) == [200, 200, 200, 429, 429, 429], codes


def test_a_node_killed_mid_stream_ends_it_clearly_and_its_callers_move_on(cluster):
    owner = new_tenant(cluster, "stream-cluster")
    _, headers, _ = http("GET", cluster.front + "/api/v1/me", key=owner)
    node = cluster.node_serving(headers["x-request-id"])
    client = openai.OpenAI(base_url=cluster.front + "/v1", api_key=owner, max_retries=0, timeout=60)
    stream = client.chat.completions.create(
        model=MODEL, stream=True, max_tokens=400, temperature=0,
        messages=[{"role": "user", "content": "Tulis cerita panjang tentang Kuala Lumpur."}])
    pieces = 0
    with pytest.raises((openai.APIError, httplib.HTTPException, ConnectionError)):
        for _ in stream:
            pieces += 1
            if pieces == 2:
                cluster.run("kill-node", str(node))
    assert pieces >= 2
    # The same caller is served by another node at once (HAProxy retries a
    # refused connection elsewhere, then takes the node out of the ring).
    status, headers, me = http("GET", cluster.front + "/api/v1/me", key=owner)
    assert status == 200 and me["tenant"] == "stream-cluster", me
    assert cluster.node_serving(headers["x-request-id"]) not in (node, None)
    cluster.run("start-node", str(node))
    assert wait_until(lambda: "down" not in cluster.run("status", check=False).stdout, 30)


def upload(base, key, collection, filename, data):
    boundary = "daulat" + os.urandom(6).hex()
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="classification"\r\n\r\nTERBUKA\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f'Content-Type: application/octet-stream\r\n\r\n').encode() + data + f"\r\n--{boundary}--\r\n".encode()
    u = urllib.parse.urlparse(base)
    conn = httplib.HTTPConnection(u.hostname, u.port, timeout=120)
    conn.request("POST", f"/api/v1/collections/{collection}/documents", body=body,
                 headers={"Authorization": f"Bearer {key}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    r = conn.getresponse()
    reply = json.loads(r.read())
    conn.close()
    return r.status, reply


def found(base, key, query):
    status, _, body = http("POST", base + "/api/v1/search", {"query": query}, key)
    assert status == 200, body
    return [h["source_name"] for h in body["data"]]


def test_a_document_read_on_one_node_is_found_on_every_node_and_erased_everywhere(cluster):
    owner = new_tenant(cluster, "lumin-cluster")
    status, _, _ = http("POST", cluster.node_url(1) + "/api/v1/collections", {"id": "surat", "name": "Surat"}, owner)
    assert status == 201
    status, doc = upload(cluster.node_url(1), owner, "surat", "permit.md",
                         b"# Permit\n\nPermit kerja lebuh raya Karak diluluskan oleh jabatan kerja raya.\n")
    assert status == 201, doc
    query = "permit kerja lebuh raya Karak"
    assert wait_until(lambda: found(cluster.node_url(3), owner, query) == ["permit.md"], 5)
    status, _, _ = http("DELETE", cluster.node_url(2) + f"/api/v1/documents/{doc['id']}", key=owner)
    assert status == 200
    assert wait_until(lambda: found(cluster.node_url(3), owner, query) == [], 5)
    assert found(cluster.node_url(1), owner, query) == []
    for n in (1, 3):
        assert http("GET", cluster.node_url(n) + f"/api/v1/documents/{doc['id']}", key=owner)[0] == 404


def test_the_primary_dies_the_standby_takes_over_and_nothing_acknowledged_is_lost(cluster):
    owner = new_tenant(cluster, "failover-cluster")
    made = []
    for i in range(5):
        status, _, key = http("POST", cluster.front + "/api/v1/keys", {"name": f"k{i}", "role": "member"}, owner)
        assert status == 201, key
        made.append(key["id"])
    cluster.run("failover")
    # Nodes reconnect to the new primary on their own; until then they say 503.
    assert wait_until(lambda: http("POST", cluster.front + "/api/v1/keys",
                                   {"name": "after", "role": "member"}, owner)[0] == 201, 60)
    status, _, keys = http("GET", cluster.front + "/api/v1/keys?limit=100", key=owner)
    assert status == 200
    names = {k["id"] for k in keys["data"]}
    assert set(made) <= names, (made, names)
    for n in (1, 2, 3):  # every node writes again
        status, _, _ = http("POST", cluster.node_url(n) + "/api/v1/keys", {"name": f"n{n}", "role": "member"}, owner)
        assert status == 201


def test_the_one_audit_log_verifies_from_any_node(cluster):
    time.sleep(2.5)  # the nodes' writers commit their last batches
    for n in (1, 3):
        r = cluster.daulat("audit", "verify", "--json", node=n)
        assert r.returncode == 0, r.stdout + r.stderr
        report = json.loads(r.stdout)
        assert report["ok"] and report["records"] > 20, report
