"""Publishing to Optimizely CMS through its Content Management API, against the sandbox CMS served for real
on 127.0.0.1: the mapping onto the content tree, read-back, a second run that writes nothing, convergence
under 30% faults without duplicates, a kill half-way and a resume, a token expiring mid-run, and the
client secret kept out of every message."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from sandbox.cms import Faults, SandboxCMS, start
from soh_onboarding.provisioning.client import RetryPolicy
from soh_onboarding.provisioning.cms import CmsClient, CmsCredentials, CmsError
from soh_onboarding.provisioning.cms_content import CONTENT_TYPES, CmsResult, Item, Plan, plan_site, publish
from soh_onboarding.provisioning.items import MAX_BODY_CHARS, read_assets, read_pages

CLIENT_ID, SECRET = "soh-onboarding", "cms-test-secret-5b1e-Zq"
FAST = {"backoff_seconds": 0.01, "backoff_max_seconds": 0.05}
TENANT, SITE = "demo", "Demoshire Police"


def make_migration(folder: Path, news: int = 24) -> Path:
    """A migration's content.jsonl and assets.csv, demo-like: a home page, nested sections, news under
    /news/<year>/ (no page at the year), and three pages the CMS cannot take."""
    records = [
        ("/", "Home", "page", None),
        ("/news/", "News", "page", None),
        ("/advice/", "Advice", "page", None),
        ("/advice/burglary/", "Burglary", "advice", None),
        ("/advice/burglary/lock-your-doors/", "Lock your doors", "advice", "2024-11-02"),
        ("/contact/stations/", "Police stations", "station", None),  # /contact/ has no page: a container
        ("/contact/stations/banbury/", "Banbury", "station", None),
        ("/appeals/missing-person/", "Missing person", "appeal", "2025-02-01"),
        ("/neighbourhoods/north/", "North", "neighbourhood", None),
        ("/widgets/map/", "Map widget", "widget", None),  # unknown content type
        ("/About_Us/", "About us", "page", None),  # upper case: not a URL segment the CMS takes
        ("/About_Us/team/", "Team", "page", None),  # below it
        ("/huge/", "Huge", "page", None),  # body over the limit
    ]
    records += [
        (f"/news/{2020 + n % 4}/story-{n}/", f"Story {n}: café", "news", f"2025-0{1 + n % 9}-1{n % 10}")
        for n in range(news)
    ]
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "content.jsonl").open("w", encoding="utf-8") as out:
        for path, title, kind, published in records:
            body = "x" * (MAX_BODY_CHARS + 1) if path == "/huge/" else f"<p>{title}</p>"
            record = {"new_path": path, "title": title, "summary": f"About {title}", "body_html": body}
            out.write(json.dumps(record | {"content_type": kind, "published": published}, ensure_ascii=False) + "\n")
    rows = ["old_url,new_path,sha256,content_type"]
    for path, media in (("/media/documents/leaflet.pdf", "application/pdf"), ("/media/images/logo.png", "image/png")):
        data = path.encode()
        (folder / "assets" / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (folder / "assets" / path.lstrip("/")).write_bytes(data)
        rows.append(f"http://legacy.example{path},{path},{hashlib.sha256(data).hexdigest()},{media}")
    (folder / "assets.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    migration = make_migration(tmp_path_factory.mktemp("cms") / "migration")
    return plan_site(TENANT, SITE, read_pages(migration), read_assets(migration))


def client_for(running, secret: str = SECRET, scope: str | None = None, **policy: float) -> CmsClient:
    credentials = CmsCredentials(running.url, CLIENT_ID, secret, **({"scope": scope} if scope else {}))
    return CmsClient(credentials, RetryPolicy(**(FAST | policy)))


def tree_of(cms: SandboxCMS) -> dict[str, tuple]:
    """The tenant's part of the tree by path: type, name, status and properties (what a run leaves)."""
    return {
        "/".join(cms.tree.path_of(c)): (c.content_type, c.name, c.status, tuple(sorted(c.properties.items())))
        for c in cms.tree
        if cms.tree.path_of(c)[0] == TENANT or cms.tree.path_of(c)[1:2] == [TENANT]
    }


def sync(running, plan: Plan, **options) -> CmsResult:
    with client_for(running) as client:
        return publish(client, plan, **options)


def test_the_mapping_reports_what_it_cannot_map_and_makes_containers(plan: Plan) -> None:
    reasons = {u.path: u.reason for u in plan.unmapped}
    assert set(reasons) == {"/widgets/map/", "/About_Us/", "/About_Us/team/", "/huge/"}
    assert "'widget' has no CMS content type" in reasons["/widgets/map/"]
    assert "'About_Us'" in reasons["/About_Us/team/"] and "body over" in reasons["/huge/"]
    by_path = {(i.kind == "asset", i.path): i for i in plan.items}
    assert by_path[False, "/"].content_type == "SohStartPage" and by_path[False, "/"].properties["heading"] == "Home"
    assert by_path[False, "/contact/"].content_type == "SohContainerPage"  # a segment without a page
    assert by_path[False, "/news/2021/"].content_type == "SohContainerPage"
    assert by_path[False, "/news/"].content_type == "SohStandardPage"
    story = by_path[False, "/news/2021/story-1/"]
    assert story.content_type == "SohNewsPage" and story.properties["publishedDate"] == "2025-02-11T00:00:00Z"
    assert story.parent == {"guidValue": by_path[False, "/news/2021/"].guid}
    assert by_path[True, "/media/images/logo.png"].content_type == "SohImageFile"
    # the same tenant and path give the same GUID on every run
    again = plan_site(TENANT, SITE, [], [])
    assert again.items[0].guid == by_path[False, "/"].guid


