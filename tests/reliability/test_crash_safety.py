"""The server killed with SIGKILL at random moments, DAULAT_CRASH_ROUNDS times (100).

Clients upload documents (new ones and new versions of the same names),
start background upload jobs, create API keys, change the policy, take
conversation turns and read the library (each request an audit append), all
at once. At a random moment the server dies without warning. Before it
starts again `daulat doctor` finds the database whole, the audit log
verified and every document's original the bytes uploaded; `--repair`
removes what the interrupted writes left. The restarted server then holds
every write a client was told succeeded, has marked the jobs it was running
interrupted, and its audit log holds at least one record per answered request.
"""
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "api"))
from conftest import BINARY, start_server  # noqa: E402
from test_lumin import upload  # noqa: E402
from test_lumin_jobs import post_files  # noqa: E402
from test_management import api  # noqa: E402

ROUNDS = int(os.environ.get("DAULAT_CRASH_ROUNDS", "100"))
ADMIN = "crash-admin-" + os.urandom(16).hex()
NAMES = [f"pekeliling-{i}.md" for i in range(6)]  # few names: most uploads are new versions


def daulat(data, *args):
    env = dict(os.environ, DAULAT_DATA_DIR=str(data))
    return subprocess.run([BINARY, *args], capture_output=True, text=True, env=env, timeout=300)


def start(data):
    shared = os.environ["DAULAT_DATA_DIR"]
    os.environ["DAULAT_DATA_DIR"] = str(data)
    try:
        return start_server(api_key=ADMIN)
    finally:
        os.environ["DAULAT_DATA_DIR"] = shared


class Ledger:
    """What clients sent and what they were told was stored."""

    def __init__(self):
        self.lock = threading.Lock()
        self.versions = {n: [] for n in NAMES}  # name -> [[bytes, version acknowledged or 0]]
        self.keys, self.jobs, self.policies = set(), set(), []  # policies: [(retention, acked)]
        self.conversation, self.turns = None, 0
        self.answered = 0  # audited requests that got a 2xx
        self.seq = 0

    def next(self):
        with self.lock:
            self.seq += 1
            return self.seq


class Clients:
    """Every kind of write at once, until the server dies or `stop` is set."""

    def __init__(self, base, ledger):
        self.base, self.ledger, self.stop = base, ledger, threading.Event()
        self.unexpected = []
        kinds = [self.uploads, self.uploads, self.jobs, self.keys, self.policy, self.turns, self.reads]
        self.threads = [threading.Thread(target=self.guard, args=(k,)) for k in kinds]

    def guard(self, kind):
        try:
            while not self.stop.is_set():
                kind()
        except (OSError, ConnectionError, TimeoutError, EOFError) as e:
            if not self.stop.is_set():
                self.stop.set()  # the server died: every client notices soon
        except Exception as e:  # http.client's errors on a cut connection included
            if type(e).__module__ != "http.client":
                self.unexpected.append(repr(e))
            self.stop.set()

    def answered(self, r, *ok):
        if r.status_code in ok:
            with self.ledger.lock:
                self.ledger.answered += 1
            return True
        if r.status_code not in (429, 503):  # overload is allowed; nothing else
            self.unexpected.append(f"{r.status_code} {r.text[:200]}")
        return False

    def uploads(self):
        seq = self.ledger.next()
        name = random.choice(NAMES)
        body = f"# {name}\n\nVersi {seq}: elaun harian gred {seq % 54} ialah RM {60 + seq}.\n".encode()
        with self.ledger.lock:
            self.ledger.versions[name].append([body, 0])
            entry = self.ledger.versions[name][-1]
        r = upload(self.base, ADMIN, "sop", name, body)
        if self.answered(r, 201):
            with self.ledger.lock:
                entry[1] = r.json()["version"]

    def jobs(self):
        seq = self.ledger.next()
        files = [(f"latar-{seq}-{i}.md", f"# Latar {seq}\n\nFail latar {i} kelompok {seq}.\n".encode())
                 for i in range(3)]
        r = post_files(self.base, ADMIN, "sop", files)
        if self.answered(r, 202):
            with self.ledger.lock:
                self.ledger.jobs.add(r.json()["id"])
        time.sleep(0.1)  # the library grows slower than the rounds

    def keys(self):
        r = api(self.base, "POST", "/api/v1/keys", ADMIN, {"name": f"kunci-{self.ledger.next()}"})
        if self.answered(r, 201):
            with self.ledger.lock:
                self.ledger.keys.add(r.json()["id"])
        time.sleep(0.05)

    def policy(self):
        days = 30 + self.ledger.next() % 30000  # distinct enough, and within the 1-36,500 allowed
        body = {"levels": {"TERBUKA": {"models": ["*"], "pii_prompt": "allow"},
                           "TERHAD": {"models": ["*"], "pii_prompt": "mask", "retention_days": days}}}
        with self.ledger.lock:
            self.ledger.policies.append([days, False])
            entry = self.ledger.policies[-1]
        if self.answered(api(self.base, "PUT", "/api/v1/policy", ADMIN, body), 200):
            with self.ledger.lock:
                entry[1] = True
        time.sleep(0.1)

    def turns(self):
        r = api(self.base, "POST", "/api/v1/ask", ADMIN,
                {"question": "Berapakah elaun harian gred 41?", "conversation_id": self.ledger.conversation})
        if self.answered(r, 200):
            with self.ledger.lock:
                self.ledger.turns += 1

    def reads(self):
        self.answered(api(self.base, "GET", "/api/v1/documents?collection=sop", ADMIN), 200)
        self.answered(api(self.base, "POST", "/api/v1/search", ADMIN, {"query": "elaun harian"}), 200)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)


