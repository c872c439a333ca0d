"""HTTPS when a certificate and key are configured."""
import http.client as httplib
import json
import pathlib
import ssl
import subprocess
import tempfile
import urllib.parse

from conftest import API_KEY, BINARY, MODEL, start_server


def _self_signed(workdir):
    key, cert = workdir / "key.pem", workdir / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return key, cert


def test_https_serves_the_api_and_refuses_plain_http():
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="daulat-tls-"))
    key, cert = _self_signed(workdir)
    proc, base, log = start_server(f'tls_certificate = "{cert}"\ntls_private_key = "{key}"')
    try:
        assert base.startswith("https://")
        u = urllib.parse.urlparse(base)
        ctx = ssl.create_default_context(cafile=str(cert))
        conn = httplib.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=60)
        conn.request("POST", "/v1/chat/completions",
                     body=json.dumps({"model": MODEL, "temperature": 0,
                                      "messages": [{"role": "user", "content": "Apakah ibu negara Malaysia?"}]}),
                     headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"})
        r = conn.getresponse()
        assert r.status == 200
        assert "Kuala Lumpur" in json.loads(r.read())["choices"][0]["message"]["content"]
        conn.request("GET", "/healthz")  # same connection: keep-alive over TLS
        assert conn.getresponse().read() == b'{"status":"ok"}'
        plain = httplib.HTTPConnection(u.hostname, u.port, timeout=5)
        try:
            plain.request("GET", "/healthz")
            plain.getresponse()
            assert False, "plain HTTP must not be answered on the TLS port"
        except (httplib.RemoteDisconnected, ConnectionResetError, httplib.BadStatusLine):
            pass
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0


def test_missing_certificate_is_a_clear_start_up_error():
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="daulat-tls-"))
    config = workdir / "bad.toml"
    config.write_text(f'[server]\nport = 0\ntls_certificate = "{workdir}/nope.pem"\ntls_private_key = "{workdir}/nope.key"\n')
    r = subprocess.run([BINARY, "serve", "--config", str(config)], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert "TLS certificate" in r.stderr