def test_publish_read_back_and_a_second_run_changes_nothing(plan: Plan) -> None:
    cms = SandboxCMS(client_secret=SECRET)
    with start(cms) as running:
        first = sync(running, plan)
        assert first.verified and not first.mismatched and not first.refused
        assert len(first.written) == len(plan.items) and first.unchanged == 0
        tree = tree_of(cms)
        assert tree["demo/news/2021/story-1"][0:3] == ("SohNewsPage", "Story 1: café", "Published")
        assert tree["demo/contact"][0] == "SohContainerPage"
        assert tree["for-all-sites/demo/media/documents/leaflet.pdf"][0] == "SohDocumentFile"
        assert max(cms.paths().values()) == 1
        second = sync(running, plan)
        assert second.written == [] and second.unchanged == len(plan.items) and second.verified
        assert "PUT" not in second.calls["calls"] and tree_of(cms) == tree
        assert [u.path for u in second.unmapped] == [u.path for u in plan.unmapped]  # still reported


def test_one_changed_page_is_the_only_write(plan: Plan) -> None:
    cms = SandboxCMS(client_secret=SECRET)
    with start(cms) as running:
        sync(running, plan)
        story = next(i for i in plan.items if i.path == "/news/2021/story-1/")
        changed = Item(**(vars(story) | {"properties": story.properties | {"mainBody": "<p>Updated</p>"}}))
        items = [changed if i is story else i for i in plan.items]
        result = sync(running, Plan(items, plan.unmapped, plan.roots))
        assert result.written == ["/news/2021/story-1/"] and result.verified


def test_with_30_percent_faults_it_converges_without_a_duplicate(plan: Plan) -> None:
    cms = SandboxCMS(client_secret=SECRET, faults=Faults.mixed(0.3, stall_seconds=0.6, retry_after=1, seed=11))
    waits: list[float] = []
    with start(cms) as running:
        client = CmsClient(
            CmsCredentials(running.url, CLIENT_ID, SECRET),
            RetryPolicy(read_timeout=0.3, attempts=30, **FAST),
            sleep=waits.append,
        )
        result = publish(client, plan)
        faults = dict(cms.store.stats.faults)
        assert result.verified, result.mismatched
        assert faults.get("error") and faults.get("throttle") and faults.get("timeout"), faults
        assert client.stats.retries["429"] and client.stats.retries["timeout"] and client.stats.retries["500"]
        assert sum(1 for w in waits if w >= 1.0) >= client.stats.retries["429"]  # Retry-After honoured
        assert max(cms.paths().values()) == 1  # no path twice: a retried PUT wrote the same GUID again
        assert len(tree_of(cms)) == len(plan.items)
        cms.faults = Faults()
        assert sync(running, plan).written == []


def test_killed_half_way_a_second_run_reaches_the_same_tree(plan: Plan) -> None:
    reference = SandboxCMS(client_secret=SECRET)
    with start(reference) as running:
        sync(running, plan)
    expected = tree_of(reference)

    class Killed(Exception):
        pass

    def kill_after_ten(_item: Item, written: list[int] = [0]) -> None:  # noqa: B006 (a counter)
        written[0] += 1
        if written[0] == 10:
            raise Killed

    cms = SandboxCMS(client_secret=SECRET)
    with start(cms) as running:
        with pytest.raises(Killed):
            sync(running, plan, on_write=kill_after_ten)
        assert len(tree_of(cms)) == 10
        resumed = sync(running, plan)
        assert len(resumed.written) == len(plan.items) - 10 and resumed.unchanged == 10 and resumed.verified
        assert tree_of(cms) == expected and max(cms.paths().values()) == 1


def test_the_cms_going_away_mid_run_then_back_is_resumed(plan: Plan) -> None:
    cms = SandboxCMS(client_secret=SECRET)
    running = start(cms)
    written: list[str] = []

    def stop_after_twenty(item: Item) -> None:
        written.append(item.path)
        if len(written) == 20:
            running.stop()  # the CMS goes away (its tree stays, as a real CMS's database would)

    with pytest.raises(CmsError) as caught:
        sync(running, plan, on_write=stop_after_twenty)
    assert "connection error" in str(caught.value) and len(tree_of(cms)) == 20
    with start(cms) as back:
        resumed = sync(back, plan)
    assert resumed.unchanged == 20 and len(resumed.written) == len(plan.items) - 20 and resumed.verified
    assert max(cms.paths().values()) == 1


