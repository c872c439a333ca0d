"""One governed path: Lumin's answers and summaries and readiness narratives
pass the same quotas, PII rules and content log as /v1 (issue 13)."""
import os
import pathlib
import sqlite3

from conftest import http, wait_until
from test_lumin import upload
from test_management import api, create_key, new_tenant

MYKAD = "900101-14-5678"


def library(base, name):
    tid, owner = new_tenant(base, name)
    assert api(base, "POST", "/api/v1/collections", owner, {"id": "sop"}).status_code == 201
    r = upload(base, owner, "sop", "yuran.md",
               f"# Yuran\n\nYuran pembaharuan pasport ialah RM200. Rujukan pemohon KP {MYKAD}.".encode())
    assert r.status_code == 201, r.text
    return tid, owner, r.json()["id"]


def over_the_limit(r):
    assert r.status_code == 429, r.text
    assert int(r.headers["Retry-After"]) >= 1
    assert "retry after" in r.json()["error"]["message"]


def test_requests_per_minute_hold_on_ask_summarize_and_narratives(base_url):
    _, owner, doc = library(base_url, "quota-rpm")
    question = {"question": "Berapakah yuran pembaharuan pasport?"}
    asker = create_key(base_url, owner, name="ask", role="member", requests_per_minute=2)["key"]
    for _ in range(2):
        assert api(base_url, "POST", "/api/v1/ask", asker, question).status_code == 200
    over_the_limit(api(base_url, "POST", "/api/v1/ask", asker, question))
    # An ask no source answers is still a request.
    lonely = create_key(base_url, owner, name="ask2", role="member", requests_per_minute=1)["key"]
    assert api(base_url, "POST", "/api/v1/ask", lonely, {"question": "zzqx wibble"}).status_code == 200
    over_the_limit(api(base_url, "POST", "/api/v1/ask", lonely, {"question": "zzqx wibble"}))

    summariser = create_key(base_url, owner, name="sum", role="member", requests_per_minute=1)["key"]
    assert api(base_url, "POST", "/api/v1/summarize", summariser, {"document_id": doc}).status_code == 200
    over_the_limit(api(base_url, "POST", "/api/v1/summarize", summariser, {"document_id": doc}))

    admin = create_key(base_url, owner, name="adm", role="admin", requests_per_minute=2)["key"]
    a = api(base_url, "POST", "/api/v1/assessments", owner,
            {"title": "Q", "organisation": "Jabatan Ujian"})
    assert a.status_code == 201, a.text
    a = a.json()
    path = f"/api/v1/assessments/{a['id']}/narrative"
    for _ in range(2):  # nothing scored yet: refused, but counted
        assert api(base_url, "POST", path, admin, {}).status_code == 400
    over_the_limit(api(base_url, "POST", path, admin, {}))


def test_tokens_per_day_hold_before_the_model_runs(base_url):
    _, owner, doc = library(base_url, "quota-tokens")
    key = create_key(base_url, owner, name="t", role="member", tokens_per_day=5)["key"]
    # The grounded prompt alone is far more than 5 tokens: refused before generation.
    r = api(base_url, "POST", "/api/v1/ask", key, {"question": "Berapakah yuran pembaharuan pasport?"})
    over_the_limit(r)
    assert "tokens for today" in r.json()["error"]["message"]
    over_the_limit(api(base_url, "POST", "/api/v1/summarize", key, {"document_id": doc}))
    denied = [a for a in api(base_url, "GET", "/api/v1/audit?action=ask", owner).json()["data"]
              if a["reason"].startswith("HTTP 429")]
    assert denied and "tokens for today" in denied[-1]["reason"]


def test_full_content_logging_keeps_an_asks_masked_question_passages_and_answer(base_url):
    tid, owner, _ = library(base_url, "contentlog")
    policy = api(base_url, "GET", "/api/v1/policy", owner).json()
    policy["levels"]["TERBUKA"]["content_logging"] = "full"
    assert api(base_url, "PUT", "/api/v1/policy", owner, policy).status_code == 200
    r = api(base_url, "POST", "/api/v1/ask", owner,
            {"question": "Berapakah yuran pasport untuk siti@contoh.com.my?"})
    assert r.status_code == 200, r.text
    request_id = r.headers["X-Request-Id"]
    db = pathlib.Path(os.environ["DAULAT_DATA_DIR"]) / "daulat.db"

    def row():
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            return c.execute("SELECT prompt, answer, classification FROM content_log "
                             "WHERE tenant_id = ? AND request_id = ?", (tid, request_id)).fetchone()
    assert wait_until(lambda: row() is not None), "no content log entry for the ask"
    prompt, answer, level = row()
    assert level == "TERBUKA"
    assert "<EMAIL_1>" in prompt and "siti@contoh.com.my" not in prompt  # the question, masked
    assert "<MYKAD_1>" in prompt and MYKAD not in prompt                 # the passage, masked
    assert "RM200" in prompt
    assert answer == r.json()["answer"]
    audit = api(base_url, "GET", "/api/v1/audit?action=ask", owner).json()["data"]
    assert audit[-1]["content_hash"].startswith("sha256:")
