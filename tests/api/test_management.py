"""Management API (/api/v1): identity, policy, PII, audit, usage, and tenant isolation.

Runs against the session server. Every test works in tenants it creates
itself (random ids), so the shared operator tenant's policy never changes.
"""
import hashlib
import json
import os

import openai
import pytest

from conftest import API_KEY, MODEL, http

MYKAD = "900101-14-5678"


def api(base, method, path, key=None, body=None, headers=None):
    h = dict(headers or {})
    if key:
        h["Authorization"] = f"Bearer {key}"
    return http(method, base + path, body=body, headers=h)


def new_tenant(base, name):
    tid = f"{name}-{os.urandom(4).hex()}"
    r = api(base, "POST", "/api/v1/tenants", API_KEY, {"id": tid, "name": name.upper()})
    assert r.status_code == 201, r.text
    owner = r.json()["owner_key"]
    assert owner["key"].startswith("dlt_") and r.json()["id"] == tid
    return tid, owner["key"]


def create_key(base, key, **fields):
    r = api(base, "POST", "/api/v1/keys", key, dict({"name": "k"}, **fields))
    assert r.status_code == 201, r.text
    return r.json()


def chat(base, key, content, classification=None, **extra):
    headers = {"X-Daulat-Classification": classification} if classification else {}
    body = dict({"model": MODEL, "messages": [{"role": "user", "content": content}], "max_tokens": 8,
                 "temperature": 0}, **extra)
    return api(base, "POST", "/v1/chat/completions", key, body, headers)


def audit(base, key, **query):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    r = api(base, "GET", "/api/v1/audit?" + qs, key)
    assert r.status_code == 200, r.text
    return r.json()["data"]


@pytest.fixture(scope="module")
def tenants(base_url):
    """Two tenants, each with an owner key, an admin user, a member key and an auditor key."""
    out = {}
    for name in ("jpn", "kkm"):
        tid, owner = new_tenant(base_url, name)
        r = api(base_url, "POST", "/api/v1/users", owner,
                {"username": "admin1", "password": "kata-laluan-panjang", "role": "admin", "clearance": "SULIT"})
        assert r.status_code == 201, r.text
        member = create_key(base_url, owner, name="member", role="member", clearance="TERHAD")
        auditor = create_key(base_url, owner, name="auditor", role="auditor")
        out[name] = {"id": tid, "owner": owner, "member": member["key"], "member_id": member["id"],
                     "auditor": auditor["key"]}
    return out


def test_openapi_document_describes_every_endpoint(base_url):
    r = http("GET", base_url + "/api/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    for path, ops in doc["paths"].items():
        for method in ops:
            concrete = path.replace("{id}", "x").replace("{username}", "x")
            reply = http(method.upper(), base_url + concrete, body=b"{}" if method != "get" else None)
            # Every documented operation exists: never "no such endpoint" or 405.
            assert reply.status_code not in (404, 405) or "no such endpoint" not in reply.text, (method, path)
            assert reply.status_code != 405, (method, path)


def test_bootstrap_admin_and_static_key_are_owners(base_url):
    r = api(base_url, "GET", "/api/v1/me", API_KEY)
    assert r.status_code == 200
    me = r.json()
    assert me["tenant"] == "default" and me["role"] == "owner" and me["authenticated"]
    assert api(base_url, "GET", "/api/v1/me").status_code == 401  # a key is configured: no anonymous


def test_keys_are_shown_once_work_and_stop_working_when_revoked(base_url, tenants):
    t = tenants["jpn"]
    k = create_key(base_url, t["owner"], name="ci", role="service", scopes=["inference", "models"])
    assert k["key"].startswith("dlt_" + k["prefix"] + "_")
    listed = api(base_url, "GET", "/api/v1/keys", t["owner"]).json()["data"]
    mine = [x for x in listed if x["id"] == k["id"]]
    assert mine and "key" not in mine[0] and k["key"] not in json.dumps(listed)
    assert chat(base_url, k["key"], "Hai").status_code == 200
    # Scoped: may infer, may not manage keys.
    assert api(base_url, "GET", "/api/v1/keys", k["key"]).status_code == 403
    assert api(base_url, "DELETE", f"/api/v1/keys/{k['id']}", t["owner"]).status_code == 200
    r = chat(base_url, k["key"], "Hai")
    assert r.status_code == 401 and r.json()["error"]["message"] == "invalid, expired or revoked API key"
    assert api(base_url, "DELETE", f"/api/v1/keys/{k['id']}", t["owner"]).status_code == 404
    actions = [(a["action"], a["resource"]) for a in audit(base_url, t["owner"], limit=1000)]
    assert ("key_created", f"key:{k['id']}") in actions and ("key_revoked", f"key:{k['id']}") in actions
    # The raw key never reaches the audit log.
    export = api(base_url, "GET", "/api/v1/audit/export", t["owner"]).text
    assert k["key"] not in export and k["key"][13:] not in export


def walk(base, key, path, limit):
    """Every page of a listing, checking each page's shape."""
    seen, after = [], ""
    while True:
        r = api(base, "GET", f"{path}?limit={limit}&after={after}", key)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["data"]) <= limit
        seen += page["data"]
        if not page["has_more"]:
            return seen
        after = page["next_after"]


