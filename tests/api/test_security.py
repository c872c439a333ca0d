"""Attacks from outside the trust boundary, each against a running server.

The attackers: a web page open in the operator's browser (cross-site
requests, DNS rebinding), an anonymous caller reaching for /api on a
loopback server, and a lower-cleared colleague. Each test failed before its
defence existed.
"""
import os
import signal

import pytest

from conftest import MODEL, http, start_server, wait_until
from test_lumin import multipart

ADMIN = "security-admin-" + os.urandom(16).hex()


@pytest.fixture(scope="module")
def open_server():
    """A loopback server with no static key: the quick start's anonymous /v1."""
    old = os.environ.get("DAULAT_ADMIN_KEY")
    os.environ["DAULAT_ADMIN_KEY"] = ADMIN
    try:
        proc, base, log = start_server(api_key="")
    finally:
        if old is None:
            os.environ.pop("DAULAT_ADMIN_KEY", None)
        else:
            os.environ["DAULAT_ADMIN_KEY"] = old
    yield base
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def _call(base, method, path, body=None, headers=None, key=None):
    h = dict(headers or {})
    if key:
        h["Authorization"] = f"Bearer {key}"
    return http(method, base + path, body=body, headers=h)


def test_anonymous_callers_get_v1_and_health_only(open_server):
    base = open_server
    assert _call(base, "GET", "/v1/models").status_code == 200
    assert _call(base, "GET", "/healthz").status_code == 200
    chat = {"model": MODEL, "messages": [{"role": "user", "content": "Hai"}], "max_tokens": 2}
    assert _call(base, "POST", "/v1/chat/completions", chat).status_code == 200
    # Set up a collection with a document, as the admin.
    coll = "awam-" + os.urandom(3).hex()
    r = _call(base, "POST", "/api/v1/collections", {"id": coll}, key=ADMIN)
    assert r.status_code == 201, r.text
    again = _call(base, "POST", "/api/v1/collections", {"id": coll}, key=ADMIN)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_exists"
    body, ctype = multipart({"classification": "TERBUKA"}, {"file": ("notis.txt", b"Notis dalaman pejabat.")})
    r = http("POST", f"{base}/api/v1/collections/{coll}/documents", body=body,
             headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": ctype})
    assert r.status_code == 201, r.text
    # Anonymous: no search, no listing, no upload, no management, even from this machine.
    for method, path, payload in [("POST", "/api/v1/search", {"query": "notis"}),
                                  ("GET", "/api/v1/collections", None),
                                  ("GET", "/api/v1/documents", None),
                                  ("GET", "/api/v1/me", None),
                                  ("GET", "/api/v1/models", None)]:
        r = _call(base, method, path, payload)
        assert r.status_code == 401, (path, r.status_code, r.text)
    r = http("POST", f"{base}/api/v1/collections/{coll}/documents", body=body, headers={"Content-Type": ctype})
    assert r.status_code == 401, r.text
    # The placeholder key OpenAI SDKs send is anonymous too, and gets no further.
    assert _call(base, "POST", "/api/v1/search", {"query": "notis"}, key="sk-no-key").status_code == 401


def test_a_web_page_elsewhere_gets_nothing_anonymously(open_server):
    base = open_server
    port = base.rsplit(":", 1)[1]
    models = "/v1/models"
    # DNS rebinding: the browser sends the attacker's name as Host.
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.evil.example:{port}", "localhost.evil"):
        assert _call(base, "GET", models, headers={"Host": host}).status_code == 401, host
    # A cross-site request from a page the operator has open carries its origin.
    for origin in ("http://evil.example", "https://evil.example:8443", "null", "http://localhost.evil.example"):
        r = _call(base, "POST", "/v1/chat/completions",
                  {"model": MODEL, "messages": [{"role": "user", "content": "Hai"}], "max_tokens": 2},
                  headers={"Origin": origin})
        assert r.status_code == 401, origin
    # Local names and origins still work: the quick start's curl, a local tool.
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "localhost"):
        assert _call(base, "GET", models, headers={"Host": host}).status_code == 200, host
    assert _call(base, "GET", models, headers={"Origin": f"http://localhost:{port}"}).status_code == 200
    # A key holder is not anonymous: its requests do not depend on the Host it used.
    assert _call(base, "GET", models, headers={"Host": "daulat.internal"}, key=ADMIN).status_code == 200


