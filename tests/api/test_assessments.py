"""The STAR readiness assessment over HTTP: framework, create with platform
evidence, answers (and bad ones), scoring, versions, reports and narrative."""
import json

import pytest

from conftest import MODEL, http
from test_management import api, audit, create_key, new_tenant

A = "/api/v1/assessments"


@pytest.fixture(scope="module")
def org(base_url):
    tid, owner = new_tenant(base_url, "star")
    _, other = new_tenant(base_url, "star-other")
    return {"tid": tid, "owner": owner, "other": other,
            "member": create_key(base_url, owner, name="m", role="member")["key"],
            "auditor": create_key(base_url, owner, name="a", role="auditor")["key"]}


def test_framework_in_both_languages(base_url, org):
    en = api(base_url, "GET", A + "/framework", org["auditor"]).json()
    ms = api(base_url, "GET", A + "/framework?language=ms", org["auditor"]).json()
    assert en["id"] == "star" and len(en["pillars"]) == 6 and len(en["gates"]) == 3
    q = en["pillars"][0]["dimensions"][0]["questions"][0]
    assert len(q["levels"]) == 5 and q["id"] == "strategy.vision"
    assert ms["pillars"][0]["title"] == "Strategi dan kepimpinan"
    assert api(base_url, "GET", A + "/framework?language=fr", org["owner"]).status_code == 400