def test_users_and_keys_list_a_page_at_a_time_and_only_the_callers_tenant(base_url):
    _, owner = new_tenant(base_url, "senarai")
    _, stranger = new_tenant(base_url, "jiran")
    made = {create_key(base_url, owner, name=f"k{i}")["id"] for i in range(5)}
    for i in range(5):
        r = api(base_url, "POST", "/api/v1/users", owner,
                {"username": f"pegawai{i}", "password": "kata-laluan-panjang"})
        assert r.status_code == 201, r.text
    keys = walk(base_url, owner, "/api/v1/keys", 2)
    assert made <= {k["id"] for k in keys} and len(keys) == len({k["id"] for k in keys})
    assert all("key" not in k for k in keys)
    users = walk(base_url, owner, "/api/v1/users", 2)
    names = [u["username"] for u in users]
    assert names == sorted(names) and {f"pegawai{i}" for i in range(5)} <= set(names)
    # Revoking keys between pages neither repeats nor skips the others.
    first = api(base_url, "GET", "/api/v1/keys?limit=2", owner).json()
    for k in first["data"]:
        if k["id"] in made:  # the owner's own key may share their second and sort among them
            assert api(base_url, "DELETE", f"/api/v1/keys/{k['id']}", owner).status_code == 200
    rest = api(base_url, "GET", f"/api/v1/keys?limit=1000&after={first['next_after']}", owner).json()
    assert {k["id"] for k in first["data"]} | {k["id"] for k in rest["data"]} == {k["id"] for k in keys}
    # A cursor from this tenant shows the stranger only the stranger's own.
    mine = {k["id"] for k in keys}
    theirs = api(base_url, "GET", f"/api/v1/keys?after={first['next_after']}", stranger).json()["data"]
    assert not mine & {k["id"] for k in theirs}
    users_after = api(base_url, "GET", "/api/v1/users?after=a", stranger).json()["data"]
    assert not set(names) & {u["username"] for u in users_after}
    for path, query, param in [("/api/v1/keys", "limit=0", "limit"), ("/api/v1/users", "limit=5000", "limit"),
                               ("/api/v1/keys", "after=nonsense", "after"), ("/api/v1/users", "after=" + "x" * 200, "after")]:
        r = api(base_url, "GET", f"{path}?{query}", owner)
        assert r.status_code == 400 and r.json()["error"]["param"] == param, (path, query, r.text)


