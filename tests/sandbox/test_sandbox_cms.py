"""The sandbox CMS answers as Optimizely CMS does: OAuth errors, 401 and 403, the content tree's rules
(409 for a taken GUID or URL segment, 400 for moving by PUT or changing a type, 422 for publishing without
a required property unless validation is minimal), PATCH, DELETE to the wastebasket or for good, children
by continuation token, and the fault mode's 500s, 429s and lost answers in the CMS's error shape."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import requests

from conftest import run_sandbox
from sandbox.cms import Faults, SandboxCMS, start
from sandbox.cms.model import GLOBAL_ASSETS_ID, ROOT_ID

SECRET = "sandbox-cms-secret"
API = "/api/episerver/v3.0/contentmanagement"


@pytest.fixture
def cms() -> Iterator[tuple[SandboxCMS, str]]:
    sandbox = SandboxCMS(client_secret=SECRET)
    with start(sandbox) as running:
        yield sandbox, running.url


def token(url: str, **form: str) -> requests.Response:
    base = {"grant_type": "client_credentials", "client_id": "soh-onboarding", "client_secret": SECRET}
    return requests.post(f"{url}/api/episerver/connect/token", data=base | form, timeout=10)


def session(url: str, scope: str = "epi_content_management epi_content_delivery") -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token(url, scope=scope).json()['access_token']}"
    return s


def page(name: str, parent: dict, **extra) -> dict:
    return {"name": name, "contentType": ["SohStandardPage"], "parentLink": parent, "heading": {"value": name}} | extra


def test_the_token_endpoint_answers_as_oauth_says(cms) -> None:
    _sandbox, url = cms
    good = token(url)
    assert good.status_code == 200 and good.json()["token_type"] == "Bearer" and good.json()["expires_in"] == 3600
    assert good.headers["Cache-Control"] == "no-store"
    assert token(url, client_secret="wrong").json()["error"] == "invalid_client"
    assert token(url, grant_type="password").json()["error"] == "unsupported_grant_type"
    assert token(url, scope="epi_everything").json()["error"] == "invalid_scope"


def test_no_token_401_an_expired_one_401_a_missing_scope_403(cms) -> None:
    sandbox, url = cms
    bare = requests.get(f"{url}{API}/1", timeout=10)
    assert bare.status_code == 401 and bare.headers["WWW-Authenticate"].startswith("Bearer")
    delivery_only = session(url, scope="epi_content_delivery")
    assert delivery_only.get(f"{url}{API}/1").status_code == 403
    assert delivery_only.get(f"{url}/api/episerver/v3.0/content/1/children").status_code == 200
    both = session(url)
    assert both.get(f"{url}{API}/1").json()["name"] == "Root"
    sandbox.tokens.expire_all()
    assert both.get(f"{url}{API}/1").status_code == 401


def test_the_tree_keeps_its_rules(cms) -> None:
    _sandbox, url = cms
    s = session(url)
    guid = str(uuid.uuid4())
    created = s.put(f"{url}{API}/{guid}", json=page("Home", {"id": ROOT_ID}, routeSegment="demo"))
    assert created.status_code == 201 and created.json()["contentLink"]["guidValue"] == guid
    assert created.json()["status"] == "CheckedOut"  # the default: a draft
    assert s.put(f"{url}{API}/{guid}", json=page("Home", {"id": ROOT_ID}, routeSegment="demo")).status_code == 200
    taken = s.post(f"{url}{API}", json=page("Other", {"id": ROOT_ID}, routeSegment="demo"))
    assert taken.status_code == 409 and taken.headers["content-type"] == "application/problem+json"
    again = s.post(f"{url}{API}", json=page("Home", {"id": ROOT_ID}, contentLink={"guidValue": guid}))
    assert again.status_code == 409
    other = s.put(
        f"{url}{API}/{guid}", json=page("Home", {"id": ROOT_ID}, contentLink={"guidValue": str(uuid.uuid4())})
    )
    assert other.status_code == 400 and "contentLink" in other.json()["errors"]
    moved = s.put(f"{url}{API}/{guid}", json=page("Home", {"id": GLOBAL_ASSETS_ID}))
    assert moved.status_code == 400 and "hierarchy" in moved.json()["errors"]["parentLink"][0]
    retyped = s.put(f"{url}{API}/{guid}", json=page("Home", {"id": ROOT_ID}) | {"contentType": ["SohNewsPage"]})
    assert retyped.status_code == 400 and "contentType" in retyped.json()["errors"]
    bad = s.post(f"{url}{API}", json=page("X", {"guidValue": guid}, routeSegment="Not Valid", nonsense={"value": 1}))
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"routeSegment"}
    unknown = s.post(f"{url}{API}", json=page("X", {"guidValue": guid}, nonsense={"value": 1}))
    assert "nonsense" in unknown.json()["errors"]
    no_heading = {"name": "Empty", "contentType": ["SohStandardPage"], "parentLink": {"guidValue": guid}}
    refused = s.post(f"{url}{API}", json=no_heading | {"status": "Published"})
    assert refused.status_code == 422 and refused.json()["errors"] == {"heading": ["heading is required."]}
    minimal = s.post(
        f"{url}{API}", json=no_heading | {"status": "Published"}, headers={"x-epi-validation-mode": "minimal"}
    )
    assert minimal.status_code == 201
    assert s.put(f"{url}{API}/{guid}", data=b"{", headers={"Content-Type": "application/json"}).status_code == 400
    assert s.put(f"{url}{API}/{guid}", data=b"x=1", headers={"Content-Type": "text/plain"}).status_code == 415
    assert s.get(f"{url}{API}/5_12").status_code == 400  # a reference with a work id
    assert s.get(f"{url}{API}/{uuid.uuid4()}").status_code == 404


def test_patch_changes_only_what_is_given_and_delete_goes_to_the_wastebasket(cms) -> None:
    _sandbox, url = cms
    s = session(url)
    guid = str(uuid.uuid4())
    s.put(f"{url}{API}/{guid}", json=page("Home", {"id": ROOT_ID}, teaserText={"value": "kept"}))
    patched = s.patch(f"{url}{API}/{guid}", json={"heading": {"value": "New"}, "status": "Published"}).json()
    assert (patched["heading"]["value"], patched["teaserText"]["value"], patched["status"]) == (
        "New",
        "kept",
        "Published",
    )
    assert s.delete(f"{url}{API}/{guid}").status_code == 204
    assert s.get(f"{url}{API}/{guid}").json()["parentLink"]["id"] == 2  # the wastebasket
    assert s.delete(f"{url}{API}/{guid}", headers={"x-epi-permanent-delete": "true"}).status_code == 204
    assert s.get(f"{url}{API}/{guid}").status_code == 404
    assert s.delete(f"{url}{API}/{ROOT_ID}").status_code == 403


def test_children_come_a_page_at_a_time_published_only(cms) -> None:
    _sandbox, url = cms
    s = session(url)
    parent = str(uuid.uuid4())
    s.put(f"{url}{API}/{parent}", json=page("Home", {"id": ROOT_ID}, status="Published"))
    for n in range(7):
        status = "CheckedOut" if n == 3 else "Published"
        s.put(f"{url}{API}/{uuid.uuid4()}", json=page(f"P{n}", {"guidValue": parent}, status=status))
    names, headers = [], {}
    while True:
        answer = s.get(f"{url}/api/episerver/v3.0/content/{parent}/children", params={"top": 2}, headers=headers)
        names += [c["name"] for c in answer.json()]
        if "x-epi-continuation" not in answer.headers:
            break
        headers = {"x-epi-continuation": answer.headers["x-epi-continuation"]}
    assert names == ["P0", "P1", "P2", "P4", "P5", "P6"]
    wrong = s.get(f"{url}/api/episerver/v3.0/content/1/children", headers={"x-epi-continuation": "bm9wZQ=="})
    assert wrong.status_code == 400
    assert s.get(f"{url}/api/episerver/v3.0/content/1/children", params={"top": 0}).status_code == 400


def test_the_fault_mode_answers_in_the_cms_shape_and_a_lost_answer_was_applied() -> None:
    sandbox = SandboxCMS(client_secret=SECRET)
    with start(sandbox) as running:
        s = session(running.url)
        sandbox.faults = Faults(error_rate=1.0)
        failed = s.get(f"{running.url}{API}/1")
        assert failed.status_code == 500 and failed.json()["status"] == 500 and "title" in failed.json()
        sandbox.faults = Faults(throttle_rate=1.0, retry_after=7)
        throttled = s.get(f"{running.url}{API}/1")
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
        sandbox.faults = Faults(timeout_rate=1.0, stall_seconds=1.0)
        guid = str(uuid.uuid4())
        with pytest.raises(requests.Timeout):
            s.put(f"{running.url}{API}/{guid}", json=page("Lost", {"id": ROOT_ID}), timeout=0.3)
        sandbox.faults = Faults()
        time.sleep(0.8)
        assert s.get(f"{running.url}{API}/{guid}").json()["name"] == "Lost"  # written, answer lost
        assert dict(sandbox.store.stats.faults) == {"error": 1, "throttle": 1, "timeout": 1}


def test_the_cli_wants_the_secret_from_the_environment() -> None:
    done = run_sandbox("cms", "--port", "1", "--secret-env", "SOH_TEST_UNSET_CMS_SECRET")
    assert done.returncode == 2 and "SOH_TEST_UNSET_CMS_SECRET" in done.stderr
