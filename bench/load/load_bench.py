#!/usr/bin/env python3
"""bench/load: 1,000 concurrent clients against `daulat serve` on loopback, then
the /v1 streaming part alone against llama-server built from the same llama.cpp.

Phase 1 (--seconds, default 600): the whole mix, each client a user with a
think time between requests:
  streams     200 SSE chat streams (/v1/chat/completions, stream, max_tokens 32)
  search      200 /api/v1/search
  uploads     100 small Markdown uploads (/api/v1/collections/load/documents)
  management  300 GET keys / policy / documents / audit, and POST keys
  sign-ins    200 sign-in, /api/v1/me, sign-out with users' passwords
Phase 2 and 3 (--compare-seconds, default 120): the 200 stream clients alone,
against daulat and then llama-server (same model file, threads, slots and
context), so their tokens per second compare like for like.

Reports statuses per kind (an unexpected status is a 4xx other than 429 (every
request is valid), a 5xx other than 503/507 with Retry-After, a 429 without
Retry-After, or a dropped or cut-off connection), p50
and p99 latency of the kinds that use no model, the server's RSS and open
files every 10 s (bounded means no leak), and generated tokens per second.
Clients honour Retry-After (capped at 5 s). Standard library only; talks to
127.0.0.1 only. Exit 0 when nothing unexpected happened, 1 otherwise.

  python3 bench/load/load_bench.py [--seconds 600] [--clients 1000]
"""
import argparse
import asyncio
import json
import os
import pathlib
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
MODEL = "gemma3-270m"
ADMIN = "load-admin-" + os.urandom(12).hex()
PASSWORD = "Kata-laluan-" + os.urandom(6).hex()
MIX = {"streams": 0.2, "search": 0.2, "uploads": 0.1, "management": 0.3, "signins": 0.2}


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[max(0, min(len(v) - 1, int(round(p / 100 * (len(v) - 1)))))]


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body


class Connection:
    """A keep-alive HTTP/1.1 connection (Content-Length and chunked bodies)."""

    def __init__(self, port):
        self.port, self.reader, self.writer = port, None, None

    async def request(self, method, path, body=b"", headers=None, on_chunk=None):
        # A server may close an idle keep-alive connection just as a request
        # is sent on it; like browsers and HTTP libraries, send it again once
        # on a new connection when not a byte of the answer had come.
        reused = self.writer is not None
        try:
            return await self.exchange(method, path, body, headers, on_chunk)
        except (ConnectionError, BrokenPipeError) as e:
            if not reused or getattr(e, "answered", False):
                raise
            self.close()
            return await self.exchange(method, path, body, headers, on_chunk)

    async def exchange(self, method, path, body, headers, on_chunk):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
        for k, v in (headers or {}).items():
            head += f"{k}: {v}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("connection closed before an answer")
        status = int(status_line.split()[1])
        headers_in = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers_in[k.strip().lower()] = v.strip()
        data = b""
        if headers_in.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                chunk = await self.reader.readexactly(size)
                await self.reader.readexactly(2)
                if on_chunk:
                    on_chunk(chunk)
                else:
                    data += chunk
        elif "content-length" in headers_in:
            data = await self.reader.readexactly(int(headers_in["content-length"]))
            if on_chunk:
                on_chunk(data)
        else:  # read to close
            data = await self.reader.read()
            if on_chunk:
                on_chunk(data)
            self.close()
        if headers_in.get("connection", "").lower() == "close":
            self.close()
        return Reply(status, headers_in, data)

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Stats:
    def __init__(self):
        self.status = {}       # kind -> {status: count}
        self.latency = {}      # kind -> [seconds]
        self.unexpected = []   # (kind, what)
        self.tokens = 0

    def note(self, kind, reply, seconds):
        counts = self.status.setdefault(kind, {})
        counts[reply.status] = counts.get(reply.status, 0) + 1
        if reply.status < 400:
            self.latency.setdefault(kind, []).append(seconds)
        retry = "retry-after" in reply.headers
        if 400 <= reply.status < 500 and reply.status != 429:  # every request here is valid
            self.unexpected.append((kind, f"{reply.status} {reply.body[:200]!r}"))
        elif reply.status == 429 and not retry:
            self.unexpected.append((kind, "429 without Retry-After"))
        elif reply.status >= 500 and not (reply.status in (503, 507) and retry):
            self.unexpected.append((kind, f"{reply.status} {reply.body[:160]!r}"))

    def dropped(self, kind, error):
        counts = self.status.setdefault(kind, {})
        counts["dropped"] = counts.get("dropped", 0) + 1
        self.unexpected.append((kind, f"connection: {error!r}"))