def _login(base, tenant, username, password):
    return _call(base, "POST", "/api/v1/auth/login", {"tenant": tenant, "username": username, "password": password})


@pytest.fixture(scope="module")
def agency(open_server):
    """A tenant with a RAHSIA member, a TERHAD admin and a TERHAD member, signed in."""
    base = open_server
    tid = "agensi-" + os.urandom(3).hex()
    r = _call(base, "POST", "/api/v1/tenants", {"id": tid, "name": "Agensi"}, key=ADMIN)
    assert r.status_code == 201, r.text
    owner = r.json()["owner_key"]
    people = {"rahsia": ("member", "RAHSIA", ["risikan"]), "terhad-admin": ("admin", "TERHAD", []),
              "terhad": ("member", "TERHAD", [])}
    for name, (role, clearance, groups) in people.items():
        r = _call(base, "POST", "/api/v1/users", {"username": name, "password": "kata-laluan-" + name,
                                                  "role": role, "clearance": clearance, "groups": groups},
                  key=owner["key"])
        assert r.status_code == 201, r.text
    tokens = {n: _login(base, tid, n, "kata-laluan-" + n).json()["token"] for n in people}
    return {"base": base, "tenant": tid, "owner": owner, "tokens": tokens}


def test_a_lower_cleared_admin_cannot_take_over_a_colleague_or_the_owners_key(agency):
    base, t, admin = agency["base"], agency["tenant"], agency["tokens"]["terhad-admin"]
    for change in ({"password": "saya-tahu-sekarang-123"}, {"groups": []}, {"disabled": True},
                   {"clearance": "TERBUKA"}, {"role": "auditor"}):
        r = _call(base, "PATCH", "/api/v1/users/rahsia", change, key=admin)
        assert r.status_code == 403, (change, r.text)
    assert _login(base, t, "rahsia", "saya-tahu-sekarang-123").status_code == 401
    assert _login(base, t, "rahsia", "kata-laluan-rahsia").status_code == 200
    owner_key = agency["owner"]["id"]
    assert _call(base, "DELETE", f"/api/v1/keys/{owner_key}", key=admin).status_code == 403
    assert _call(base, "PATCH", f"/api/v1/keys/{owner_key}", {"requests_per_minute": 1}, key=admin).status_code == 403
    # Nor hand out what it does not hold: a group, a higher clearance, a wider key.
    r = _call(base, "PATCH", "/api/v1/users/terhad", {"groups": ["risikan"]}, key=admin)
    assert r.status_code == 403, r.text
    r = _call(base, "POST", "/api/v1/keys", {"name": "x", "clearance": "SULIT"}, key=admin)
    assert r.status_code == 403, r.text
    # What it may do still works, and a PATCH leaves the quotas it was not given alone.
    r = _call(base, "POST", "/api/v1/keys", {"name": "portal", "role": "service", "scopes": ["documents.read"],
                                             "requests_per_minute": 5, "tokens_per_day": 1000}, key=admin)
    assert r.status_code == 201, r.text
    r = _call(base, "PATCH", f"/api/v1/keys/{r.json()['id']}", {"requests_per_minute": 7}, key=admin)
    assert r.status_code == 200 and r.json()["requests_per_minute"] == 7 and r.json()["tokens_per_day"] == 1000


def test_an_upload_never_replaces_or_reveals_a_hidden_document(agency):
    base, owner = agency["base"], agency["owner"]["key"]
    rahsia, terhad = agency["tokens"]["rahsia"], agency["tokens"]["terhad"]
    assert _call(base, "POST", "/api/v1/collections", {"id": "laporan"}, key=owner).status_code == 201  # new tenant

    def upload(key, name, data, level):
        body, ctype = multipart({"classification": level}, {"file": (name, data)})
        return http("POST", f"{base}/api/v1/collections/laporan/documents", body=body,
                    headers={"Authorization": f"Bearer {key}", "Content-Type": ctype})

    secret = b"Operasi bermula 3 Mac di Pelabuhan Klang."
    hidden = upload(rahsia, "operasi.txt", secret, "RAHSIA").json()
    for name, data in (("operasi.txt", b"Teks saya sendiri."), ("salinan.txt", secret)):
        r = upload(terhad, name, data, "TERHAD")  # the same name, then the same bytes
        assert r.status_code == 201, r.text
        mine = r.json()
        assert mine["id"] != hidden["id"] and mine["version"] == 1 and not mine.get("duplicate")
        assert hidden["id"] not in r.text and "RAHSIA" not in r.text
    got = _call(base, "GET", f"/api/v1/documents/{hidden['id']}", key=rahsia).json()
    assert got["version"] == 1 and got["classification"] == "RAHSIA"
    r = _call(base, "GET", f"/api/v1/documents/{hidden['id']}/passages", key=rahsia)
    assert "Pelabuhan Klang" in r.text