def test_sign_in_sessions_and_failed_sign_ins_are_audited(base_url, tenants):
    t = tenants["jpn"]
    bad = api(base_url, "POST", "/api/v1/auth/login", body={"tenant": t["id"], "username": "admin1", "password": "wrong-password!"})
    nobody = api(base_url, "POST", "/api/v1/auth/login", body={"tenant": t["id"], "username": "ghost", "password": "wrong-password!"})
    assert bad.status_code == nobody.status_code == 401
    assert bad.json()["error"]["message"] == nobody.json()["error"]["message"]
    ok = api(base_url, "POST", "/api/v1/auth/login", body={"tenant": t["id"], "username": "admin1", "password": "kata-laluan-panjang"})
    assert ok.status_code == 200, ok.text
    session = ok.json()
    assert session["token"].startswith("dls_") and session["role"] == "admin" and session["clearance"] == "SULIT"
    me = api(base_url, "GET", "/api/v1/me", session["token"]).json()
    assert me["subject"] == "user:admin1" and me["tenant"] == t["id"]
    failed = audit(base_url, session["token"], action="login_failed")
    actors = {f["actor"] for f in failed}
    assert "user:admin1" in actors
    # No account "ghost": the name may be a password typed in the wrong box, so
    # the log keeps a keyed hash of it, never the text.
    assert any(a.startswith("user:(unknown hmac:") for a in actors) and "user:ghost" not in actors
    assert all(f["decision"] == "deny" and "wrong-password" not in json.dumps(f) for f in failed)
    assert all("ghost" not in json.dumps(f) for f in failed)
    assert audit(base_url, session["token"], action="login")
    assert api(base_url, "POST", "/api/v1/auth/logout", session["token"]).status_code == 200
    assert api(base_url, "GET", "/api/v1/me", session["token"]).status_code == 401


def test_roles_clearances_and_no_privilege_escalation(base_url, tenants):
    t = tenants["jpn"]
    member, auditor = t["member"], t["auditor"]
    assert api(base_url, "GET", "/api/v1/users", member).status_code == 403
    assert api(base_url, "PUT", "/api/v1/policy", member, {"levels": {}}).status_code == 403
    assert chat(base_url, auditor, "Hai").status_code == 403  # auditors never see content
    assert api(base_url, "GET", "/api/v1/audit", auditor).status_code == 200
    assert api(base_url, "GET", "/api/v1/usage", auditor).status_code == 200
    assert api(base_url, "GET", "/api/v1/tenants", t["owner"]).status_code == 403  # not the operator
    session = api(base_url, "POST", "/api/v1/auth/login", body={"tenant": t["id"], "username": "admin1", "password": "kata-laluan-panjang"}).json()["token"]
    r = api(base_url, "POST", "/api/v1/keys", session, {"name": "x", "role": "owner"})
    assert r.status_code == 403 and "cannot grant the role owner" in r.json()["error"]["message"]
    r = api(base_url, "POST", "/api/v1/keys", session, {"name": "x", "clearance": "RAHSIA"})
    assert r.status_code == 403 and "above your own (SULIT)" in r.json()["error"]["message"]
    # Clearance: a TERHAD key may not declare SULIT; the reason says why.
    r = chat(base_url, member, "Hai", classification="SULIT")
    assert r.status_code == 403 and "clearance is TERHAD" in r.json()["error"]["message"]
    assert chat(base_url, member, "Hai", classification="TERBUKA").status_code == 200
    assert chat(base_url, member, "Hai", classification="nonsense").status_code == 400


def test_policy_versions_decisions_and_their_audit(base_url, tenants):
    t = tenants["kkm"]
    bad = api(base_url, "PUT", "/api/v1/policy", t["owner"], {"levels": {"SULIT": {"pii_prompt": "redact"}}})
    assert bad.status_code == 400 and "levels.SULIT.pii_prompt" in bad.json()["error"]["message"]
    current = api(base_url, "GET", "/api/v1/policy", t["owner"]).json()
    assert current["version"] == 0
    current["levels"]["TERHAD"]["models"] = ["some-other-model"]
    current["levels"]["TERBUKA"]["pii_prompt"] = "block"
    put = api(base_url, "PUT", "/api/v1/policy", t["owner"], current)
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 1 and put.json()["updated_by"].startswith("key:")
    assert len(api(base_url, "GET", "/api/v1/policy/versions", t["auditor"]).json()["data"]) == 1
    r = chat(base_url, t["member"], "Hai")  # TERHAD by default
    assert r.status_code == 403
    reason = r.json()["error"]["message"]
    assert "policy v1 does not allow the model 'gemma3-270m' for TERHAD" in reason
    r = chat(base_url, t["member"], f"MyKad saya {MYKAD}", classification="TERBUKA")
    assert r.status_code == 403 and "MYKAD x1" in r.json()["error"]["message"]
    records = audit(base_url, t["auditor"], limit=1000)
    changed = [a for a in records if a["action"] == "policy_changed"]
    assert changed and changed[-1]["resource"] == "policy:v1"
    denied = [a for a in records if a["action"] == "inference" and a["decision"] == "deny"]
    assert any("does not allow the model" in a["reason"] and a["classification"] == "TERHAD" for a in denied)
    assert any(a["pii_counts"].get("MYKAD") == 1 for a in denied)
    assert all(MYKAD not in json.dumps(a) for a in records)


