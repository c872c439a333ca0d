#!/usr/bin/env python3
"""bench/serve: daulat serve vs llama-server on the same model, threads, slots and context.

Both servers are started by this script on loopback (llama-server from the
same cached llama.cpp build that daulat links). Workloads, each run against
both servers in the same process:

  streams   C concurrent clients (C in 1,4,8,16), each sending streaming
            /v1/completions requests that generate exactly N tokens
            (ignore_eos): aggregate generated tokens/s, time to first token
            p50/p95.
  prefix    RAG-like: C concurrent requests sharing a long system prompt and
            differing in the question: time to first token p50/p95.
            llama-server runs with its default settings here (its own slot
            prompt cache).
  models    GET /v1/models sequentially on one keep-alive connection for a
            few seconds: latency p50/p99 and requests/s.
  memory    idle resident memory of each server after start-up.

Prints a table with ratios daulat / llama-server and the command to reproduce.
Standard library only; talks to 127.0.0.1 only.
"""
import argparse
import http.client
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import threading
import time

REPO = pathlib.Path(__file__).resolve().parents[2]


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100 * (len(v) - 1)))))
    return v[k]


class Server:
    def __init__(self, name, argv, env=None, port_re=None, port=None):
        self.name, self.argv = name, argv
        self.log = open(f"/tmp/serve_bench_{name}.log", "w")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     env=dict(os.environ, **(env or {})))
        if port_re:
            line = self.proc.stdout.readline()
            m = re.search(port_re, line)
            if not m:
                raise SystemExit(f"{name} did not start: {line!r}")
            self.port = int(m.group(1))
        else:
            self.port = port
        self.wait_ready()

    def wait_ready(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/v1/models")
                if c.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"{self.name} not ready after {timeout}s (see /tmp/serve_bench_{self.name}.log)")

    def rss_mib(self):
        status = pathlib.Path(f"/proc/{self.proc.pid}/status").read_text()
        fields = dict(re.findall(r"^(\w+):\s+(\d+) kB", status, re.M))
        return int(fields.get("RssAnon", 0)) / 1024, int(fields.get("RssFile", 0)) / 1024

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def stream_completion(port, model, prompt, max_tokens):
    """Returns (ttft_seconds, completion_tokens, total_seconds)."""
    body = json.dumps({"model": model, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0,
                       "ignore_eos": True, "stream": True, "stream_options": {"include_usage": True}})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t0 = time.perf_counter()
    c.request("POST", "/v1/completions", body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    if r.status != 200:
        raise RuntimeError(f"HTTP {r.status}: {r.read()[:200]!r}")
    ttft, tokens, pieces = None, None, 0
    for raw in r:
        line = raw.decode().strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        ev = json.loads(line[6:])
        if ev.get("choices") and ev["choices"][0].get("text"):
            pieces += 1
            if ttft is None:
                ttft = time.perf_counter() - t0
        if ev.get("usage"):
            tokens = ev["usage"]["completion_tokens"]
    total = time.perf_counter() - t0
    c.close()
    return ttft if ttft is not None else total, tokens if tokens is not None else pieces, total


def run_concurrent(port, model, prompts, max_tokens, concurrency):
    results, errors = [], []
    lock = threading.Lock()
    queue = list(prompts)

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                p = queue.pop()
            try:
                r = stream_completion(port, model, p, max_tokens)
                with lock:
                    results.append(r)
            except Exception as e:  # noqa: BLE001 - report, do not hide
                with lock:
                    errors.append(str(e))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, e.g. {errors[0]}")
    tokens = sum(r[1] for r in results)
    ttfts = [r[0] for r in results]
    return {"tok_s": tokens / wall, "ttft_p50": percentile(ttfts, 50), "ttft_p95": percentile(ttfts, 95)}


def models_latency(port, seconds):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    lat = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        c.request("GET", "/v1/models")
        r = c.getresponse()
        r.read()
        lat.append(time.perf_counter() - t0)
    c.close()
    return {"p50_ms": percentile(lat, 50) * 1000, "p99_ms": percentile(lat, 99) * 1000, "rps": len(lat) / seconds}


QUESTIONS = [
    "What is the capital of Malaysia?", "Apakah ibu negara Malaysia?", "Name a river in Sarawak.",
    "What language is spoken in Kelantan?", "When is Hari Merdeka?", "What is Penang known for?",
    "Describe the climate of Cameron Highlands.", "What is the currency of Malaysia?",
]
SYSTEM = ("You are the records assistant of a Malaysian government agency. Answer only from the circular below, "
          "cite the paragraph, and say so when the circular does not answer the question.\n\nCIRCULAR 7/2026\n" +
          "\n".join(f"Paragraph {i}: Officers must keep records of every decision about public funds, state the "
                    f"legal basis, the amount, the date and the approving officer, and keep them for seven years "
                    f"under the National Archives Act (item {i})." for i in range(1, 13)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = os.environ.get("DAULAT_DATA_DIR", str(pathlib.Path.home() / ".local/share/daulat"))
    ap.add_argument("--model-name", default="gemma3-270m")
    ap.add_argument("--model", default=f"{data}/models/gemma3-270m/gemma3-270m.gguf")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--parallel", type=int, default=16)
    ap.add_argument("--ctx-per-seq", type=int, default=1024)
    ap.add_argument("--tokens", type=int, default=48, help="tokens generated per request")
    ap.add_argument("--requests", type=int, default=2, help="requests per client per concurrency level")
    ap.add_argument("--concurrency", default="1,4,8,16")
    ap.add_argument("--daulat", default=str(REPO / "build/src/cli/daulat"))
    ap.add_argument("--llama-server", default=str(REPO / ".cache/llama.cpp/current/build/bin/llama-server"))
    args = ap.parse_args()
    levels = [int(x) for x in args.concurrency.split(",")]
    ctx = args.parallel * args.ctx_per_seq

    servers = {}
    try:
        servers["daulat"] = Server("daulat", [args.daulat, "serve", "--port", "0", "--parallel", str(args.parallel),
                                              "--context-length", str(ctx), "--threads", str(args.threads)],
                                   env={"DAULAT_DATA_DIR": data}, port_re=r"http://127\.0\.0\.1:(\d+)")
        servers["llama-server"] = Server("llama-server", [args.llama_server, "-m", args.model, "--host", "127.0.0.1",
                                                          "--port", "18931", "-t", str(args.threads), "-np",
                                                          str(args.parallel), "-c", str(ctx), "--no-webui"],
                                         port=18931)
        rows = []
        mem = {n: s.rss_mib() for n, s in servers.items()}
        rows.append(("idle RSS anon MiB (lower is better)", mem["daulat"][0], mem["llama-server"][0]))
        for name, s in servers.items():  # warm-up
            run_concurrent(s.port, args.model_name, QUESTIONS[:2], 8, 2)
        for c in levels:
            prompts = [f"Question: {QUESTIONS[i % len(QUESTIONS)]} ({i})\nAnswer:" for i in range(c * args.requests)]
            res = {n: run_concurrent(s.port, args.model_name, prompts, args.tokens, c) for n, s in servers.items()}
            rows.append((f"c={c:<2} generated tok/s", res["daulat"]["tok_s"], res["llama-server"]["tok_s"]))
            rows.append((f"c={c:<2} TTFT p50 ms", res["daulat"]["ttft_p50"] * 1000, res["llama-server"]["ttft_p50"] * 1000))
            rows.append((f"c={c:<2} TTFT p95 ms", res["daulat"]["ttft_p95"] * 1000, res["llama-server"]["ttft_p95"] * 1000))
        c = min(8, args.parallel)
        for name, s in servers.items():  # both see the shared prefix once first
            run_concurrent(s.port, args.model_name, [f"{SYSTEM}\n\nQuestion: warm-up\nAnswer:"], 4, 1)
        prompts = [f"{SYSTEM}\n\nQuestion: {QUESTIONS[i % len(QUESTIONS)]} ({i})\nAnswer:" for i in range(c * args.requests)]
        res = {n: run_concurrent(s.port, args.model_name, prompts, 16, c) for n, s in servers.items()}
        rows.append((f"shared prefix c={c} TTFT p50 ms", res["daulat"]["ttft_p50"] * 1000, res["llama-server"]["ttft_p50"] * 1000))
        rows.append((f"shared prefix c={c} TTFT p95 ms", res["daulat"]["ttft_p95"] * 1000, res["llama-server"]["ttft_p95"] * 1000))
        lat = {n: models_latency(s.port, 2.0) for n, s in servers.items()}
        rows.append(("/v1/models p50 ms", lat["daulat"]["p50_ms"], lat["llama-server"]["p50_ms"]))
        rows.append(("/v1/models p99 ms", lat["daulat"]["p99_ms"], lat["llama-server"]["p99_ms"]))
        rows.append(("/v1/models req/s (1 connection)", lat["daulat"]["rps"], lat["llama-server"]["rps"]))
    finally:
        for s in servers.values():
            s.stop()

    print(f"\n{'metric':<38}{'daulat':>12}{'llama-server':>14}{'ratio':>8}")
    for name, a, b in rows:
        print(f"{name:<38}{a:>12.2f}{b:>14.2f}{(a / b if b else float('nan')):>8.3f}")
    print(f"\nmodel {args.model}, threads {args.threads}, parallel {args.parallel}, context {ctx}, "
          f"{args.tokens} tokens per request")
    print("reproduce: python3 bench/serve/serve_bench.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
