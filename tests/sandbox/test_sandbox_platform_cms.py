"""The platform sandbox rendering a tenant's site from the sandbox CMS (the environment's content in
Optimizely), both served for real on 127.0.0.1: pages by the tree's URL segments, media from the CMS's
/globalassets/ URLs, the sitemap, containers and the trailing slash as the store-backed site answers them;
and the CMS's tree kept across a restart in its state file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from provisioning.test_cms import CLIENT_ID, SECRET, make_migration

from sandbox.cms import SandboxCMS
from sandbox.cms import start as start_cms
from sandbox.platform import SandboxPlatform
from sandbox.platform import start as start_platform
from sandbox.platform.cms_source import CmsSource
from soh_onboarding.provisioning import cms_content
from soh_onboarding.provisioning.client import RetryPolicy
from soh_onboarding.provisioning.cms import CmsClient, CmsCredentials

SPEC = {"tenant": {"tenant_id": "demo", "display_name": "Demoshire Police"}}


def publish_to(cms_url: str, migration: Path) -> cms_content.CmsResult:
    plan = cms_content.plan_migration(SPEC, migration)
    with CmsClient(CmsCredentials(cms_url, CLIENT_ID, SECRET), RetryPolicy(backoff_seconds=0.01)) as client:
        return cms_content.publish(client, plan)


@pytest.fixture()
def served(tmp_path: Path):
    """A CMS holding the demo tenant's migration, and a platform rendering from it."""
    cms = SandboxCMS(CLIENT_ID, SECRET)
    platform = SandboxPlatform(token="t", cms=None)
    with start_cms(cms) as cms_served:
        platform.cms = CmsSource(cms_served.url, CLIENT_ID, SECRET)
        platform.store.put_tenant("demo", "Demoshire Police")
        platform.store.put_tenant("other", "Other Police")
        result = publish_to(cms_served.url, make_migration(tmp_path / "migration"))
        assert result.verified
        with start_platform(platform) as running:
            yield running, cms, result


def test_the_site_is_rendered_from_the_cms_content_tree(served) -> None:
    running, _, _ = served
    story = requests.get(f"{running.url}/preview/demo/news/2021/story-1/", timeout=10)
    assert story.status_code == 200 and "<p>Story 1: café</p>" in story.text and "Story 1: café" in story.text
    home = requests.get(f"{running.url}/preview/demo/", timeout=10)
    assert home.status_code == 200 and "<p>Home</p>" in home.text
    leaflet = requests.get(f"{running.url}/preview/demo/media/documents/leaflet.pdf", timeout=10)
    assert leaflet.status_code == 200 and leaflet.content == b"/media/documents/leaflet.pdf"
    assert leaflet.headers["content-type"] == "application/pdf"
    sitemap = requests.get(f"{running.url}/preview/demo/sitemap.xml", timeout=10).text
    assert "/preview/demo/advice/burglary/lock-your-doors/</loc>" in sitemap
    assert "/preview/demo/contact/</loc>" not in sitemap  # a container page is not a page of the site


def test_containers_slashes_and_unknown_paths_answer_as_the_store_backed_site(served) -> None:
    running, _, _ = served
    get = lambda path: requests.get(f"{running.url}/preview/demo{path}", timeout=10, allow_redirects=False)  # noqa: E731
    assert get("/contact/").status_code == 404  # a node of the tree, not a page
    moved = get("/advice/burglary")
    assert moved.status_code == 301 and moved.headers["location"].endswith("/preview/demo/advice/burglary/")
    assert get("/no/such/page/").status_code == 404
    assert get("/media/documents/none.pdf").status_code == 404
    # A tenant the CMS holds nothing of is served from the platform's own store, as before.
    assert requests.get(f"{running.url}/preview/other/", timeout=10).status_code == 200


def test_a_failing_cms_is_retried_and_a_gone_one_answers_502(served) -> None:
    from sandbox.cms import Faults

    running, cms, _ = served
    cms.faults = Faults.mixed(0.3)
    for n in range(6):  # every answer right despite 30% faults (the site retries, as a real one's client)
        page = requests.get(f"{running.url}/preview/demo/news/2020/story-{4 * n}/", timeout=30)
        assert page.status_code == 200, page.text
    cms.faults = Faults(error_rate=1.0)
    assert requests.get(f"{running.url}/preview/demo/", timeout=30).status_code == 502


def test_the_cms_keeps_its_tree_across_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "cms.json"
    first = SandboxCMS(CLIENT_ID, SECRET, state_file=state)
    with start_cms(first) as served:
        result = publish_to(served.url, make_migration(tmp_path / "migration"))
    assert result.verified and json.loads(state.read_text())["items"]
    again = SandboxCMS(CLIENT_ID, SECRET, state_file=state)
    assert again.paths() == first.paths()
    with start_cms(again) as served:
        second = publish_to(served.url, tmp_path / "migration")
    assert second.written == [] and second.verified  # nothing lost: the second run writes nothing
    media = [c for c in again.tree if c.content_type == "SohDocumentFile"]
    assert [c.blob for c in media] == [b"/media/documents/leaflet.pdf"]


def test_a_state_file_that_is_not_one_is_refused_with_what_to_do(tmp_path: Path) -> None:
    state = tmp_path / "cms.json"
    state.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"not a sandbox CMS state file .*move it away"):
        SandboxCMS(CLIENT_ID, SECRET, state_file=state)
    assert state.read_text(encoding="utf-8") == "{not json"  # left as it was


def test_the_report_rows_and_verification_of_a_sync(served, tmp_path: Path) -> None:
    _, _, first = served
    rows = cms_content.as_published(first)
    plan = cms_content.plan_migration(SPEC, tmp_path / "migration")
    pages = [i for i in plan.items if i.kind == "page"]
    assert rows["pages"].local == len(pages) and rows["pages"].created == len(pages) and rows["pages"].unchanged == 0
    assert rows["assets"].created == rows["assets"].local == len(plan.items) - len(pages)
    assert {line.split(": ")[0] for line in rows["pages"].skipped} == {u.path for u in plan.unmapped}
    checked = cms_content.verification(first)
    containers = sum(1 for i in pages if i.content_type == cms_content.CONTAINER_TYPE)
    assert checked.ok and checked.counts == {"pages": len(pages) - containers, "assets": 2}