def mykad_schema(value=None):
    """A schema whose only answer is `value`; without one, any MyKad born on 1 Jan 1990 in
    Selangor, so that the model writes the last four digits itself."""
    field = {"type": "string", "enum": [value]} if value else \
        {"type": "string", "pattern": "^900101-14-[0-9]{4}$"}
    return {"type": "json_schema", "json_schema": {"name": "r", "strict": True, "schema": {
        "type": "object", "properties": {"id": field},
        "required": ["id"], "additionalProperties": False}}}


def test_pii_masked_in_prompts_restored_in_answers_and_guarded_in_output(base_url, tenants):
    t = tenants["jpn"]
    # The model only sees <MYKAD_1>; the grammar makes it answer with that placeholder,
    # and the caller gets its own value back.
    r = chat(base_url, t["owner"], f"Nombor MyKad saya {MYKAD}. Ulang.", classification="TERBUKA",
             max_tokens=40, response_format=mykad_schema("<MYKAD_1>"))
    assert r.status_code == 200, r.text
    assert json.loads(r.json()["choices"][0]["message"]["content"]) == {"id": MYKAD}
    # A MyKad in the response format is the caller's too: the model only reads its
    # placeholder (the schema is masked like every text it reads) and the caller gets it back.
    r = chat(base_url, t["owner"], "Beri satu contoh.", classification="TERHAD", max_tokens=40,
             response_format=mykad_schema(MYKAD))
    assert r.status_code == 200, r.text
    assert json.loads(r.json()["choices"][0]["message"]["content"]) == {"id": MYKAD}
    # A MyKad the model produces on its own is masked at TERHAD and above (default policy) ...
    r = chat(base_url, t["owner"], "Beri satu contoh.", classification="TERHAD", max_tokens=40,
             response_format=mykad_schema())
    assert r.status_code == 200, r.text
    assert json.loads(r.json()["choices"][0]["message"]["content"]) == {"id": "<MYKAD_REDACTED>"}
    # ... also when streamed, in whatever chunks it arrives.
    client = openai.OpenAI(base_url=base_url + "/v1", api_key=t["owner"], max_retries=0)
    chunks = list(client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Beri satu contoh."}], max_tokens=40, temperature=0,
        stream=True, response_format=mykad_schema(), extra_headers={"X-Daulat-Classification": "TERHAD"}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert json.loads(text) == {"id": "<MYKAD_REDACTED>"}
    assert all("900101" not in (c.choices[0].delta.content or "") for c in chunks if c.choices)
    # Every choice of an n > 1 request passes the same rule, whole or streamed.
    r = chat(base_url, t["owner"], "Beri satu contoh.", classification="TERHAD", max_tokens=40,
             response_format=mykad_schema(), n=3)  # greedy: each choice is whole within 40 tokens
    assert r.status_code == 200, r.text
    assert [c["index"] for c in r.json()["choices"]] == [0, 1, 2]
    assert all(json.loads(c["message"]["content"]) == {"id": "<MYKAD_REDACTED>"} for c in r.json()["choices"])
    chunks = list(client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Beri satu contoh."}], max_tokens=40, n=3,
        temperature=0, stream=True, response_format=mykad_schema(), extra_headers={"X-Daulat-Classification": "TERHAD"}))
    for i in range(3):
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices and c.choices[0].index == i)
        assert json.loads(text) == {"id": "<MYKAD_REDACTED>"}
    assert "900101" not in "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    # Block mode for outputs ends the answer with finish_reason content_filter.
    policy = api(base_url, "GET", "/api/v1/policy", t["owner"]).json()
    policy["levels"]["SULIT"]["pii_output"] = "block"
    assert api(base_url, "PUT", "/api/v1/policy", t["owner"], policy).status_code == 200
    r = chat(base_url, t["owner"], "Beri satu contoh.", classification="SULIT", max_tokens=40,
             response_format=mykad_schema())
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["finish_reason"] == "content_filter"
    assert "900101" not in r.text
    records = audit(base_url, t["owner"], action="inference", limit=1000)
    assert any(a["pii_counts"].get("output_MYKAD") == 1 and "answer stopped" in a["reason"] for a in records)