def test_deeply_nested_json_is_refused_and_the_server_lives(open_server):
    base = open_server
    deep = "{" * 60000 + '"type": "object"' + "}" * 60000
    body = ('{"model": "%s", "messages": [{"role": "user", "content": "Hai"}], "tools": [{"type": "function", '
            '"function": {"name": "f", "parameters": %s}}]}' % (MODEL, deep)).encode()
    for path in ("/v1/chat/completions", "/api/v1/auth/login"):
        r = http("POST", base + path, body=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and "nests deeper" in r.text, (path, r.status_code, r.text[:200])
    assert _call(base, "GET", "/healthz").status_code == 200
    shallow = {"model": MODEL, "messages": [{"role": "user", "content": "Hai"}], "max_tokens": 2}
    assert _call(base, "POST", "/v1/chat/completions", shallow).status_code == 200


def test_old_answers_are_rechecked_when_a_reader_loses_a_group(agency):
    """A member removed from a group must not keep reading, in an old
    conversation, the answers drawn from that group's documents."""
    base, owner, rahsia = agency["base"], agency["owner"]["key"], agency["tokens"]["rahsia"]
    coll = "risikan-" + os.urandom(3).hex()
    assert _call(base, "POST", "/api/v1/collections", {"id": coll}, key=owner).status_code == 201
    body, ctype = multipart({"classification": "TERBUKA", "acl": "risikan"},
                            {"file": ("helang.txt", b"Operasi Helang bermula pada 3 Mac di Pelabuhan Klang.")})
    r = http("POST", f"{base}/api/v1/collections/{coll}/documents", body=body,
             headers={"Authorization": f"Bearer {owner}", "Content-Type": ctype})
    assert r.status_code == 201, r.text
    conv = _call(base, "POST", "/api/v1/conversations", {}, key=rahsia).json()["id"]
    r = _call(base, "POST", "/api/v1/ask", {"question": "Bilakah Operasi Helang bermula?",
                                            "conversation_id": conv, "collection": coll}, key=rahsia)
    assert r.status_code == 200, r.text
    assert len(_call(base, "GET", f"/api/v1/conversations/{conv}", key=rahsia).json()["messages"]) == 1
    try:
        assert _call(base, "PATCH", "/api/v1/users/rahsia", {"groups": []}, key=owner).status_code == 200
        got = _call(base, "GET", f"/api/v1/conversations/{conv}", key=rahsia).json()
        assert got["messages"] == [] and got["withheld"] == 1, got
    finally:
        _call(base, "PATCH", "/api/v1/users/rahsia", {"groups": ["risikan"]}, key=owner)


def test_an_audit_log_that_cannot_be_written_withholds_answers(tmp_path):
    """A full disk (here a trigger that fails every audit insert) must not
    let answers leave unrecorded; health checks go on, and service comes
    back when the log can be written. Health, metrics and unrouted paths
    are never recorded as inference."""
    import sqlite3
    shared = os.environ.get("DAULAT_DATA_DIR")
    assert shared, "tests run with DAULAT_DATA_DIR set to the bootstrapped data folder"
    (tmp_path / "models").symlink_to(os.path.join(shared, "models"))
    os.environ["DAULAT_DATA_DIR"] = str(tmp_path)
    try:
        proc, base, log = start_server(api_key=ADMIN)
    finally:
        os.environ["DAULAT_DATA_DIR"] = shared
    try:
        chat = {"model": MODEL, "messages": [{"role": "user", "content": "Hai"}], "max_tokens": 2}
        assert _call(base, "POST", "/v1/chat/completions", chat, key=ADMIN).status_code == 200
        for path in ("/healthz", "/readyz", "/api/openapi.json"):
            assert _call(base, "GET", path).status_code == 200
        assert _call(base, "GET", "/metrics", key=ADMIN).status_code == 200
        assert _call(base, "GET", "/no/such/endpoint", key=ADMIN).status_code == 404
        records = _call(base, "GET", "/api/v1/audit?limit=100", key=ADMIN).json()["data"]
        assert not [r for r in records if r["resource"] in ("/healthz", "/readyz", "/metrics", "/api/openapi.json")]
        assert [r["action"] for r in records if r["resource"] == "unknown"] == ["unrouted"]
        assert [r["action"] for r in records if r["resource"] == "/v1/chat/completions"] == ["inference"]

        db = sqlite3.connect(str(tmp_path / "daulat.db"), timeout=30)
        db.execute("CREATE TRIGGER disk_full BEFORE INSERT ON audit_records BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        db.commit()
        # A stream cannot hold its answer back until its last record, so the
        # record that it opened must be written before any of it leaves.
        r = _call(base, "POST", "/v1/chat/completions", {**chat, "stream": True}, key=ADMIN)
        assert r.status_code == 503 and "audit" in r.json()["error"]["message"], r.text
        assert "data:" not in r.text
        db.execute("DROP TRIGGER disk_full")
        db.commit()
        wait_until(lambda: _call(base, "POST", "/v1/chat/completions", chat, key=ADMIN).status_code == 200, 15)
        r = _call(base, "POST", "/v1/chat/completions", {**chat, "stream": True}, key=ADMIN)
        assert r.status_code == 200 and "data:" in r.text, r.text
        r = _call(base, "POST", "/api/v1/ask", {"question": "Apa itu MyKad?", "stream": True}, key=ADMIN)
        assert r.status_code == 200 and "data:" in r.text, r.text
        db.execute("CREATE TRIGGER disk_full BEFORE INSERT ON audit_records BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        db.commit()
        r = _call(base, "POST", "/api/v1/ask", {"question": "Apa itu MyKad?", "stream": True}, key=ADMIN)
        assert r.status_code == 503 and "audit" in r.json()["error"]["message"], r.text
        db.execute("DROP TRIGGER disk_full")
        db.commit()
        wait_until(lambda: _call(base, "POST", "/v1/chat/completions", chat, key=ADMIN).status_code == 200, 15)
        opened = _call(base, "GET", "/api/v1/audit?action=stream_opened&limit=100", key=ADMIN).json()["data"]
        assert {r["resource"] for r in opened} >= {"/v1/chat/completions", "/api/v1/ask"}, opened
        db.execute("CREATE TRIGGER disk_full BEFORE INSERT ON audit_records BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        db.commit()
        r = _call(base, "POST", "/v1/chat/completions", chat, key=ADMIN)
        assert r.status_code == 503 and "audit" in r.json()["error"]["message"], r.text
        assert "choices" not in r.json()
        r = _call(base, "POST", "/v1/chat/completions", chat, key=ADMIN)  # refused up front now
        assert r.status_code == 503 and "audit log cannot be written" in r.json()["error"]["message"], r.text
        assert _call(base, "GET", "/healthz").status_code == 200
        db.execute("DROP TRIGGER disk_full")
        db.commit()
        db.close()
        # The next record (this refusal's own) is written, and service resumes.
        wait_until(lambda: _call(base, "POST", "/v1/chat/completions", chat, key=ADMIN).status_code == 200, 15)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def test_metrics_are_the_operators_alone(agency):
    """Queue depths and token counts of every tenant are traffic another
    tenant (or anyone on the network) must not watch."""
    base = agency["base"]
    assert _call(base, "GET", "/metrics").status_code == 401  # not even anonymously from loopback
    assert _call(base, "GET", "/metrics", key=agency["owner"]["key"]).status_code == 403  # a tenant's owner
    assert _call(base, "GET", "/metrics", key=agency["tokens"]["terhad-admin"]).status_code == 403
    r = _call(base, "POST", "/api/v1/keys", {"name": "prometheus", "role": "service", "scopes": ["metrics"]}, key=ADMIN)
    assert r.status_code == 201, r.text
    scraper = r.json()["key"]
    r = _call(base, "GET", "/metrics", key=scraper)
    assert r.status_code == 200 and "daulat_queue_depth" in r.text
    assert _call(base, "POST", "/v1/chat/completions", {"model": MODEL, "messages": []}, key=scraper).status_code == 403


def test_metrics_on_a_separate_address_need_no_key():
    # The session's own static key: another one would replace (revoke) it in the shared data folder.
    proc, base, log = start_server(extra_server_config="metrics_port = 0\n")
    try:
        address = proc.listening_line.split("metrics: ")[1].split(")")[0]
        r = http("GET", f"http://{address}/metrics")
        assert r.status_code == 200 and "daulat_queue_depth" in r.text
        assert http("GET", f"http://{address}/healthz").status_code == 200
        assert http("GET", f"http://{address}/v1/models").status_code == 404  # nothing else here
        # A web page the operator has open, its name rebound to this address,
        # reads nothing: scrapers name the address, browsers send their origin.
        r = http("GET", f"http://{address}/metrics", headers={"Host": "evil.example:" + address.rsplit(":", 1)[1]})
        assert r.status_code == 403 and "daulat_queue_depth" not in r.text
        r = http("GET", f"http://{address}/metrics", headers={"Origin": "http://127.0.0.1:1"})
        assert r.status_code == 403 and "daulat_queue_depth" not in r.text
        r = http("GET", f"http://{address}/metrics", headers={"Sec-Fetch-Site": "same-origin"})
        assert r.status_code == 403
        assert http("GET", f"http://{address}/metrics", headers={"Host": "localhost"}).status_code == 200
        assert _call(base, "GET", "/metrics").status_code == 401  # the main address still wants a key
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def test_password_guessing_slows_down_and_locks_the_account(agency):
    """Eleven wrong passwords in a row (from loopback, where only the
    account's own count holds: free 10, then waits, never a lock): the
    account waits before the next try (even with the right password), and
    both are audited without secrets."""
    base, t = agency["base"], agency["tenant"]
    for _ in range(11):
        assert _login(base, t, "terhad", "salah-" + os.urandom(4).hex()).status_code == 401
    r = _login(base, t, "terhad", "kata-laluan-terhad")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1, r.text
    assert "too many failed sign-ins" in r.json()["error"]["message"]
    wait_until(lambda: _login(base, t, "terhad", "kata-laluan-terhad").status_code == 200, 10)
    # A password typed into the user-name box is never written to the log.
    typed = "Rahsia-" + os.urandom(6).hex()
    assert _login(base, t, typed, "x").status_code == 401
    records = _call(base, "GET", "/api/v1/audit?limit=500", key=agency["owner"]["key"]).json()["data"]
    assert any(r["action"] == "login_throttled" and r["actor"] == "user:terhad" for r in records)
    assert any(r["action"] == "login_failed" and "slowed" in r["reason"] for r in records)
    assert typed not in str(records) and "salah-" not in str(records)


def test_names_that_are_not_utf8_are_shown_replaced_not_fatal(agency):
    """A file name from an old Windows system (Latin-1 bytes) once made the
    JSON writer throw; now it is stored and shown with U+FFFD."""
    base, owner = agency["base"], agency["owner"]["key"]
    coll = "latin-" + os.urandom(3).hex()
    assert _call(base, "POST", "/api/v1/collections", {"id": coll}, key=owner).status_code == 201
    boundary = "b" + os.urandom(6).hex()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"classification\"\r\n\r\nTERBUKA\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"").encode() + \
        b"caf\xe9 \xff.txt" + f"\"\r\nContent-Type: text/plain\r\n\r\n".encode() + \
        "Kedai kopi dibuka pukul lapan.".encode() + f"\r\n--{boundary}--\r\n".encode()
    r = http("POST", f"{base}/api/v1/collections/{coll}/documents", body=body,
             headers={"Authorization": f"Bearer {owner}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 201, r.text
    assert r.json()["source_name"] == "caf\ufffd \ufffd.txt"
    listed = _call(base, "GET", "/api/v1/documents?collection=" + coll, key=owner)
    assert listed.status_code == 200 and "caf\ufffd" in listed.text
    r = _call(base, "POST", "/api/v1/search", {"query": "kedai kopi"}, key=owner)
    assert r.status_code == 200 and r.json()["data"]
    assert _call(base, "GET", "/healthz").status_code == 200
