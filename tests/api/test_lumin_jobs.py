"""Lumin upload jobs: several files (or ?async=true) are read in the background; /api/v1/jobs tells each outcome."""
import os
import time

from conftest import http
from test_management import api, create_key, new_tenant


def form(fields, files):
    boundary = "daulat" + os.urandom(6).hex()
    out = b""
    for name, value in fields:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for filename, data in files:
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                f'Content-Type: application/octet-stream\r\n\r\n').encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def post_files(base, key, collection, files, fields=(("classification", "TERBUKA"),), query=""):
    body, ctype = form(fields, files)
    return http("POST", f"{base}/api/v1/collections/{collection}/documents{query}", body=body,
                headers={"Authorization": f"Bearer {key}", "Content-Type": ctype})


def wait_for(base, key, job_id):
    deadline = time.time() + 120
    while time.time() < deadline:
        r = api(base, "GET", f"/api/v1/jobs/{job_id}", key)
        assert r.status_code == 200, r.text
        if r.json()["status"] not in ("queued", "running"):
            return r.json()
        time.sleep(0.2)
    raise AssertionError("the job did not finish")


def test_a_batch_upload_is_a_job_with_each_files_outcome(base_url):
    _, owner = new_tenant(base_url, "jobs")
    assert api(base_url, "POST", "/api/v1/collections", owner, {"id": "arkib"}).status_code == 201
    files = [("satu.md", b"# Satu\n\nPekeliling pertama tentang cuti rehat."),
             ("dua.txt", b"Pekeliling kedua tentang elaun perjalanan."),
             ("rosak.pdf", b"%PDF-1.4 this is not really a PDF"),
             ("satu-lagi.md", b"# Satu\n\nPekeliling pertama tentang cuti rehat.")]  # same bytes: a duplicate
    r = post_files(base_url, owner, "arkib", files)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["object"] == "ingestion.job" and job["id"].startswith("job_")
    assert r.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    assert [f["name"] for f in job["files"]] == [f[0] for f in files]
    done = wait_for(base_url, owner, job["id"])
    assert done["status"] == "completed"
    outcome = {f["name"]: f for f in done["files"]}
    assert outcome["satu.md"]["status"] == "added" and outcome["satu.md"]["document_id"].startswith("doc_")
    assert outcome["dua.txt"]["status"] == "added" and outcome["dua.txt"]["chunks"] >= 1
    assert outcome["rosak.pdf"]["status"] == "failed" and outcome["rosak.pdf"]["error"]
    assert outcome["satu-lagi.md"]["status"] == "duplicate"
    assert outcome["satu-lagi.md"]["document_id"] == outcome["satu.md"]["document_id"]
    assert done["counts"] == {"files": 4, "added": 2, "duplicates": 1, "failed": 1, "pending": 0}
    # The documents are there and searchable; each one added is in the audit log.
    docs = api(base_url, "GET", "/api/v1/documents?collection=arkib", owner).json()["data"]
    assert {d["source_name"] for d in docs} == {"satu.md", "dua.txt"}
    audit = api(base_url, "GET", "/api/v1/audit?action=document_added", owner).json()["data"]
    assert {outcome["satu.md"]["document_id"], outcome["dua.txt"]["document_id"]} <= \
        {a["resource"].removeprefix("document:") for a in audit}
    jobs = api(base_url, "GET", "/api/v1/jobs", owner).json()["data"]
    assert jobs[0]["id"] == job["id"]
    # Erasing a document takes its name out of the job as well.
    assert api(base_url, "DELETE", f"/api/v1/documents/{outcome['dua.txt']['document_id']}", owner).status_code == 200
    after = {f["status"] for f in api(base_url, "GET", f"/api/v1/jobs/{job['id']}", owner).json()["files"]}
    assert "erased" in after
    names = [f["name"] for f in api(base_url, "GET", f"/api/v1/jobs/{job['id']}", owner).json()["files"]]
    assert "dua.txt" not in names


def test_async_single_upload_and_who_may_see_a_job(base_url):
    _, owner = new_tenant(base_url, "jobs2")
    _, stranger = new_tenant(base_url, "jobs3")
    colleague = create_key(base_url, owner, name="c", role="admin")["key"]
    auditor = create_key(base_url, owner, name="v", role="auditor")["key"]
    assert api(base_url, "POST", "/api/v1/collections", owner, {"id": "c"}).status_code == 201
    r = post_files(base_url, owner, "c", [("a.md", b"Satu dokumen sahaja.")], query="?async=true")
    assert r.status_code == 202, r.text
    job = r.json()
    assert wait_for(base_url, owner, job["id"])["counts"]["added"] == 1
    for key in (colleague, stranger):  # a job is its creator's
        r = api(base_url, "GET", f"/api/v1/jobs/{job['id']}", key)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        assert all(j["id"] != job["id"] for j in api(base_url, "GET", "/api/v1/jobs", key).json()["data"])
    assert api(base_url, "GET", "/api/v1/jobs", auditor).status_code == 403  # auditors do not upload


def test_bad_batch_uploads_are_refused_before_any_job(base_url):
    _, owner = new_tenant(base_url, "jobs4")
    assert api(base_url, "POST", "/api/v1/collections", owner, {"id": "c"}).status_code == 201
    member = create_key(base_url, owner, name="m", role="member", clearance="TERHAD")["key"]
    two = [("a.md", b"a"), ("b.md", b"b")]
    cases = [
        (dict(collection="nope", files=two), 404, "no collection"),
        (dict(collection="c", files=two, query="?async=maybe"), 400, "async"),
        (dict(collection="c", files=two, fields=(("classification", "TERBUKA"), ("title", "T"))), 400, "title"),
        (dict(collection="c", files=two, fields=()), 400, "classification"),
        (dict(collection="c", files=two, fields=(("classification", "RAHSIA"),), key=member), 403, "clearance"),
        (dict(collection="c", files=[("", b"x"), ("b.md", b"b")]), 400, "file name"),
    ]
    for kwargs, status, needle in cases:
        r = post_files(base_url, kwargs.pop("key", owner), **kwargs)
        assert r.status_code == status and needle in r.json()["error"]["message"], (kwargs, r.text)
    assert api(base_url, "GET", "/api/v1/jobs", owner).json()["data"] == []
    assert api(base_url, "GET", "/api/v1/jobs/job_0000", owner).status_code == 404