def test_quotas_and_usage(base_url, tenants):
    t = tenants["kkm"]
    k = create_key(base_url, t["owner"], name="quota", role="member", requests_per_minute=1)
    assert chat(base_url, k["key"], "Hai", classification="TERBUKA").status_code == 200
    r = chat(base_url, k["key"], "Hai", classification="TERBUKA")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert "requests per minute" in r.json()["error"]["message"]
    patched = api(base_url, "PATCH", f"/api/v1/keys/{k['id']}", t["owner"], {"requests_per_minute": 0})
    assert patched.status_code == 200 and patched.json()["requests_per_minute"] == 0
    assert chat(base_url, k["key"], "Hai", classification="TERBUKA").status_code == 200
    usage = api(base_url, "GET", "/api/v1/usage?group_by=key,model", t["auditor"]).json()["data"]
    row = [u for u in usage if u["key"] == f"key:{k['id']}"]
    assert row and row[0]["requests"] == 2 and row[0]["model"] == MODEL and row[0]["total_tokens"] > 0
    assert api(base_url, "GET", "/api/v1/usage?group_by=colour", t["auditor"]).status_code == 400
    assert api(base_url, "GET", "/api/v1/usage?from=yesterday", t["auditor"]).status_code == 400


def test_tenant_isolation_across_every_endpoint(base_url, tenants):
    a, b = tenants["jpn"], tenants["kkm"]
    b_key_id = b["member_id"]

    def same_as_missing(method, path, body=None):
        """A's attempt on B's object answers exactly like an object that does not exist."""
        theirs = api(base_url, method, path.format(b_key_id), a["owner"], body)
        missing = api(base_url, method, path.format("key_doesnotexist0000"), a["owner"], body)
        assert theirs.status_code == missing.status_code == 404, (path, theirs.text)
        assert theirs.json()["error"]["message"].replace(b_key_id, "X") == \
            missing.json()["error"]["message"].replace("key_doesnotexist0000", "X")

    same_as_missing("DELETE", "/api/v1/keys/{}")
    same_as_missing("PATCH", "/api/v1/keys/{}", {"requests_per_minute": 5})
    theirs = api(base_url, "PATCH", "/api/v1/users/admin1", a["owner"], {"disabled": True})
    assert theirs.status_code == 200  # A's own admin1: names are per tenant
    api(base_url, "PATCH", "/api/v1/users/admin1", a["owner"], {"disabled": False})
    ghost = api(base_url, "PATCH", "/api/v1/users/nobody", a["owner"], {"disabled": True})
    assert ghost.status_code == 404
    # B's key still works: A's attempts changed nothing.
    assert chat(base_url, b["member"], "Hai", classification="TERBUKA").status_code == 200
    # Lists never show the other tenant.
    for path in ("/api/v1/keys", "/api/v1/users", "/api/v1/audit?limit=1000", "/api/v1/usage?group_by=key",
                 "/api/v1/policy", "/api/v1/policy/versions"):
        r = api(base_url, "GET", path, a["owner"])
        assert r.status_code == 200, path
        # A's own (refused) attempts on B's key id are A's records; nothing else may name B.
        lines = r.text.replace("},{", "}\n{").splitlines()
        leaks = [x for x in lines if (b["id"] in x or b_key_id in x)
                 and not ('"decision":"deny"' in x and f'"tenant_id":"{a["id"]}"' in x)]
        assert not leaks, (path, leaks[:3])
    # A's credentials do not open B's tenant.
    r = api(base_url, "POST", "/api/v1/auth/login", body={"tenant": b["id"], "username": "admin1", "password": "wrong-password!"})
    assert r.status_code == 401
    # Tenants are the operator's: another tenant's owner gets the same 403 for any id.
    t1 = api(base_url, "PATCH", f"/api/v1/tenants/{b['id']}", a["owner"], {"tokens_per_day": 1})
    t2 = api(base_url, "PATCH", "/api/v1/tenants/nope", a["owner"], {"tokens_per_day": 1})
    assert t1.status_code == t2.status_code == 403 and t1.json() == t2.json()
    # The export holds only A's records, each provably in the signed log.
    lines = [json.loads(x) for x in api(base_url, "GET", "/api/v1/audit/export", a["auditor"]).text.splitlines()]
    head, records = lines[0], lines[1:]
    assert head["type"] == "checkpoint" and records
    size = head["tree_size"]
    root = __import__("base64").b64decode(head["note"].split("\n")[2])
    for rec in records:
        leaf = json.loads(rec["leaf"])
        assert leaf["tenant_id"] == a["id"]
        digest = hashlib.sha256(b"\x00" + rec["leaf"].encode()).hexdigest()
        assert digest == rec["leaf_hash"]
        assert verify_inclusion(rec["seq"], size, bytes.fromhex(digest), [bytes.fromhex(h) for h in rec["inclusion_proof"]], root)


