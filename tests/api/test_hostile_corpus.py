"""A fuzzed corpus of hostile requests: the server answers every one with a
clear status (never a crash, a hang or a 500) and serves ordinary callers
afterwards.

The corpus is generated here from a fixed seed, so a failure reproduces: each
request starts from a valid body for a real endpoint and is mutated (values
of the wrong type, huge or negative numbers, invalid UTF-8, control and
invisible characters, deep nesting, duplicated or missing fields, truncated
JSON), with raw bodies (not JSON, multipart with hostile parts) besides.
Set DAULAT_CORPUS_SEED to explore another corpus; the count is
DAULAT_CORPUS_SIZE (default 600).
"""
import json
import os
import random

from conftest import API_KEY, MODEL, http

SEED = int(os.environ.get("DAULAT_CORPUS_SEED", "20261206"))
SIZE = int(os.environ.get("DAULAT_CORPUS_SIZE", "600"))

CHAT = {"model": MODEL, "messages": [{"role": "system", "content": "Ringkas."},
                                     {"role": "user", "content": "Hai"}], "max_tokens": 2,
        "tools": [{"type": "function", "function": {"name": "cari", "description": "Cari",
                                                    "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}]}
VALID = [
    ("POST", "/v1/chat/completions", CHAT),
    ("POST", "/v1/completions", {"model": MODEL, "prompt": "Hai", "max_tokens": 2, "stop": ["\n"]}),
    ("POST", "/v1/embeddings", {"model": MODEL, "input": ["satu", "dua"]}),
    ("POST", "/api/v1/search", {"query": "lesen memandu", "top_k": 3}),
    ("POST", "/api/v1/ask", {"question": "Apa itu MyKad?", "top_k": 2, "language": "ms"}),
    ("POST", "/api/v1/collections", {"id": "fuzz", "name": "Fuzz"}),
    ("POST", "/api/v1/keys", {"name": "fuzz", "role": "member", "scopes": ["infer"], "tokens_per_day": 10}),
    ("POST", "/api/v1/users", {"username": "fuzz", "password": "kata-laluan-panjang", "role": "member"}),
    ("POST", "/api/v1/auth/login", {"tenant": "default", "username": "nobody", "password": "salah"}),
    ("POST", "/api/v1/summarize", {"collection": "fuzz", "max_points": 2}),
]

NASTY_STRINGS = [
    "", " ", "\u0000", "\ud800", "\uffff", "\u202e\u2066", "<|im_start|>system", "</source>",
    "A" * 70000, "९००१०१-१४-५६७८", "\\u0000", "%s%n%x", "' OR 1=1 --", "../../etc/passwd",
    "\u200b" * 1000, "😀" * 500, "\r\n\r\nGET / HTTP/1.1", "null", "NaN",
]
NASTY_VALUES = [None, True, False, 0, -1, 2**31, 2**63, -2**63, 1e308, -1e308, 0.5, [], {}, [[[]]],
                {"a": {"b": {"c": None}}}, [None] * 100, list(range(1000))]


DEEP = "@@deep@@"  # stands for JSON nested 60,000 deep, spliced in after encoding


def nest(depth):
    return json.loads("[" * depth + "]" * depth)


def mutate(rng, value, depth=0):
    """One value, changed somewhere (maybe deep inside)."""
    roll = rng.random()
    if isinstance(value, dict) and value and roll < 0.5:
        out = dict(value)
        key = rng.choice(list(out))
        choice = rng.random()
        if choice < 0.2:
            del out[key]
        elif choice < 0.3:
            out[rng.choice(NASTY_STRINGS)[:200] or "x"] = rng.choice(NASTY_VALUES)
        else:
            out[key] = mutate(rng, out[key], depth + 1)
        return out
    if isinstance(value, list) and value and roll < 0.5:
        out = list(value)
        i = rng.randrange(len(out))
        out[i] = mutate(rng, out[i], depth + 1)
        if rng.random() < 0.2:
            out = out * rng.randint(2, 50)
        return out
    choice = rng.random()
    if choice < 0.4:
        return rng.choice(NASTY_STRINGS)
    if choice < 0.8:
        return rng.choice(NASTY_VALUES)
    if choice < 0.9:
        depth = rng.choice([10, 63, 64, 65, 300, 60000])
        return DEEP if depth == 60000 else nest(depth)
    return str(value) * rng.randint(1, 100)


def encode(rng, body):
    """Bytes on the wire: usually JSON, sometimes broken on purpose."""
    text = json.dumps(body, ensure_ascii=rng.random() < 0.5)
    text = text.replace(json.dumps(DEEP), "[" * 60000 + "]" * 60000)
    roll = rng.random()
    if roll < 0.05:
        return text[: rng.randrange(len(text) + 1)].encode("utf-8", "surrogatepass")  # cut off
    if roll < 0.1:
        raw = bytearray(text.encode("utf-8", "surrogatepass"))
        for _ in range(rng.randint(1, 8)):
            raw[rng.randrange(len(raw))] = rng.choice([0x00, 0x80, 0xC0, 0xFF, 0xED, 0x22, 0x5C])
        return bytes(raw)  # invalid UTF-8 and broken syntax
    if roll < 0.13:
        return text.encode("utf-8", "surrogatepass").replace(b'"', b'"\xff', 1)
    if roll < 0.16:
        return (text[:-1] + "," + text[1:]).encode("utf-8", "surrogatepass")  # duplicated keys
    return text.encode("utf-8", "surrogatepass")


def multipart(rng):
    boundary = "b" + "%08x" % rng.getrandbits(32)
    name = rng.choice(["a.txt", "../../x.txt", "\u202etxt.exe", "a" * 5000, "nama\x00.pdf", "x.docx"])
    noise = bytes(rng.getrandbits(8) for _ in range(300))
    content = rng.choice([b"%PDF-1.7\n" + noise, b"PK\x03\x04" + noise, b"<html>" + b"<div>" * 5000,
                          b"\xd0\xcf\x11\xe0" + noise, noise, b""])
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"classification\"\r\n\r\n"
             f"{rng.choice(['TERBUKA', 'RAHSIA BESAR', '', 'x' * 300])}\r\n".encode(),
             f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"".encode()
             + name.encode("utf-8", "surrogatepass") + b"\"\r\nContent-Type: application/octet-stream\r\n\r\n"
             + content + b"\r\n"]
    if rng.random() < 0.7:
        parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary if rng.random() < 0.9 else ''}"


def corpus():
    rng = random.Random(SEED)
    for n in range(SIZE):
        if n % 17 == 0:
            body, ctype = multipart(rng)
            yield "POST", "/api/v1/collections/fuzz/documents", body, ctype
            continue
        method, path, valid = rng.choice(VALID)
        body = valid
        for _ in range(rng.randint(1, 3)):
            body = mutate(rng, body)
        if isinstance(body, dict) and isinstance(body.get("max_tokens"), int) and body["max_tokens"] > 2:
            body["max_tokens"] = 2  # hostile, not slow: the model's time is not what is tested
        yield method, path, encode(rng, body), "application/json"


def test_a_fuzzed_corpus_gets_clear_answers_and_the_server_lives(base_url):
    auth = {"Authorization": f"Bearer {API_KEY}"}
    assert http("POST", base_url + "/api/v1/collections", {"id": "fuzz"}, auth).status_code in (201, 409)
    seen = {}
    for i, (method, path, body, ctype) in enumerate(corpus()):
        r = http(method, base_url + path, body=body, headers=dict(auth, **{"Content-Type": ctype}), timeout=120)
        seen[r.status_code] = seen.get(r.status_code, 0) + 1
        # 503: a full queue is a clear answer; 500 is a bug, whatever the input.
        assert r.status_code < 500 or r.status_code == 503, (i, path, body[:300], r.status_code, r.text[:300])
        if r.status_code >= 400:
            err = r.json()["error"]  # OpenAI-shaped on /v1 and /api alike
            assert isinstance(err["message"], str) and err["message"], (i, path, r.text[:300])
        if i % 50 == 0:
            assert http("GET", base_url + "/healthz").status_code == 200, i
    assert any(code >= 400 for code in seen) and any(code < 300 for code in seen), seen
    chat = {"model": MODEL, "messages": [{"role": "user", "content": "Hai"}], "max_tokens": 2}
    assert http("POST", base_url + "/v1/chat/completions", chat, auth).status_code == 200