async def pause(reply, think):
    wait = think()
    if reply is not None and reply.status in (429, 503, 507):
        wait = max(wait, min(5.0, float(reply.headers.get("retry-after", "1"))))
    await asyncio.sleep(wait)


async def client(kind, port, stats, deadline, think, auth, n):
    conn = Connection(port)
    json_headers = {"Authorization": f"Bearer {auth}", "Content-Type": "application/json"}
    await asyncio.sleep(random.uniform(0, 5))  # ramp up
    i = 0
    while time.monotonic() < deadline:
        i += 1
        reply = None
        try:
            t0 = time.perf_counter()
            if kind == "streams":
                events = [b""]

                def keep(chunk):
                    events[0] += chunk

                # Tokens as each server counts them (the usage of the last
                # event): pieces per event differ (daulat's personal-data
                # guard holds some back and joins them).
                body = json.dumps({"model": MODEL, "stream": True, "max_tokens": 32,
                                   "stream_options": {"include_usage": True},
                                   "messages": [{"role": "user", "content": f"Sebut satu nombor ({n}-{i})."}]})
                reply = await conn.request("POST", "/v1/chat/completions", body.encode(), json_headers, keep)
                found = re.findall(rb'"completion_tokens":\s*(\d+)', events[0])
                if reply.status == 200 and not found:
                    stats.unexpected.append((kind, "a stream without usage"))
                stats.tokens += int(found[-1]) if found else 0
            elif kind == "search":
                body = json.dumps({"query": random.choice(["elaun harian", "cuti rehat", "tuntutan perjalanan"])})
                reply = await conn.request("POST", "/api/v1/search", body.encode(), json_headers)
            elif kind == "uploads":
                boundary = "load" + os.urandom(6).hex()
                text = f"# Pekeliling {n}-{i}\n\nElaun harian gred {i % 54} ialah RM {60 + i % 90}.\n"
                body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"classification\"\r\n\r\nTERBUKA\r\n"
                        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p-{n}-{i}.md\"\r\n"
                        f"Content-Type: text/markdown\r\n\r\n{text}\r\n--{boundary}--\r\n").encode()
                reply = await conn.request("POST", "/api/v1/collections/load/documents", body,
                                           {"Authorization": f"Bearer {auth}",
                                            "Content-Type": f"multipart/form-data; boundary={boundary}"})
            elif kind == "management":
                path = random.choice(["/api/v1/keys", "/api/v1/policy", "/api/v1/documents?collection=load",
                                      "/api/v1/audit?limit=20", "POST"])
                if path == "POST":
                    reply = await conn.request("POST", "/api/v1/keys",
                                               json.dumps({"name": f"beban-{n}-{i}"}).encode(), json_headers)
                else:
                    reply = await conn.request("GET", path, b"", {"Authorization": f"Bearer {auth}"})
            else:  # signins: auth is (username)
                body = json.dumps({"username": auth, "password": PASSWORD}).encode()
                reply = await conn.request("POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"})
                stats.note("signins", reply, time.perf_counter() - t0)
                if reply.status == 200:
                    token = json.loads(reply.body)["token"]
                    t0 = time.perf_counter()
                    me = await conn.request("GET", "/api/v1/me", b"", {"Authorization": f"Bearer {token}"})
                    stats.note("signins", me, time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    reply = await conn.request("POST", "/api/v1/auth/logout", b"",
                                               {"Authorization": f"Bearer {token}"})
            stats.note(kind, reply, time.perf_counter() - t0)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as e:
            stats.dropped(kind, e)
            conn.close()
        await pause(reply, think)
    conn.close()


def sample(pid):
    """RSS, its anonymous part (the heap: where a leak shows) and its file-backed
    part (the mapped model and database: grows with the library, returned
    under memory pressure), in MiB, and the open descriptors."""
    status = pathlib.Path(f"/proc/{pid}/status").read_text()

    def mib(field):
        m = re.search(rf"^{field}:\s+(\d+) kB", status, re.M)
        return int(m.group(1)) / 1024 if m else float("nan")

    return mib("VmRSS"), mib("RssAnon"), mib("RssFile"), len(os.listdir(f"/proc/{pid}/fd"))


async def sampler(pid, deadline, series):
    t0 = time.monotonic()
    while time.monotonic() < deadline:
        series.append((time.monotonic() - t0, *sample(pid)))
        await asyncio.sleep(10)
    series.append((time.monotonic() - t0, *sample(pid)))


async def run_phase(port, pid, seconds, counts, think, admin, users):
    stats, series = Stats(), []
    deadline = time.monotonic() + seconds
    tasks = [asyncio.create_task(sampler(pid, deadline, series))]
    n = 0
    for kind, count in counts.items():
        for _ in range(count):
            n += 1
            auth = users[n % len(users)] if kind == "signins" else admin
            tasks.append(asyncio.create_task(client(kind, port, stats, deadline, think, auth, n)))
    t0 = time.monotonic()
    await asyncio.gather(*tasks)
    return stats, series, time.monotonic() - t0


def start_daulat(args, data):
    config = pathlib.Path(data) / "daulat.toml"
    config.write_text(f"""
[server]
host = "127.0.0.1"
port = 0
api_key = "{ADMIN}"
max_connections = {args.clients + 200}

[[models]]
name = "{MODEL}"
parallel = {args.parallel}
context_length = {args.parallel * 1024}
max_queue = 256
threads = {args.threads}
""")
    log = open(pathlib.Path(data) / "server.log", "w")
    proc = subprocess.Popen([args.daulat, "serve", "--config", str(config)], stdout=subprocess.PIPE, stderr=log,
                            text=True, env=dict(os.environ, DAULAT_DATA_DIR=data, DAULAT_LOG_LEVEL="warn"))
    line = proc.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if not m:
        raise SystemExit(f"daulat did not start: {line!r}; see {data}/server.log")
    return proc, int(m.group(1))


async def setup(port, users):
    conn = Connection(port)
    h = {"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"}
    r = await conn.request("POST", "/api/v1/collections", json.dumps({"id": "load"}).encode(), h)
    assert r.status == 201, r.body
    for u in users:
        r = await conn.request("POST", "/api/v1/users",
                               json.dumps({"username": u, "password": PASSWORD, "role": "member"}).encode(), h)
        assert r.status == 201, r.body
    conn.close()


def report(title, stats, series, wall, model_kinds=("streams",)):
    print(f"\n## {title} ({wall:.0f} s)")
    print(f"{'kind':<12}{'requests':>10}  statuses")
    for kind, counts in sorted(stats.status.items()):
        total = sum(counts.values())
        print(f"{kind:<12}{total:>10}  " + ", ".join(f"{s}: {c}" for s, c in sorted(counts.items(), key=str)))
    print(f"\n{'kind (no model)':<16}{'p50 ms':>10}{'p99 ms':>10}{'req/s':>10}")
    for kind, lat in sorted(stats.latency.items()):
        if kind in model_kinds:
            continue
        print(f"{kind:<16}{percentile(lat, 50) * 1000:>10.1f}{percentile(lat, 99) * 1000:>10.1f}"
              f"{len(lat) / wall:>10.1f}")
    print(f"\ngenerated tokens/s: {stats.tokens / wall:.1f}")
    if series:
        print(f"\n{'t s':>6}{'RSS MiB':>10}{'anon':>8}{'file':>8}{'open files':>12}")
        step = max(1, len(series) // 12)
        for t, rss, anon, file, fds in series[::step] + ([series[-1]] if (len(series) - 1) % step else []):
            print(f"{t:>6.0f}{rss:>10.1f}{anon:>8.1f}{file:>8.1f}{fds:>12}")
        # A leak grows the heap steadily; warm-up (caches, pools, the
        # library's first pages) is over by half time.
        half = [s for s in series if s[0] >= series[-1][0] / 2]
        if len(half) >= 2 and half[-1][0] > half[0][0]:
            slope = (half[-1][2] - half[0][2]) / (half[-1][0] - half[0][0]) * 60
            print(f"anonymous RSS over the second half: {slope:+.1f} MiB/min")
    if stats.unexpected:
        print(f"\nUNEXPECTED: {len(stats.unexpected)}, e.g. {stats.unexpected[:3]}")
    return not stats.unexpected


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--compare-seconds", type=int, default=120)
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--think", type=float, default=2.0, help="mean seconds between a client's requests")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--data-dir", default=os.environ.get("DAULAT_DATA_DIR", str(REPO / ".cache/test-data")),
                    help="where the installed models are")
    ap.add_argument("--daulat", default=str(REPO / "build/src/cli/daulat"))
    ap.add_argument("--llama-server", default=str(REPO / ".cache/llama.cpp/current/build/bin/llama-server"))
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # a descriptor per client
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    counts = {k: round(v * args.clients) for k, v in MIX.items()}
    think = lambda: random.expovariate(1 / args.think)  # noqa: E731
    manifest = json.loads((pathlib.Path(args.data_dir) / "models" / MODEL / "manifest.json").read_text())
    gguf = str(pathlib.Path(args.data_dir) / "models" / MODEL / manifest["file"])
    users = [f"pegawai{i}" for i in range(20)]
    data = tempfile.mkdtemp(prefix="daulat-load-")
    os.symlink(pathlib.Path(args.data_dir).resolve() / "models", pathlib.Path(data) / "models")
    ok = True
    proc, port = start_daulat(args, data)
    try:
        asyncio.run(setup(port, users))
        stats, series, wall = asyncio.run(run_phase(port, proc.pid, args.seconds, counts, think, ADMIN, users))
        ok &= report(f"daulat, {args.clients} clients: {counts}", stats, series, wall)
        streams = {"streams": counts["streams"]}
        stats, series, wall = asyncio.run(run_phase(port, proc.pid, args.compare_seconds, streams, think, ADMIN, users))
        ok &= report(f"daulat, {counts['streams']} stream clients alone", stats, series, wall)
        daulat_tok_s = stats.tokens / wall
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    llama = subprocess.Popen([args.llama_server, "-m", gguf, "--host", "127.0.0.1", "--port", "18932",
                              "-t", str(args.threads), "-np", str(args.parallel), "-c", str(args.parallel * 1024),
                              "--no-webui"], stdout=subprocess.DEVNULL, stderr=open(f"{data}/llama.log", "w"))
    try:
        for _ in range(600):
            try:
                if asyncio.run(Connection(18932).request("GET", "/health")).status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        stats, series, wall = asyncio.run(run_phase(18932, llama.pid, args.compare_seconds,
                                                    {"streams": counts["streams"]}, think, "x", users))
        report(f"llama-server, {counts['streams']} stream clients alone", stats, series, wall)
        llama_tok_s = stats.tokens / wall
    finally:
        llama.terminate()
        llama.wait(timeout=60)
    print(f"\ntokens/s daulat / llama-server (streams alone): {daulat_tok_s:.1f} / {llama_tok_s:.1f} = "
          f"{daulat_tok_s / llama_tok_s if llama_tok_s else float('nan'):.3f}")
    print(f"model {MODEL}, threads {args.threads}, parallel {args.parallel}, think {args.think} s")
    print("reproduce: python3 bench/load/load_bench.py " + " ".join(sys.argv[1:]))
    shutil.rmtree(data, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