def test_the_audit_export_streams_and_a_reader_who_leaves_stops_it(base_url, tenants):
    """A tenant's whole log is not held in memory: the export leaves in chunks
    as it is read, and a client that leaves midway stops it."""
    import socket
    import urllib.parse
    t = tenants["jpn"]
    for _ in range(300):  # enough records for several chunks
        assert api(base_url, "GET", "/v1/models", t["owner"]).status_code == 200
    r = api(base_url, "GET", "/api/v1/audit/export", t["owner"])
    assert r.status_code == 200 and r.headers.get("Transfer-Encoding") == "chunked", r.headers
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert lines[0]["type"] == "checkpoint" and len(lines) > 300
    assert all(x["type"] == "record" for x in lines[1:])
    u = urllib.parse.urlparse(base_url)
    with socket.create_connection((u.hostname, u.port)) as s:
        s.sendall(f"GET /api/v1/audit/export HTTP/1.1\r\nHost: {u.hostname}\r\n"
                  f"Authorization: Bearer {t['owner']}\r\n\r\n".encode())
        assert s.recv(64).startswith(b"HTTP/1.1 200")
    assert api(base_url, "GET", "/v1/models", t["owner"]).status_code == 200  # the server is fine


def test_an_export_nobody_reads_stalls_no_one_else(base_url, tenants):
    """An auditor who opens an export and never reads it holds only an export
    thread: audit reads of every tenant go on."""
    import http.client
    import socket
    import time
    import urllib.parse
    t = tenants["jpn"]
    u = urllib.parse.urlparse(base_url)
    conn = http.client.HTTPConnection(u.hostname, u.port)
    for _ in range(3000):  # a log big enough to fill the socket and the send queue
        conn.request("GET", "/v1/models", headers={"Authorization": f"Bearer {t['owner']}"})
        conn.getresponse().read()
    conn.close()
    stalled = []
    for _ in range(3):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect((u.hostname, u.port))
        s.sendall(f"GET /api/v1/audit/export HTTP/1.1\r\nHost: {u.hostname}\r\n"
                  f"Authorization: Bearer {t['owner']}\r\n\r\n".encode())
        stalled.append(s)
    time.sleep(1)
    try:
        started = time.monotonic()
        r = api(base_url, "GET", "/api/v1/audit?limit=1", tenants["kkm"]["owner"])
        assert r.status_code == 200, r.text
        assert api(base_url, "GET", "/api/v1/audit/1", t["owner"]).status_code in (200, 404)
        assert time.monotonic() - started < 10, "audit reads waited for a stalled export"
    finally:
        for s in stalled:
            s.close()


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def test_audit_verify_endpoint(base_url, tenants):
    t = tenants["jpn"]
    r = api(base_url, "GET", "/api/v1/audit/verify", t["auditor"])
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["ok"] and v["records"] > 0 and v["checkpoint"].startswith("daulat/audit\n")
    assert api(base_url, "GET", "/api/v1/audit/verify", t["member"]).status_code == 403


