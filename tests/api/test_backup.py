"""`daulat backup` while the server is busy, restored into a fresh folder.

Every write the server acknowledged (201) before the backup began is in the
restored copy, the restored audit log verifies, and a server started on the
copy serves the same documents, keys and policy.
"""
import json
import os
import subprocess
import threading
import time

from conftest import BINARY
from test_embedding_change import start_private, stop, ADMIN
from test_lumin import upload
from test_management import api

POLICY = {"levels": {"TERBUKA": {"models": ["*"], "backends": ["*"], "pii_prompt": "allow"},
                     "TERHAD": {"models": ["*"], "pii_prompt": "mask", "retention_days": 30}}}


def daulat(data_dir, *args, timeout=300):
    env = dict(os.environ, DAULAT_DATA_DIR=str(data_dir))
    return subprocess.run([BINARY, *args], capture_output=True, text=True, env=env, timeout=timeout)


class Load:
    """Uploads and key creations in a loop, each noted with when its 201 arrived."""

    def __init__(self, base):
        self.base, self.stop, self.acked, self.errors = base, threading.Event(), [], []
        self.threads = [threading.Thread(target=self.uploads), threading.Thread(target=self.keys)]

    def uploads(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            body = f"# Pekeliling {i}\n\nElaun harian bagi gred {i} ialah RM {80 + i}.\n".encode()
            r = upload(self.base, ADMIN, "sop", f"pekeliling-{i}.md", body)
            if r.status_code == 201:
                self.acked.append(("document", r.json()["id"], time.time()))
            else:
                self.errors.append(r.text)

    def keys(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            r = api(self.base, "POST", "/api/v1/keys", ADMIN, {"name": f"beban-{i}", "role": "member"})
            if r.status_code == 201:
                self.acked.append(("key", r.json()["id"], time.time()))
            else:
                self.errors.append(r.text)
            time.sleep(0.05)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)


def listing(base, path):
    r = api(base, "GET", path, ADMIN)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_backup_taken_under_load_restores_every_acknowledged_write(tmp_path):
    shared_models = os.path.join(os.environ["DAULAT_DATA_DIR"], "models")
    data = tmp_path / "data"
    data.mkdir()
    key = tmp_path / "backup.key"
    key.write_text(os.urandom(32).hex() + "\n")
    (data / "models").symlink_to(shared_models)
    proc, base, _ = start_private(data, "multilingual-e5-small")
    try:
        assert api(base, "POST", "/api/v1/collections", ADMIN, {"id": "sop"}).status_code == 201
        assert api(base, "PUT", "/api/v1/policy", ADMIN, POLICY).status_code == 200
        with Load(base) as load:
            time.sleep(2)
            started = time.time()
            backup = daulat(data, "backup", str(tmp_path / "copy"), "--key-file", str(key), "--json")
            time.sleep(1)
        assert backup.returncode == 0, backup.stderr
        assert not load.errors, load.errors[:3]
        before = [(kind, ident) for kind, ident, at in load.acked if at < started]
        assert len([k for k, _ in before if k == "document"]) >= 2, load.acked
    finally:
        stop(proc)

    fresh = tmp_path / "fresh"
    restored = daulat(fresh, "restore", str(tmp_path / "copy"), "--key-file", str(key), "--json")
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout)["audit_records"] > 0
    verify = daulat(fresh, "audit", "verify", "--json")
    assert verify.returncode == 0 and json.loads(verify.stdout)["ok"], verify.stdout + verify.stderr

    (fresh / "models").symlink_to(shared_models)
    proc, base, _ = start_private(fresh, "multilingual-e5-small")
    try:
        documents = {d["id"] for d in listing(base, "/api/v1/documents?limit=1000")["data"]}
        keys = {k["id"] for k in listing(base, "/api/v1/keys")["data"]}
        for kind, ident in before:
            assert ident in (documents if kind == "document" else keys), (kind, ident)
        policy = listing(base, "/api/v1/policy")
        assert policy["levels"]["TERHAD"]["pii_prompt"] == "mask", policy
        # The restored documents are whole: their passages are there to read.
        some = next(ident for kind, ident in before if kind == "document")
        assert api(base, "GET", f"/api/v1/documents/{some}/passages", ADMIN).status_code == 200
        hits = api(base, "POST", "/api/v1/search", ADMIN, {"query": "elaun harian gred"})
        assert hits.status_code == 200 and hits.json()["data"], hits.text
    finally:
        stop(proc)
