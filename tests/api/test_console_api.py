"""What the web console stands on: its files served from the binary, and the
endpoints it added (model registry, audit proofs, policy drafts, usage per
tenant, Lumin answers metered)."""
import gzip
import hashlib
import pathlib

from conftest import API_KEY, MODEL, REPO, http
from test_lumin import upload
from test_management import api, audit, create_key, new_tenant, verify_inclusion

CONSOLE = REPO / "console"


def test_every_console_file_is_served_as_built_with_security_headers(base_url):
    files = sorted(p for p in CONSOLE.rglob("*") if p.is_file())
    assert any(p.name == "index.html" for p in files)
    for p in files:
        rel = p.relative_to(CONSOLE).as_posix()
        url = "/" if rel == "index.html" else "/console/" + rel
        r = http("GET", base_url + url, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200, url
        assert r.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(r.content) == p.read_bytes(), url
        assert "default-src 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Cache-Control"] == "no-cache"
    plain = http("GET", base_url + "/console/js/app.js")
    assert "Content-Encoding" not in plain.headers and plain.content == (CONSOLE / "js" / "app.js").read_bytes()
    assert http("GET", base_url + "/", headers={"If-None-Match": plain.headers["ETag"]}).status_code == 200
    assert http("GET", base_url + "/console/js/app.js", headers={"If-None-Match": plain.headers["ETag"]}).status_code == 304
    for bad in ("/console/../src/http/openapi.json", "/console/", "/console/js/nope.js", "/console//js/app.js"):
        assert http("GET", base_url + bad).status_code == 404, bad
    assert http("POST", base_url + "/", body=b"x").status_code in (404, 405)


def test_console_assets_stay_under_500_kb_compressed():
    total = sum(len(gzip.compress(p.read_bytes(), 9)) for p in CONSOLE.rglob("*") if p.is_file())
    assert total < 500 * 1024, f"{total} bytes compressed"


def test_model_registry_shows_manifests_and_model_cards(base_url):
    r = api(base_url, "GET", "/api/v1/models", API_KEY)
    assert r.status_code == 200, r.text
    m = next(x for x in r.json()["data"] if x["id"] == MODEL)
    data = pathlib.Path(__import__("os").environ.get("DAULAT_DATA_DIR", REPO / ".cache" / "test-data"))
    manifest = __import__("json").loads((data / "models" / MODEL / "manifest.json").read_text())
    for k in ("sha256", "licence", "origin", "model_card", "max_classification", "capabilities", "context_length"):
        assert m[k] == manifest[k], k
    assert m["backend"] == "local"
    one = api(base_url, "GET", f"/api/v1/models/{MODEL}", API_KEY)
    assert one.status_code == 200 and one.json()["sha256"] == manifest["sha256"]
    assert api(base_url, "GET", "/api/v1/models/no-such-model", API_KEY).status_code == 404
    assert api(base_url, "GET", "/api/v1/models").status_code == 401  # a key is configured: no anonymous


def test_audit_record_with_inclusion_proof(base_url):
    tid, owner = new_tenant(base_url, "proof")
    _, other = new_tenant(base_url, "proof-other")
    auditor = create_key(base_url, owner, name="a", role="auditor")["key"]
    member = create_key(base_url, owner, name="m", role="member")["key"]
    seq = audit(base_url, owner, limit=1)[0]["seq"]
    r = api(base_url, "GET", f"/api/v1/audit/{seq}", auditor)
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["seq"] == seq and p["record"]["tenant_id"] == tid and p["proof_verified"]
    leaf = hashlib.sha256(b"\x00" + p["leaf"].encode()).digest()
    assert leaf.hex() == p["leaf_hash"]
    assert verify_inclusion(seq, p["checkpoint"]["tree_size"], leaf, [bytes.fromhex(x) for x in p["inclusion_proof"]],
                            bytes.fromhex(p["checkpoint"]["root"]))
    assert p["checkpoint"]["note"].startswith("daulat/audit\n" + str(p["checkpoint"]["tree_size"]) + "\n")
    # Another tenant's record, a missing one and garbage.
    assert api(base_url, "GET", f"/api/v1/audit/{seq}", other).status_code == 404
    assert api(base_url, "GET", "/api/v1/audit/99999999", auditor).status_code == 404
    for bad in ("abc", "-1", "1e3", "18446744073709551616"):
        r = api(base_url, "GET", f"/api/v1/audit/{bad}", auditor)
        assert r.status_code in (400, 404), bad
    assert api(base_url, "GET", f"/api/v1/audit/{seq}", member).status_code == 403


def test_policy_draft_is_validated_without_being_stored(base_url):
    _, owner = new_tenant(base_url, "draft")
    before = api(base_url, "GET", "/api/v1/policy", owner).json()
    draft = {"levels": {"TERBUKA": {"models": [MODEL], "pii_prompt": "mask"}}}
    r = api(base_url, "PUT", "/api/v1/policy?dry_run=true", owner, draft)
    assert r.status_code == 200, r.text
    assert r.json()["valid"] is True and r.json()["levels"]["TERBUKA"]["models"] == [MODEL]
    assert api(base_url, "GET", "/api/v1/policy", owner).json() == before
    bad = api(base_url, "PUT", "/api/v1/policy?dry_run=true", owner, {"levels": {"TERBUKA": {"pii_prompt": "sometimes"}}})
    assert bad.status_code == 400 and "pii" in bad.json()["error"]["message"]
    assert api(base_url, "PUT", "/api/v1/policy?dry_run=true", owner, [1, 2]).status_code == 400
    assert [a["action"] for a in audit(base_url, owner, action="policy_validated")]


def test_usage_of_another_tenant_only_for_operator_owners(base_url):
    tid, owner = new_tenant(base_url, "usage")
    r = api(base_url, "GET", f"/api/v1/usage?tenant={tid}", API_KEY)  # the operator's owner
    assert r.status_code == 200, r.text
    assert api(base_url, "GET", "/api/v1/usage?tenant=default", owner).status_code == 404
    assert api(base_url, "GET", "/api/v1/usage?tenant=no-such-tenant", API_KEY).status_code == 404
    assert api(base_url, "GET", f"/api/v1/usage?tenant={tid}", owner).status_code == 200  # its own


def test_answers_from_documents_are_metered_like_inference(base_url):
    _, owner = new_tenant(base_url, "meter")
    assert api(base_url, "POST", "/api/v1/collections", owner, {"id": "c"}).status_code == 201
    assert upload(base_url, owner, "c", "yuran.md", "Yuran lesen memandu ialah RM30 setahun.".encode()).status_code == 201
    r = api(base_url, "POST", "/api/v1/ask", owner, {"question": "Berapakah yuran lesen memandu?"})
    assert r.status_code == 200 and r.json()["sources"] >= 1
    usage = api(base_url, "GET", "/api/v1/usage?group_by=model", owner).json()["data"]
    assert usage and usage[0]["model"] == MODEL and usage[0]["prompt_tokens"] > 0