def test_a_token_expiring_mid_run_is_fetched_again(plan: Plan) -> None:
    cms = SandboxCMS(client_secret=SECRET)
    with start(cms) as running, client_for(running) as client:
        result = publish(client, plan, on_write=lambda item: item.path == "/advice/" and cms.tokens.expire_all())
        assert result.verified and client.tokens_fetched == 2 and cms.tokens.issued_count == 2


def test_a_token_is_renewed_before_it_expires() -> None:
    now = [0.0]
    cms = SandboxCMS(client_secret=SECRET, token_lifetime=100)
    with start(cms) as running:
        client = CmsClient(CmsCredentials(running.url, CLIENT_ID, SECRET), clock=lambda: now[0])
        assert client.get("1")["name"] == "Root"
        now[0] = 91.0  # within the last tenth of its life
        client.get("1")
        assert client.tokens_fetched == 2


def test_a_refusal_is_reported_for_the_item_and_its_descendants(plan: Plan) -> None:
    cms = SandboxCMS(client_secret=SECRET)
    with start(cms) as running, client_for(running) as client:
        without_news = Plan([i for i in plan.items if not i.path.startswith("/news/")], [], plan.roots)
        publish(client, without_news)
        start_page = client.get(plan.roots[0])
        # an editor made a page at /news/ by hand: our /news/ (another GUID) cannot take its URL segment
        client.create(
            {
                "name": "News (editor)",
                "contentType": ["SohStandardPage"],
                "routeSegment": "news",
                "parentLink": {"id": start_page["contentLink"]["id"]},
                "heading": {"value": "News"},
                "status": "Published",
            }
        )
        result = publish(client, plan)
        refused = {r.path: r.reason for r in result.refused}
        assert "409" in refused["/news/"] and "'news' is already used" in refused["/news/"]
        assert refused["/news/2021/story-1/"] == "its parent was refused"
        assert not result.mismatched and result.beyond == ["News (editor)"]


def test_without_the_management_scope_the_cms_forbids(plan: Plan) -> None:
    with (
        start(SandboxCMS(client_secret=SECRET)) as running,
        client_for(running, scope="epi_content_delivery") as client,
    ):
        with pytest.raises(CmsError) as caught:
            client.put(plan.items[0].guid, plan.items[0].body())
        assert caught.value.status == 403


@pytest.fixture
def echoing_server() -> Iterator[str]:
    """A server that answers every request 400 with what it was sent: as a misconfigured proxy would."""

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            sent = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(400)
            self.end_headers()
            self.wfile.write(b"bad request: " + sent)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_secret_never_shows(echoing_server: str) -> None:
    credentials = CmsCredentials(echoing_server, CLIENT_ID, SECRET)
    assert SECRET not in repr(credentials) and SECRET not in repr(CmsClient(credentials))
    with pytest.raises(CmsError) as caught:
        CmsClient(credentials).get("1")
    assert "bad request" in str(caught.value) and SECRET not in str(caught.value)
    with start(SandboxCMS(client_secret="the-right-one")) as running:
        with pytest.raises(CmsError) as caught:
            client_for(running).get("1")
        assert "invalid_client" in str(caught.value) and SECRET not in str(caught.value)
    with pytest.raises(CmsError) as caught:
        CmsCredentials("http://cms.example", CLIENT_ID, SECRET)
    assert "https" in str(caught.value) and SECRET not in str(caught.value)


def test_every_content_type_the_specs_name_has_a_cms_content_type() -> None:
    named = {
        rule["content_type"]
        for spec_file in sorted((ROOT / "onboarding_specs").glob("*.yaml"))
        for rule in (yaml.safe_load(spec_file.read_text(encoding="utf-8")).get("content_mapping") or {}).get(
            "rules", []
        )
    }
    assert named and named <= set(CONTENT_TYPES), sorted(named - set(CONTENT_TYPES))


def test_documents_and_images_go_in_with_their_bytes(plan: Plan) -> None:
    """Media items are PUT as multipart/form-data (the item's JSON and the file), so the CMS holds each
    document's and image's bytes, whose sha256 is the one assets.csv recorded."""
    cms = SandboxCMS(client_secret=SECRET)
    with start(cms) as running:
        assert sync(running, plan).verified
        media = [c for c in cms.tree if c.content_type in ("SohDocumentFile", "SohImageFile")]
        assert len(media) == 2
        for item in media:
            assert item.blob == item.properties["sohPath"].encode(), item.name  # make_migration's bytes
            assert hashlib.sha256(item.blob).hexdigest() == item.properties["sha256"]
        assert cms.store.stats.items_received["media bytes"] == sum(len(c.blob) for c in media)
        with client_for(running) as client:
            page = next(i for i in plan.items if i.kind == "page" and i.path == "/news/")
            with pytest.raises(CmsError) as refused:  # binary data for a page is refused, as the vendor's
                client.put_media(page.guid, page.body(), "x.pdf", b"%PDF", "application/pdf")
            assert refused.value.status == 400 and "media content type" in str(refused.value)
