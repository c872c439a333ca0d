"""The operator changes the embedding model: the server re-embeds the library by itself."""
import os
import signal
import sqlite3

from conftest import start_server, wait_until
from test_management import api

ADMIN = "embed-admin-" + os.urandom(16).hex()
DOC = (b"# Vault control\n\nThe vault is opened under dual control. Combinations are changed "
       b"every 90 days and whenever a key holder is transferred.\n")


def serving(model):
    return f'\n[[models]]\nname = "{model}"\nthreads = 1\nembeddings = true\n'


def start_private(data_dir, model):
    shared = os.environ["DAULAT_DATA_DIR"]
    os.environ["DAULAT_DATA_DIR"] = str(data_dir)
    try:
        return start_server(extra_server_config=serving(model), api_key=ADMIN)
    finally:
        os.environ["DAULAT_DATA_DIR"] = shared


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0


def vector_hits(base, query):
    r = api(base, "POST", "/api/v1/search", ADMIN, {"query": query, "retrieval": "vector"})
    assert r.status_code == 200, r.text
    return [h["source_name"] for h in r.json()["data"]]


def test_a_new_embedding_model_re_embeds_the_library_in_the_background(tmp_path):
    (tmp_path / "models").symlink_to(os.path.join(os.environ["DAULAT_DATA_DIR"], "models"))
    proc, base, log = start_private(tmp_path, "all-minilm-l6-v2")
    try:
        assert api(base, "POST", "/api/v1/collections", ADMIN, {"id": "sop"}).status_code == 201
        from test_lumin import upload
        assert upload(base, ADMIN, "sop", "vault.md", DOC).status_code == 201
        assert vector_hits(base, "How often are vault combinations changed?") == ["vault.md"]
    finally:
        stop(proc)
    proc, base, log = start_private(tmp_path, "multilingual-e5-small")
    try:
        assert wait_until(lambda: "re-embedding tenant default: 1 of 1 chunks, done" in log.read_text(), 60)
        assert vector_hits(base, "Berapa kerap kombinasi bilik kebal ditukar?") == ["vault.md"]
        db = sqlite3.connect(str(tmp_path / "daulat.db"), timeout=30)
        models = db.execute("SELECT model, COUNT(*) FROM kn_vectors GROUP BY model").fetchall()
        assert models == [("multilingual-e5-small+title", 1)], models  # the model and the passage recipe
    finally:
        stop(proc)
    # Nothing is left to embed: the next start says nothing about it.
    proc, base, log = start_private(tmp_path, "multilingual-e5-small")
    try:
        assert vector_hits(base, "vault combinations") == ["vault.md"]
    finally:
        stop(proc)
    assert "re-embedding" not in log.read_text()