@pytest.mark.parametrize("method,path,body,needle", [
    ("POST", "/api/v1/keys", b"{not json", "not valid JSON"),
    ("POST", "/api/v1/keys", [], "JSON object"),
    ("POST", "/api/v1/keys", {}, "'name' is required"),
    ("POST", "/api/v1/keys", {"name": "x", "colour": 1}, "unknown field 'colour'"),
    ("POST", "/api/v1/keys", {"name": 5}, "'name' must be a string"),
    ("POST", "/api/v1/keys", {"name": "x" * 500}, "'name' must be a string of 1 to 128"),
    ("POST", "/api/v1/keys", {"name": "x", "role": "root"}, "'role' must be"),
    ("POST", "/api/v1/keys", {"name": "x", "clearance": "ULTRA"}, "'clearance' must be"),
    ("POST", "/api/v1/keys", {"name": "x", "scopes": ["everything"]}, "unknown scope"),
    ("POST", "/api/v1/keys", {"name": "x", "scopes": "inference"}, "'scopes' must be an array"),
    ("POST", "/api/v1/keys", {"name": "x", "expires_in_days": 0}, "'expires_in_days'"),
    ("POST", "/api/v1/keys", {"name": "x", "requests_per_minute": -1}, "'requests_per_minute'"),
    ("PATCH", "/api/v1/keys/abc", {"tokens_per_day": "many"}, "'tokens_per_day'"),
    ("POST", "/api/v1/users", {"username": "u", "password": "short"}, "at least 12 characters"),
    ("POST", "/api/v1/users", {"username": "", "password": "long-enough-password"}, "'username'"),
    ("PATCH", "/api/v1/users/u", {"disabled": "yes"}, "'disabled' must be true or false"),
    ("PUT", "/api/v1/policy", {"levels": {"SULIT": {"retention_days": 0}}}, "retention_days"),
    ("PUT", "/api/v1/policy", {"rules": {}}, "unknown policy field rules"),
    ("POST", "/api/v1/auth/login", {"username": "x"}, "'password' is required"),
    ("POST", "/api/v1/tenants", {"id": "Bad Id!", "name": "x"}, "a tenant id is"),
    ("GET", "/api/v1/audit?limit=0", None, "'limit'"),
    ("GET", "/api/v1/audit?after=abc", None, "'after'"),
])
def test_bad_management_input_is_400_naming_the_problem(base_url, method, path, body, needle):
    key = API_KEY  # the operator owner may call every endpoint
    r = api(base_url, method, path, key, body)
    assert r.status_code == 400, (path, r.status_code, r.text)
    err = r.json()["error"]
    assert needle in err["message"], err
    assert err["type"] == "invalid_request_error"


def test_unauthenticated_management_calls_learn_nothing(base_url):
    for method, path in [("GET", "/api/v1/keys"), ("POST", "/api/v1/keys"), ("GET", "/api/v1/audit"),
                         ("DELETE", "/api/v1/keys/key_x"), ("PUT", "/api/v1/policy")]:
        r = http(method, base_url + path, body=b"{broken")
        assert r.status_code == 401, (method, path)
        assert r.json()["error"]["message"].startswith("missing API key")


def test_an_echoed_prompt_comes_back_with_the_callers_own_values(base_url, tenants):
    t = tenants["jpn"]  # default policy at TERBUKA: prompts masked
    prompt = "Emel pemohon: ali@contoh.com.my."
    r = api(base_url, "POST", "/v1/completions", t["owner"],
            {"model": MODEL, "prompt": prompt, "max_tokens": 1, "echo": True, "temperature": 0},
            {"X-Daulat-Classification": "TERBUKA"})
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["text"].startswith(prompt)
