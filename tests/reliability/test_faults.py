"""The data folder fills up or turns read-only under a running server.

The server runs in a private mount namespace (`unshare`, no root needed)
whose data folder is a small tmpfs the test fills through /proc/PID/root.
Writes must then fail with a clear 507 and a message, never a 500 or a
dropped connection; the server stays up and takes writes again when space
returns. A read-only folder is refused at start with the reason. When the
server stops, `daulat doctor` (run in the same namespace) finds nothing
damaged and every acknowledged upload present.
"""
import errno
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "api"))
from conftest import BINARY, die_with_parent, start_server, wait_until, http  # noqa: E402
from test_lumin import upload  # noqa: E402
from test_management import api  # noqa: E402

ADMIN = "fault-admin-" + os.urandom(16).hex()
MODELS = os.path.join(os.environ.get("DAULAT_DATA_DIR", ""), "models")

def namespaces_work():
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


pytestmark = pytest.mark.skipif(not namespaces_work(),
                                reason="needs unprivileged mount namespaces (unshare -rm)")


class Fenced:
    """A data folder that is a tmpfs of `size` in a mount namespace of its own,
    kept by a holder process; the server and the checks run inside it."""

    def __init__(self, tmp_path, size="48m"):
        self.data = tmp_path / "data"
        self.data.mkdir()
        self.holder = subprocess.Popen(
            ["unshare", "-rm", "--propagation", "private", "sh", "-c",
             'mount -t tmpfs -o size=$1,mode=0700 tmpfs "$2" && ln -s "$3" "$2/models" && echo ready '
             '&& exec sleep 100000', "sh", size, str(self.data), MODELS],
            stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
        assert self.holder.stdout.readline().strip() == "ready"
        # The folder as the namespace sees it, from outside.
        self.inside = pathlib.Path(f"/proc/{self.holder.pid}/root") / str(self.data).lstrip("/")
        self.env = dict(os.environ, DAULAT_DATA_DIR=str(self.data))

    def enter(self, argv):
        return ["nsenter", "-t", str(self.holder.pid), "-m", "-U", "--preserve-credentials", *argv]

    def start(self):
        shared = os.environ["DAULAT_DATA_DIR"]
        os.environ["DAULAT_DATA_DIR"] = str(self.data)
        try:
            self.proc, self.base, self.log = start_server(api_key=ADMIN, wrap=self.enter)
        finally:
            os.environ["DAULAT_DATA_DIR"] = shared
        return self.base

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=120) == 0, self.log.read_text()[-2000:]

    def daulat(self, *args):
        return subprocess.run(self.enter([BINARY, *args]), capture_output=True, text=True,
                              env=self.env, timeout=300)

    def checks(self):
        """doctor and audit verify on the stopped server's folder."""
        doctor = self.daulat("doctor", "--verify-originals", "--json")
        audit = self.daulat("audit", "verify", "--json")
        return json.loads(doctor.stdout), json.loads(audit.stdout)

    def fill(self):
        """Writes filler files until the tmpfs is full."""
        for name, block in (("filler", 1 << 20), ("filler-2", 512)):
            with open(self.inside / name, "wb", buffering=0) as f:
                try:
                    while True:
                        f.write(b"\0" * block)
                except OSError as e:
                    assert e.errno == errno.ENOSPC, e

    def free(self):
        (self.inside / "filler").unlink()
        (self.inside / "filler-2").unlink()

    def remount(self, mode):
        subprocess.run(self.enter(["mount", "-o", f"remount,{mode}", str(self.data)]), check=True,
                       timeout=30)

    def close(self):
        self.holder.kill()
        self.holder.wait(timeout=30)


def writes(base, tag):
    """One of each kind of write; returns each reply."""
    body = (f"# Laporan {tag}\n\n" + f"Perenggan {tag} tentang bekalan air. " * 4000).encode()
    return {
        "upload": upload(base, ADMIN, "sop", f"laporan-{tag}.md", body),
        "key": api(base, "POST", "/api/v1/keys", ADMIN, {"name": f"kunci-{tag}"}),
        "policy": api(base, "PUT", "/api/v1/policy", ADMIN,
                      {"levels": {"TERBUKA": {"models": ["*"], "pii_prompt": "allow"}}}),
        "collection": api(base, "POST", "/api/v1/collections", ADMIN, {"id": f"c-{tag}"}),
    }


def assert_refused_clearly(replies, status, words):
    refused = 0
    for what, r in replies.items():
        if 200 <= r.status_code < 300:
            continue  # room was left for a small write: fine, as long as it is whole
        refused += 1
        if r.status_code == 503 and "withheld" in r.text:
            continue  # its audit record failed after it was done: the answer is withheld
        assert r.status_code == status, (what, r.status_code, r.text)
        error = r.json()["error"]
        assert any(w in error["message"].lower() for w in words), (what, error)
        assert "Retry-After" in r.headers, (what, r.headers)
    return refused


def assert_reads_work(base):
    assert http("GET", base + "/healthz").status_code == 200
    r = api(base, "GET", "/api/v1/documents", ADMIN)
    assert r.status_code == 200, r.text
    return {d["source_name"] for d in r.json()["data"]}