def test_assessment_lifecycle_with_evidence_versions_and_reports(base_url, org):
    owner = org["owner"]
    r = api(base_url, "POST", A, owner, {"title": "Pertama", "organisation": "Jabatan Ujian"})
    assert r.status_code == 201, r.text
    a = r.json()
    assert r.headers["Location"] == f"{A}/{a['id']}"
    got = a["answers"]["answers"]
    # What the platform observes was filled in as evidence.
    assert got["governance.privacy"]["source"] == "evidence" and got["governance.privacy"]["level"] == 4
    assert got["governance.policy"]["evidence"]["observed"] is False and got["governance.policy"]["level"] == 2
    assert got["governance.audit"]["evidence"]["signal"] == "audit_chain_verified"
    assert got["governance.transparency"]["level"] == 4  # the demo model has its model card
    path = f"{A}/{a['id']}"
    # Overriding evidence needs a reason; nothing changes until it has one.
    r = api(base_url, "PATCH", path + "/answers", owner, {"answers": {"governance.policy": 4}})
    assert r.status_code == 400 and "needs a reason" in r.json()["error"]["message"]
    r = api(base_url, "PATCH", path + "/answers", owner,
            {"answers": {"governance.policy": {"level": 4, "reason": "approved by the board"}, "strategy.vision": 3},
             "facts": {"data_subjects": 50000, "sensitive_data": False, "dpo_appointed": False}})
    assert r.status_code == 200, r.text
    assert r.json()["answers"]["answers"]["governance.policy"]["reason"] == "approved by the board"
    s1 = api(base_url, "POST", path + "/score", owner, {}).json()
    assert s1["version"] == 1 and s1["gates"][0]["id"] == "pdpa.dpo" and s1["gates"][0]["status"] == "unmet"
    assert "production" in s1["blocked_stages"] and s1["roadmap"][0]["actions"][0]["kind"] == "gate"
    again = api(base_url, "POST", path + "/score", owner, {"language": "ms"}).json()
    assert again["overall"] == s1["overall"] and again["pillars"][0]["title"] == "Strategi dan kepimpinan"
    api(base_url, "PATCH", path + "/answers", owner, {"answers": {"talent.team": 4}, "facts": {"dpo_appointed": True}})
    s3 = api(base_url, "POST", path + "/score", owner).json()
    assert s3["version"] == 3 and s3["overall"] > s1["overall"] and s3["gates"][-1]["status"] == "met"
    versions = api(base_url, "GET", path + "/versions", org["auditor"]).json()["data"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    report = api(base_url, "GET", path + "/report", org["auditor"]).json()
    assert report["version"] == 3 and report["baseline"]["version"] == 2
    first = api(base_url, "GET", path + "/report?version=1", org["auditor"]).json()
    assert first["overall"] == s1["overall"] and first["baseline"] is None
    html = http("GET", base_url + path + "/report?format=html&language=ms", headers={"Authorization": f"Bearer {owner}"})
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in html.headers["Content-Security-Policy"]
    assert "Jabatan Ujian" in html.text and "Peta hala tuju" in html.text and "<script" not in html.text
    pdf = http("GET", base_url + path + "/report?format=pdf", headers={"Authorization": f"Bearer {owner}"})
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert "attachment" in pdf.headers["Content-Disposition"]
    listed = api(base_url, "GET", A, org["auditor"]).json()["data"]
    assert listed[0]["id"] == a["id"] and listed[0]["latest"]["version"] == 3
    actions = {x["action"] for x in audit(base_url, owner, limit=1000)}
    assert {"assessment_created", "assessment_answered", "assessment_scored", "assessment_report"} <= actions


def test_bad_input_roles_and_tenants(base_url, org):
    owner = org["owner"]
    a = api(base_url, "POST", A, owner, {"title": "T", "organisation": "O", "evidence": False}).json()
    assert a["answers"]["answers"] == {}
    path = f"{A}/{a['id']}"
    for body, want in [
        ({"answers": {"nope": 3}}, "not a question"),
        ({"answers": {"strategy.vision": 9}}, "from 1 to 5"),
        ({"answers": {"strategy.vision": "tinggi"}}, "a level"),
        ({"facts": {"data_subjects": "banyak"}}, "must be a integer"),
        ({"facts": {"dpo_appointed": "ya"}}, "true or false"),
        ({"colour": 1}, "unknown field"),
        ([], "must be an object"),
    ]:
        r = api(base_url, "PATCH", path + "/answers", owner, body)
        assert r.status_code == 400 and want in r.json()["error"]["message"], (body, r.text)
    assert api(base_url, "POST", A, owner, {"title": "T"}).status_code == 400
    assert api(base_url, "POST", A, owner, {"title": "T", "organisation": "O", "target_level": 9}).status_code == 400
    assert api(base_url, "POST", A, owner, {"title": "T", "organisation": "O", "extra": 1}).status_code == 400
    assert api(base_url, "GET", path + "/report", owner).status_code == 400  # not scored yet
    api(base_url, "POST", path + "/score", owner)
    for q in ("format=docx", "version=0", "version=abc", "language=fr"):
        assert api(base_url, "GET", f"{path}/report?{q}", owner).status_code == 400, q
    assert api(base_url, "GET", path + "/report?version=99", owner).status_code == 404
    # Roles: members cannot see assessments; auditors read but never change them.
    assert api(base_url, "GET", A, org["member"]).status_code == 403
    assert api(base_url, "PATCH", path + "/answers", org["auditor"], {"answers": {"strategy.vision": 2}}).status_code == 403
    # Other tenants' assessments do not exist for them.
    for method, p in (("GET", path), ("GET", path + "/report"), ("DELETE", path), ("POST", path + "/score")):
        assert api(base_url, method, p, org["other"], {} if method == "POST" else None).status_code == 404, p
    assert api(base_url, "DELETE", path, owner).status_code == 200
    assert api(base_url, "GET", path, owner).status_code == 404


def test_narrative_is_generated_by_a_local_model_and_marked(base_url, org):
    owner = org["owner"]
    a = api(base_url, "POST", A, owner, {"title": "N", "organisation": "Pejabat Naratif"}).json()
    path = f"{A}/{a['id']}"
    assert api(base_url, "POST", path + "/narrative", owner, {}).status_code == 400  # nothing scored yet
    api(base_url, "POST", path + "/score", owner)
    assert api(base_url, "POST", path + "/narrative", owner, {"model": "no-such-model"}).status_code == 404
    r = api(base_url, "POST", path + "/narrative", owner, {"language": "ms", "model": MODEL})
    assert r.status_code == 200, r.text
    n = r.json()
    assert n["generated"] is True and n["model"] == MODEL and n["text"]
    report = api(base_url, "GET", path + "/report", owner).json()
    assert report["narrative"] == {"text": n["text"], "model": MODEL, "generated": True}
    assert report["roadmap"], "the rule-based roadmap stays"
    usage = api(base_url, "GET", "/api/v1/usage?group_by=model", owner).json()["data"]
    assert usage and usage[0]["completion_tokens"] > 0