def check_on_disk(data, debris):
    """doctor before the restart: nothing damaged; then the debris is removed."""
    found = daulat(data, "doctor", "--verify-originals", "--json")
    report = json.loads(found.stdout)
    assert report["exclusive"], report
    assert report["database"]["integrity"] == ["ok"], report
    assert report["audit"]["ok"], report["audit"]
    library = report["library"]
    assert not library["missing_originals"] and not library["damaged_originals"], library
    for k in ("orphan_chunks", "orphan_vectors", "orphan_index_entries", "unindexed_chunks"):
        assert library[k] == 0, (k, library)  # rows are written in one transaction
    debris["blobs"] += len(library["orphan_blobs"])
    debris["jobs"] += report["stale_jobs"]
    assert found.returncode == (0 if report["ok"] else 4), found.stderr
    if not report["ok"]:
        repaired = daulat(data, "doctor", "--repair", "--json")
        assert repaired.returncode == 0, repaired.stdout + repaired.stderr
        again = daulat(data, "doctor", "--json")
        assert again.returncode == 0 and json.loads(again.stdout)["ok"], again.stdout
    return report["audit"]["records"]


def all_pages(base, path):
    """Every entry of a paged listing."""
    entries, after = [], ""
    sep = "&" if "?" in path else "?"
    while True:
        r = api(base, "GET", f"{path}{sep}limit=1000&after={after}", ADMIN)
        assert r.status_code == 200, r.text
        entries += r.json()["data"]
        if not r.json()["has_more"]:
            return entries
        after = r.json()["next_after"]


def check_served(base, ledger, round_jobs):
    """Every acknowledged write is there after the restart."""
    documents = all_pages(base, "/api/v1/documents?collection=sop")
    by_name = {d["source_name"]: d for d in documents}
    assert len(by_name) == len(documents), "two documents of one name"
    def content(body):
        return body.decode().split("\n\n", 1)[1].strip()

    for name, sent in ledger.versions.items():
        newest = max((v for _, v in sent), default=0)
        if not newest:
            continue
        # The version stored is the newest acknowledged, or a later one whose
        # commit preceded the crash and whose reply was lost: never older.
        stored = by_name[name]
        assert stored["version"] >= newest, (name, stored, newest)
        passages = api(base, "GET", f"/api/v1/documents/{stored['id']}/passages", ADMIN).json()
        text = "\n".join(p["text"] for p in passages["data"])
        if stored["version"] == newest:
            body = next(b for b, v in sent if v == newest)
            assert content(body) in text, (name, text, content(body))
        else:
            assert any(content(b) in text for b, v in sent if not v), (name, text)
    keys = {k["id"] for k in all_pages(base, "/api/v1/keys")}
    assert ledger.keys <= keys, ledger.keys - keys
    policy = api(base, "GET", "/api/v1/policy", ADMIN).json()
    acked = [i for i, (_, ok) in enumerate(ledger.policies) if ok]
    if acked:
        allowed = {days for days, _ in ledger.policies[acked[-1]:]}
        assert policy["levels"]["TERHAD"]["retention_days"] in allowed, (policy, allowed)
    conversation = api(base, "GET", f"/api/v1/conversations/{ledger.conversation}", ADMIN).json()
    assert conversation["turns"] >= ledger.turns, (conversation["turns"], ledger.turns)
    for job_id in round_jobs:
        job = api(base, "GET", f"/api/v1/jobs/{job_id}", ADMIN).json()
        assert job["status"] in ("completed", "interrupted"), job
        for f in job["files"]:
            assert f["status"] in ("added", "duplicate", "failed"), job
            if f["status"] == "added":
                r = api(base, "GET", f"/api/v1/documents/{f['document_id']}", ADMIN)
                assert r.status_code == 200, (job_id, f)


def test_the_server_survives_being_killed_at_random_moments(tmp_path):
    (tmp_path / "models").symlink_to(os.path.join(os.environ["DAULAT_DATA_DIR"], "models"))
    data, ledger = tmp_path, Ledger()
    rng = random.Random(int(os.environ.get("DAULAT_CRASH_SEED", str(time.time_ns()))))
    debris = {"blobs": 0, "jobs": 0}
    proc, base, log = start(data)
    assert api(base, "POST", "/api/v1/collections", ADMIN, {"id": "sop"}).status_code == 201
    ledger.conversation = api(base, "POST", "/api/v1/conversations", ADMIN, {}).json()["id"]
    killed_at = []
    for round_no in range(ROUNDS):
        jobs_before = set(ledger.jobs)
        with Clients(base, ledger) as clients:
            time.sleep(rng.uniform(0.2, 5.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            killed_at.append(time.time())
        assert not clients.unexpected, (round_no, clients.unexpected[:5], log.read_text()[-3000:])
        records = check_on_disk(data, debris)
        assert records >= ledger.answered, (records, ledger.answered)
        proc, base, log = start(data)
        check_served(base, ledger, ledger.jobs - jobs_before)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    sent = sum(len(v) for v in ledger.versions.values())
    acked_uploads = sum(1 for v in ledger.versions.values() for _, version in v if version)
    # Overload answers (429/503) are allowed, but the load must have been real.
    assert acked_uploads >= ROUNDS and ledger.keys and ledger.jobs, (acked_uploads, len(ledger.keys))
    print(f"\n{ROUNDS} kills: {ledger.answered} answered requests, {sent} uploads sent, "
          f"{len(ledger.keys)} keys, {len(ledger.jobs)} jobs, {ledger.turns} turns; "
          f"doctor removed {debris['blobs']} unnamed blobs, {debris['jobs']} stale jobs")
