"""Behind a load balancer a stopping server first leaves the rotation:
with [server] drain_seconds, SIGTERM turns /readyz to 503 while requests
are still served, and only then does the listener close."""
import signal
import time

from conftest import API_KEY, http, start_server


def test_sigterm_drains_before_closing():
    proc, base, _ = start_server("drain_seconds = 3")
    assert http("GET", base + "/readyz").status_code == 200
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert http("GET", base + "/readyz").status_code == 503
    me = http("GET", base + "/api/v1/me", headers={"Authorization": f"Bearer {API_KEY}"})
    assert me.status_code == 200, me.text  # still serving while the balancer takes it out
    assert proc.wait(timeout=30) == 0
    assert "daulat stopped" in proc.stdout.read()


def test_a_second_signal_ends_the_drain():
    proc, base, _ = start_server("drain_seconds = 120")
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert http("GET", base + "/readyz").status_code == 503
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0  # not the 120 s the drain would take