def assert_up_and_audited(base):
    """The server answers; a request its audit record cannot be written for
    (audit on_failure = "refuse") is refused saying why, not served unrecorded."""
    assert http("GET", base + "/healthz").status_code == 200
    r = api(base, "GET", "/api/v1/documents", ADMIN)
    if r.status_code != 200:
        assert_refused_clearly({"read": r}, 507, ("full",))


def test_a_full_disk_refuses_writes_clearly_and_recovers_when_space_returns(tmp_path):
    fenced = Fenced(tmp_path)
    try:
        base = fenced.start()
        try:
            assert api(base, "POST", "/api/v1/collections", ADMIN, {"id": "sop"}).status_code == 201
            before = writes(base, "sebelum")
            assert all(200 <= r.status_code < 300 for r in before.values()), before
            # The doctor beside a running server: it reports, and refuses to repair.
            online = fenced.daulat("doctor", "--json")
            assert online.returncode == 0 and not json.loads(online.stdout)["exclusive"], online.stdout
            refused = fenced.daulat("doctor", "--repair")
            assert refused.returncode == 6 and "in use" in refused.stderr, refused.stderr
            fenced.fill()
            for attempt in range(3):
                full = writes(base, f"penuh-{attempt}")
                assert assert_refused_clearly(full, 507, ("full", "penuh", "space")) >= 1
                assert full["upload"].status_code == 507, full["upload"].text  # 140 KB cannot fit
                assert_up_and_audited(base)
            fenced.free()
            # The refused requests' own audit records retry the log: it takes
            # writes again within a request or two, without a restart.
            assert wait_until(lambda: api(base, "GET", "/api/v1/documents", ADMIN).status_code == 200, 10)
            after = writes(base, "selepas")
            assert all(200 <= r.status_code < 300 for r in after.values()), \
                {k: (r.status_code, r.text[:200]) for k, r in after.items()}
            names = assert_reads_work(base)
            assert {"laporan-sebelum.md", "laporan-selepas.md"} <= names
        finally:
            fenced.stop()
        doctor, audit = fenced.checks()
        assert doctor["ok"] and doctor["database"]["integrity"] == ["ok"], doctor
        assert doctor["library"]["documents"] == len(names), doctor
        assert audit["ok"], audit
    finally:
        fenced.close()


def test_a_read_only_data_folder_is_refused_clearly_and_nothing_is_lost(tmp_path):
    """Linux will not make a filesystem read-only while files on it are open
    for writing (the server's database always is), so the folder turns
    read-only between runs: the server refuses to start, saying why, and
    starts with everything in place once the folder is writable again."""
    fenced = Fenced(tmp_path)
    try:
        base = fenced.start()
        try:
            assert api(base, "POST", "/api/v1/collections", ADMIN, {"id": "sop"}).status_code == 201
            assert writes(base, "sebelum")["upload"].status_code == 201
        finally:
            fenced.stop()
        fenced.remount("ro")
        refused = fenced.daulat("serve", "--config", str(fenced.log.parent / "daulat.toml"))
        assert refused.returncode == 6, (refused.returncode, refused.stderr[-2000:])
        assert "read-only" in refused.stderr and str(fenced.data) in refused.stderr, refused.stderr
        listed = fenced.daulat("documents", "list", "--json")
        assert listed.returncode == 6 and "read-only" in listed.stderr, listed.stderr
        fenced.remount("rw")
        base = fenced.start()
        try:
            assert "laporan-sebelum.md" in assert_reads_work(base)
            after = writes(base, "selepas")
            assert all(200 <= r.status_code < 300 for r in after.values()), after
        finally:
            fenced.stop()
        doctor, audit = fenced.checks()
        assert doctor["ok"] and doctor["library"]["documents"] == 2, doctor
        assert audit["ok"], audit
    finally:
        fenced.close()


def test_a_model_file_corrupted_while_the_server_runs_is_refused_at_the_next_load(tmp_path):
    # A private copy (the shared file has hard links: corrupting it in place
    # would damage every other test's model).
    source = pathlib.Path(MODELS) / "gemma3-270m"
    model = tmp_path / "models" / "gemma3-270m"
    model.mkdir(parents=True)
    for f in source.iterdir():
        if f.name != ".verified":
            shutil.copyfile(f, model / f.name)
    shared = os.environ["DAULAT_DATA_DIR"]
    os.environ["DAULAT_DATA_DIR"] = str(tmp_path)
    try:
        proc, base, log = start_server(api_key=ADMIN)
    finally:
        os.environ["DAULAT_DATA_DIR"] = shared
    try:
        gguf = next(model.glob("*.gguf"))
        with open(gguf, "r+b") as f:  # a few bytes in the middle of the weights
            f.seek(gguf.stat().st_size // 2)
            f.write(os.urandom(64))
        assert http("GET", base + "/healthz").status_code == 200  # the loaded copy serves on
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    env = dict(os.environ, DAULAT_DATA_DIR=str(tmp_path))
    again = subprocess.run([BINARY, "serve", "--config", str(log.parent / "daulat.toml")],
                           capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 4, (again.returncode, again.stderr[-2000:])
    assert "gemma3-270m" in again.stderr and "checksum mismatch" in again.stderr, again.stderr[-2000:]
    verify = subprocess.run([BINARY, "models", "verify", "gemma3-270m", "--json"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert verify.returncode == 4 and not json.loads(verify.stdout)["results"][0]["ok"], verify.stdout
