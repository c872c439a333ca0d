#!/usr/bin/env python3
"""bench/serve/ask_bench: what one Lumin answer (/api/v1/ask) costs, end to end,
against an anchor measured in the same run: the same questions on the same
documents and model, asked of another daulat binary (e.g. one built from an
earlier commit, to check a change costs no more than before).

Both servers are started here on loopback, each with its own data folder (the
models folder is shared read-only by symlink); the questions are asked in
pairs, one of each server after the other, so that drift on a shared machine
hits both alike. Prints latency p50/p95 per server and their ratio, and the
command to reproduce. Standard library only.

  python3 bench/serve/ask_bench.py --baseline /path/to/old/daulat [--rounds 8]
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import tempfile
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[2]
KEY = "bench-key-" + os.urandom(16).hex()

DOCUMENTS = {
    "yuran.md": "# Yuran\n\nYuran pembaharuan pasport ialah RM200 untuk lima tahun. Permohonan dibuat "
                "dalam talian atau di kaunter imigresen.\n\n## Pengecualian\n\nWarga emas dikecualikan "
                "daripada yuran pemprosesan.\n",
    "leave.md": "# Leave policy\n\nOfficers are entitled to 25 days of annual leave. Unused leave of up "
                "to 15 days may be carried into the next year.\n\n## Medical leave\n\nMedical leave "
                "needs a certificate from a registered clinic.\n",
    "permit.md": "# Permit pasar malam\n\nPermit pasar malam diluluskan dalam 14 hari bekerja. Yuran "
                 "permit ialah RM30 sebulan.\n",
}
QUESTIONS = [
    "Berapakah yuran pembaharuan pasport?",
    "How many days of annual leave do officers get?",
    "Bilakah permit pasar malam diluluskan?",
    "What does medical leave need?",
]


def call(base, method, path, body=None, headers=None, timeout=600):
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    h = {"Authorization": f"Bearer {KEY}"}
    if body is not None and not isinstance(body, bytes):
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    req = urllib.request.Request(base + path, data=data, method=method, headers=h)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, json.loads(r.read() or b"null")


def upload(base, name, text):
    boundary = "benchboundary" + os.urandom(4).hex()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"classification\"\r\n\r\nTERBUKA\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/markdown\r\n\r\n{text}\r\n--{boundary}--\r\n").encode()
    return call(base, "POST", "/api/v1/collections/sop/documents", body,
                {"Content-Type": f"multipart/form-data; boundary={boundary}"})


class Server:
    def __init__(self, name, binary, models, model, threads):
        self.name = name
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix=f"ask-bench-{name}-"))
        (self.dir / "models").symlink_to(models)
        config = self.dir / "daulat.toml"
        config.write_text(f'[server]\nhost = "127.0.0.1"\nport = 0\napi_key = "{KEY}"\n\n'
                          f'[[models]]\nname = "{model}"\nparallel = 2\ncontext_length = 8192\n'
                          f'threads = {threads}\n')
        env = dict(os.environ, DAULAT_DATA_DIR=str(self.dir), DAULAT_LOG_LEVEL="warn")
        env.pop("DAULAT_API_KEY", None)
        self.log = open(self.dir / "server.log", "w")
        self.proc = subprocess.Popen([binary, "serve", "--config", str(config)], stdout=subprocess.PIPE,
                                     stderr=self.log, env=env, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            raise SystemExit(f"{name} did not start: {line!r}; see {self.dir}/server.log")
        self.base = line.split("listening on ")[1].split(" ")[0]
        assert call(self.base, "POST", "/api/v1/collections", {"id": "sop"})[0] == 201
        for name_, text in DOCUMENTS.items():
            assert upload(self.base, name_, text)[0] == 201

    def ask(self, question):
        t0 = time.perf_counter()
        status, body = call(self.base, "POST", "/api/v1/ask", {"question": question})
        assert status == 200, body
        return (time.perf_counter() - t0) * 1000.0

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)


def main():
    data = os.environ.get("DAULAT_DATA_DIR", str(pathlib.Path.home() / ".local/share/daulat"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--daulat", default=str(REPO / "build/src/cli/daulat"))
    ap.add_argument("--baseline", required=True, help="the daulat binary to compare with")
    ap.add_argument("--models", default=f"{data}/models")
    ap.add_argument("--model", default="gemma3-270m")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=8, help="times each question is asked of each server")
    a = ap.parse_args()
    servers = [Server("daulat", a.daulat, a.models, a.model, a.threads),
               Server("baseline", a.baseline, a.models, a.model, a.threads)]
    try:
        for s in servers:  # warm up: first load, page cache, prompt cache
            for q in QUESTIONS:
                s.ask(q)
        times = {s.name: [] for s in servers}
        for r in range(a.rounds):
            for q in QUESTIONS:
                order = servers if r % 2 == 0 else list(reversed(servers))
                for s in order:
                    times[s.name].append(s.ask(q))
    finally:
        for s in servers:
            s.stop()
    p50 = {k: statistics.median(v) for k, v in times.items()}
    p95 = {k: sorted(v)[int(0.95 * (len(v) - 1))] for k, v in times.items()}
    print(f"{'metric':<28}{'daulat':>12}{'baseline':>12}{'ratio':>8}")
    for label, m in (("ask latency p50 ms", p50), ("ask latency p95 ms", p95)):
        print(f"{label:<28}{m['daulat']:>12.1f}{m['baseline']:>12.1f}{m['daulat'] / m['baseline']:>8.3f}")
    print(f"\n{len(QUESTIONS) * a.rounds} asks per server, model {a.model}, threads {a.threads}")
    print(f"reproduce: python3 bench/serve/ask_bench.py --baseline {a.baseline} --rounds {a.rounds}")


if __name__ == "__main__":
    main()
