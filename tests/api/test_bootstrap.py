"""First start: the operator tenant and its bootstrap admin key, printed once or chosen by the operator."""
import os
import pathlib
import re
import signal
import subprocess
import tempfile

from conftest import BINARY, die_with_parent, http

MODELS = pathlib.Path(os.environ.get("DAULAT_DATA_DIR", pathlib.Path(__file__).resolve().parents[2] / ".cache/test-data")) / "models"


def serve(data_dir, env_extra):
    env = dict(os.environ, DAULAT_DATA_DIR=str(data_dir), **env_extra)
    for k in ("DAULAT_API_KEY", "DAULAT_ADMIN_KEY", "DAULAT_ADMIN_KEY_FILE"):
        if k not in env_extra:
            env.pop(k, None)
    err = open(pathlib.Path(data_dir) / "stderr.log", "w")
    proc = subprocess.Popen([BINARY, "serve", "--port", "0", "--threads", "1", "--parallel", "1",
                             "--context-length", "512"], stdout=subprocess.PIPE, stderr=err, env=env, text=True,
                            preexec_fn=die_with_parent)
    line = proc.stdout.readline()
    assert "listening on" in line, line
    return proc, line.split("listening on ")[1].split(" ")[0]


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def fresh_data_dir():
    d = pathlib.Path(tempfile.mkdtemp(prefix="daulat-boot-"))
    (d / "models").symlink_to(MODELS.resolve())
    return d


def me(base, key):
    return http("GET", base + "/api/v1/me", headers={"Authorization": f"Bearer {key}"} if key else {})


def test_first_start_prints_a_one_time_owner_key():
    data = fresh_data_dir()
    proc, base = serve(data, {})
    try:
        printed = re.findall(r"dlt_[a-z0-9]{8}_[a-z0-9]{40}", (data / "stderr.log").read_text())
        assert len(printed) == 1
        r = me(base, printed[0])
        assert r.status_code == 200 and r.json()["role"] == "owner" and r.json()["tenant"] == "default"
        # The data folder is its owner's alone: folders 0700, files 0600.
        assert (data.stat().st_mode & 0o777) == 0o700
        for f in ("daulat.db", "audit/signing.seed"):
            assert ((data / f).stat().st_mode & 0o777) == 0o600, f
        assert ((data / "audit").stat().st_mode & 0o777) == 0o700
    finally:
        stop(proc)
    # The second start prints nothing new, and the key still works.
    proc, base = serve(data, {})
    try:
        assert len(re.findall(r"dlt_[a-z0-9]{8}_", (data / "stderr.log").read_text())) == 0
        assert me(base, printed[0]).status_code == 200
    finally:
        stop(proc)


def test_admin_key_from_a_file_and_a_replaced_static_key_stops_working():
    data = fresh_data_dir()
    keyfile = data / "admin.key"
    keyfile.write_text("operator-chosen-admin-key-1234-5f2a9c7e\n")
    proc, base = serve(data, {"DAULAT_ADMIN_KEY_FILE": str(keyfile), "DAULAT_API_KEY": "old-static-key-123-9d8e7f6a5b4c3d2e"})
    try:
        assert "dlt_" not in (data / "stderr.log").read_text()  # nothing printed: the operator chose
        assert me(base, "operator-chosen-admin-key-1234-5f2a9c7e").json()["role"] == "owner"
        assert me(base, "old-static-key-123-9d8e7f6a5b4c3d2e").status_code == 200
    finally:
        stop(proc)
    proc, base = serve(data, {"DAULAT_ADMIN_KEY_FILE": str(keyfile), "DAULAT_API_KEY": "new-static-key-456-1a2b3c4d5e6f7a8b"})
    try:
        assert me(base, "new-static-key-456-1a2b3c4d5e6f7a8b").status_code == 200
        assert me(base, "old-static-key-123-9d8e7f6a5b4c3d2e").status_code == 401  # replaced, so revoked
        records = http("GET", base + "/api/v1/audit?limit=1000",
                       headers={"Authorization": "Bearer operator-chosen-admin-key-1234-5f2a9c7e"}).json()["data"]
        assert any(r["action"] == "key_revoked" and "replaced" in r["reason"] for r in records)
        assert all("static-key" not in str(r) for r in records)
    finally:
        stop(proc)
    missing = subprocess.run([BINARY, "serve", "--port", "0"], capture_output=True, text=True, timeout=60,
                             env=dict(os.environ, DAULAT_DATA_DIR=str(data), DAULAT_ADMIN_KEY_FILE=str(data / "nope")))
    assert missing.returncode != 0 and "DAULAT_ADMIN_KEY_FILE" in missing.stderr


def test_operator_keys_must_be_long_and_random():
    """An operator-chosen key is stored as a plain SHA-256: only its own
    strength protects it, so a short or repetitive one stops start-up."""
    data = fresh_data_dir()
    for weak in ("short-key-1234", "password" * 4, "a" * 40, "kunci rahsia dengan ruang kosong 123"):
        for var in ("DAULAT_ADMIN_KEY", "DAULAT_API_KEY"):
            env = dict(os.environ, DAULAT_DATA_DIR=str(data), **{var: weak})
            for k in ("DAULAT_API_KEY", "DAULAT_ADMIN_KEY", "DAULAT_ADMIN_KEY_FILE"):
                if k != var:
                    env.pop(k, None)
            r = subprocess.run([BINARY, "serve", "--port", "0"], capture_output=True, text=True, timeout=60, env=env)
            assert r.returncode != 0, (var, weak)
            assert "32" in r.stderr and "openssl rand" in r.stderr, r.stderr
            assert weak not in r.stderr  # the secret is never echoed
