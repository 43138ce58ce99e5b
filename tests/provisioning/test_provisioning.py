"""Provisioning against the sandbox platform, served for real: publish, verify, re-send only what changed,
converge under the fault mode without duplicates, and reach the same end state after being killed."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from conftest import DEMO, ROOT, airflow_env
from sandbox.platform import Faults, SandboxPlatform, start
from sandbox.platform.api import page_hash
from soh_onboarding import provisioning
from soh_onboarding.provisioning.client import Credentials, PlatformClient, PlatformError, RetryPolicy, content_hash

TOKEN = "provisioning-test-token-7f3a"
SPEC = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
QUIET = lambda _line: None  # noqa: E731
LEGACY = "http://legacy.example"


def make_migration(folder: Path, pages: int = 120, assets: int = 4) -> Path:
    """A finished migration's outputs, as `migrate --out` writes them (content.jsonl, assets, redirects)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "content.jsonl").open("w", encoding="utf-8") as out:
        for n in range(pages):
            record = {
                "old_url": f"{LEGACY}/news/story-{n}.aspx",
                "new_path": f"/news/demo/story-{n}/",
                "title": f"Story {n}: café £{n}",
                "summary": f"Summary {n}",
                "body_html": f"<p>Body of story {n}.</p>" + "<p>More text.</p>" * (n % 7),
                "content_type": "news",
                "published": f"2025-0{1 + n % 9}-1{n % 10}",
            }
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    rows = [["old_url", "new_path", "sha256", "content_type"]]
    for n in range(assets):
        data = f"%PDF-1.4 document {n}\n".encode()
        path = f"/media/documents/leaflet-{n}.pdf"
        (folder / "assets" / "media" / "documents").mkdir(parents=True, exist_ok=True)
        (folder / "assets" / path.lstrip("/")).write_bytes(data)
        rows.append([f"{LEGACY}/documents/leaflet-{n}.pdf", path, hashlib.sha256(data).hexdigest(), "application/pdf"])
    with (folder / "assets.csv").open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(rows)
    redirects = [["old_url", "new_url", "type"]]
    for n in range(pages):
        redirects.append(
            [f"{LEGACY}/news/story-{n}.aspx", f"https://demo.soh.localhost/news/demo/story-{n}/", "redirect"]
        )
        redirects.append(
            [f"http://localhost/news/story-{n}.aspx", f"https://demo.soh.localhost/news/demo/story-{n}/", "redirect"]
        )
    redirects.append([f"{LEGACY}/newsitem.aspx?id=3", "https://demo.soh.localhost/news/demo/story-3/", "redirect"])
    redirects.append([f"{LEGACY}/news/archive/2012/old.aspx", "", "archive"])
    redirects.append([f"{LEGACY}/missing.aspx", "", "unresolved"])
    redirects.append([f"{LEGACY}/", "https://demo.soh.localhost/", "redirect"])
    with (folder / "redirects.csv").open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(redirects)
    return folder


def client_for(running, **policy) -> PlatformClient:
    return PlatformClient(Credentials(running.url, TOKEN), RetryPolicy(**policy) if policy else None)


def test_the_client_and_the_platform_agree_on_the_content_hash() -> None:
    page = {"path": "/a/", "title": "Café", "body_html": "<p>£1 “quoted”</p>", "published": None}
    assert content_hash(page) == page_hash(page)
    assert content_hash(page) != content_hash(page | {"summary": "x"})


def test_publish_verify_and_a_second_run_sends_nothing(tmp_path: Path) -> None:
    migration = make_migration(tmp_path / "migration")
    platform = SandboxPlatform(tmp_path / "p.sqlite3", token=TOKEN)
    with start(platform) as running, client_for(running) as client:
        first = provisioning.provision(client, SPEC, migration, tmp_path / "out", progress=QUIET)
        assert first.ok, first.verification.problems
        assert first.published["pages"].created == 120 and first.published["pages"].batches == 1
        assert first.published["assets"].created == 4
        # 120 stories (two host names: one path), ?id=3, one archived; the unresolved and the home page are not
        assert first.published["redirects"].created == 122
        assert first.preview_url == f"{running.url}/preview/demo/"
        assert platform.store.max_revisions("demo") == {"pages": 1, "assets": 1, "redirects": 1}
        tenant = client.get_tenant("demo")
        # the primary domain first, then the legacy site's old domains, which the platform redirects from
        assert tenant["domains"] == ["demo.soh.localhost", *SPEC["go_live"]["old_domains"]]
        assert tenant["branding"]["primary_colour"] == "#00305e"
        assert tenant["services"] == SPEC["tenant"]["services"]

        story = requests.get(f"{first.preview_url}news/demo/story-5/", timeout=10)
        assert story.status_code == 200 and "<h1>Story 5: café £5</h1>" in story.text
        moved = requests.get(f"{first.preview_url}newsitem.aspx?id=3", allow_redirects=False, timeout=10)
        assert moved.headers["Location"] == f"{first.preview_url}news/demo/story-3/"
        assert requests.get(f"{first.preview_url}news/archive/2012/old.aspx", timeout=10).status_code == 410
        pdf = requests.get(f"{first.preview_url}media/documents/leaflet-2.pdf", timeout=10)
        assert pdf.content == b"%PDF-1.4 document 2\n" and pdf.headers["Content-Type"] == "application/pdf"

        received = dict(platform.store.stats.items_received)
        again = provisioning.provision(client, SPEC, migration, tmp_path / "out", progress=QUIET)
        assert again.ok and all(done.sent == 0 for done in again.published.values())
        assert dict(platform.store.stats.items_received) == received
    report = (tmp_path / "out" / "provisioning-report.html").read_text(encoding="utf-8")
    assert "Provisioning: Demoshire Police" in report and first.preview_url in report


def test_one_changed_page_sends_one_page(tmp_path: Path) -> None:
    migration = make_migration(tmp_path / "migration")
    platform = SandboxPlatform(token=TOKEN)
    with start(platform) as running, client_for(running) as client:
        provisioning.provision(client, SPEC, migration, tmp_path / "out", progress=QUIET)
        lines = (migration / "content.jsonl").read_text(encoding="utf-8").splitlines()
        record = json.loads(lines[17])
        record["body_html"] += "<p>Updated: the man was released.</p>"
        lines[17] = json.dumps(record, ensure_ascii=False, sort_keys=True)
        (migration / "content.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        before = platform.store.stats.items_received["pages"]
        second = provisioning.provision(client, SPEC, migration, tmp_path / "out", progress=QUIET)
        assert second.ok
        assert second.published["pages"].sent == 1 and second.published["pages"].updated == 1
        assert platform.store.stats.items_received["pages"] - before == 1
        assert second.published["assets"].sent == 0 and second.published["redirects"].sent == 0
        assert platform.store.page("demo", record["new_path"])["revision"] == 2


def test_with_30_percent_faults_provisioning_converges_without_duplicates(tmp_path: Path) -> None:
    migration = make_migration(tmp_path / "migration", pages=150)
    platform = SandboxPlatform(token=TOKEN, faults=Faults.mixed(0.3, stall_seconds=0.8, retry_after=1, seed=7))
    policy = {"read_timeout": 0.4, "backoff_seconds": 0.05, "backoff_max_seconds": 0.5, "attempts": 40}
    with start(platform) as running, client_for(running, **policy) as client:
        tenant_id = SPEC["tenant"]["tenant_id"]
        provisioning.ensure_tenant(client, SPEC)
        provisioning.enable_services(client, SPEC)
        published = provisioning.publish(client, tenant_id, migration, batch_size=10, progress=QUIET)
        checked = provisioning.verify(client, tenant_id, migration)
        faults = dict(platform.store.stats.faults)
        assert checked.ok, checked.problems
        assert checked.counts == {"pages": 150, "assets": 4, "redirects": 152}
        assert published["pages"].batches >= 15
        # the faults happened, and were retried: 500s, 429s (after Retry-After) and lost answers
        assert faults.get("error") and faults.get("throttle") and faults.get("timeout"), faults
        assert client.stats.retries["429"] and client.stats.retries["timeout"] and client.stats.retries["500"]
        assert client.stats.waited_seconds >= client.stats.retries["429"] * 1.0  # Retry-After: 1 honoured
        # every item written once: no duplicate tenant, page, asset or redirect, no page written twice
        assert platform.store.tenant_ids() == ["demo"]
        assert platform.store.max_revisions("demo") == {"pages": 1, "assets": 1, "redirects": 1}
        assert platform.store.stats.idempotent_replays >= 1  # a timed-out batch, retried, was not re-applied
        platform.faults = Faults()
        assert provisioning.verify(client, tenant_id, migration).ok


def _provision_command(spec_file: Path, run_dir: Path, url: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "soh_onboarding", "provision", str(spec_file), "--from", str(run_dir), *extra]


def _env(url: str) -> dict[str, str]:
    return airflow_env(SOH_PLATFORM_URL=url, SOH_PLATFORM_TOKEN=TOKEN)


def test_killed_half_way_a_rerun_reaches_the_same_end_state(tmp_path: Path) -> None:
    migration = make_migration(tmp_path / "run" / "migration", pages=400)
    spec_file = tmp_path / "demo.yaml"
    spec_file.write_bytes(DEMO.read_bytes())
    reference = SandboxPlatform(token=TOKEN)
    with start(reference) as running, client_for(running) as client:
        provisioning.ensure_tenant(client, SPEC)
        provisioning.enable_services(client, SPEC)
        provisioning.publish(client, "demo", migration, batch_size=20, progress=QUIET)
        expected = reference.store.summary("demo")

    platform = SandboxPlatform(tmp_path / "p.sqlite3", token=TOKEN, faults=Faults(slow_rate=1.0, slow_seconds=0.15))
    with start(platform) as running:
        command = _provision_command(spec_file, tmp_path / "run", running.url)
        process = subprocess.Popen(
            command, cwd=ROOT, env=_env(running.url), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        deadline = time.monotonic() + 120
        while platform.store.stats.items_received["pages"] < 120 and time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        half = platform.store.summary("demo")["pages"]["count"]
        assert 0 < half < 400  # killed half-way through publishing the pages
        platform.faults = Faults()
        rerun = subprocess.run([*command, "--json"], cwd=ROOT, env=_env(running.url), capture_output=True, text=True)
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        result = json.loads(rerun.stdout)
        assert result["ok"] and result["published"]["pages"]["on_platform_before"] == half
        assert result["published"]["pages"]["sent"] == 400 - half
        assert platform.store.summary("demo") == expected
        assert platform.store.max_revisions("demo") == {"pages": 1, "assets": 1, "redirects": 1}
        assert TOKEN not in rerun.stdout + rerun.stderr
    written = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "run" / "provisioning").iterdir())
    assert TOKEN not in written and "preview" in written


def test_the_token_never_shows(tmp_path: Path) -> None:
    credentials = Credentials("http://127.0.0.1:1", TOKEN)
    assert TOKEN not in repr(credentials) and TOKEN not in repr(PlatformClient(credentials))
    refused = PlatformClient(credentials, RetryPolicy(attempts=2, backoff_seconds=0.01, connect_timeout=0.5))
    with pytest.raises(PlatformError) as caught:
        refused.health()
    assert "gave up after 2 attempts (last: connection error)" in str(caught.value) and TOKEN not in str(caught.value)


def test_a_retry_after_is_waited_for() -> None:
    waits: list[float] = []
    platform = SandboxPlatform(token=TOKEN, faults=Faults(throttle_rate=1.0, retry_after=3))
    with start(platform) as running:
        client = PlatformClient(
            Credentials(running.url, TOKEN), RetryPolicy(attempts=3, backoff_seconds=0.01), sleep=waits.append
        )
        with pytest.raises(PlatformError, match=r"gave up after 3 attempts \(last: 429\)"):
            client.put_tenant("demo", "Demoshire Police")
    assert waits == [3.0, 3.0]


def test_refusals_are_explained(tmp_path: Path) -> None:
    platform = SandboxPlatform(token=TOKEN)
    with start(platform) as running, client_for(running) as client:
        client.put_tenant("other", "Other Police")
        client.put_domains("other", ["demo.soh.localhost"])
        with pytest.raises(PlatformError, match=r"409 the domain 'demo\.soh\.localhost' belongs to another tenant"):
            provisioning.ensure_tenant(client, SPEC)
        wrong = PlatformClient(Credentials(running.url, "not-the-token"))
        with pytest.raises(PlatformError, match="401"):
            wrong.get_tenant("demo")


def test_the_cli_explains_bad_input(tmp_path: Path) -> None:
    spec_file = tmp_path / "demo.yaml"
    spec_file.write_bytes(DEMO.read_bytes())
    empty = tmp_path / "empty"
    empty.mkdir()
    env = airflow_env()
    env.pop("SOH_PLATFORM_URL", None)
    env.pop("SOH_PLATFORM_TOKEN", None)

    def run(*args: str, environment: dict[str, str] = env) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "soh_onboarding", "provision", *args]
        return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)

    no_migration = run(str(spec_file), "--from", str(empty))
    assert no_migration.returncode == 1 and "no finished migration in" in no_migration.stderr
    make_migration(tmp_path / "run")
    no_token = run(str(spec_file), "--from", str(tmp_path / "run"))
    assert no_token.returncode == 2 and "set SOH_PLATFORM_URL and SOH_PLATFORM_TOKEN" in no_token.stderr

    def provision_to(url: str) -> subprocess.CompletedProcess[str]:
        platform = {"SOH_PLATFORM_URL": url, "SOH_PLATFORM_TOKEN": TOKEN}
        return run(str(spec_file), "--from", str(tmp_path / "run"), environment=env | platform)

    unreachable = provision_to("ftp://x")
    assert unreachable.returncode == 2 and "must start with http:// or https://" in unreachable.stderr
    cleartext = provision_to("http://platform.soh.example")
    assert cleartext.returncode == 2 and "Use https://platform.soh.example" in cleartext.stderr
    assert TOKEN not in cleartext.stdout + cleartext.stderr
    assert "Traceback" not in no_migration.stderr + no_token.stderr + unreachable.stderr + cleartext.stderr


def test_with_an_edge_the_platform_holds_only_the_redirects_the_edge_cannot(tmp_path: Path) -> None:
    """The old domains' Bulk Redirects answer at the edge (edge/model.split); the platform gets what the
    edge answers by zone rules, as far as the plan's rule budget goes: 410 Gone and old URLs with a query
    string (its copy answers what the budget leaves over). Verify agrees; what the platform held from before
    the edge is reported as no longer the migration's (--prune removes it)."""
    migration = make_migration(tmp_path / "migration")
    platform = SandboxPlatform(tmp_path / "p.sqlite3", token=TOKEN)
    old = tuple(SPEC["go_live"]["old_domains"])
    with start(platform) as running, client_for(running) as client:
        provisioning.ensure_tenant(client, SPEC)
        published = provisioning.publish(client, "demo", migration, edge_hosts=old, progress=QUIET)
        assert published["redirects"].created == 2  # ?id=3 and the archived page; the 120 stories are the edge's
        held = {item["from_path"] for item in client.listing("demo", "redirects")}
        assert held == {"/newsitem.aspx?id=3", "/news/archive/2012/old.aspx"}
        assert provisioning.verify(client, "demo", migration, old).ok
        assert not provisioning.verify(client, "demo", migration).ok, "without the edge, 120 would be missing"
        everything = provisioning.publish(client, "demo", migration, progress=QUIET)  # the edge given up
        assert everything["redirects"].created == 120
        back = provisioning.publish(client, "demo", migration, edge_hosts=old, progress=QUIET)
        assert back["redirects"].not_in_migration == 120 and back["redirects"].sent == 0  # left there, and said


def test_the_cli_provisions_into_optimizely_when_the_environment_says_so(tmp_path: Path) -> None:
    """SOH_ENVIRONMENT=local-vendors: the pages and documents go to the CMS (each once; a second run writes
    nothing), the platform keeps the tenant and the redirects; --prune and a missing CMS are refused, said."""
    from sandbox.cms import SandboxCMS
    from sandbox.cms import start as start_cms

    make_migration(tmp_path / "run" / "migration", pages=30)
    spec_file = tmp_path / "demo.yaml"
    spec_file.write_bytes(DEMO.read_bytes())
    platform, cms = SandboxPlatform(token=TOKEN), SandboxCMS("soh-onboarding", "cli-cms-secret")
    with start(platform) as running, start_cms(cms) as cms_running:
        vendors = {"SOH_ENVIRONMENT": "local-vendors", "SOH_CMS_URL": cms_running.url}
        vendors |= {"SOH_CMS_CLIENT_ID": "soh-onboarding", "SOH_CMS_CLIENT_SECRET": "cli-cms-secret"}
        command = _provision_command(spec_file, tmp_path / "run", running.url, "--json")
        run = lambda env: subprocess.run(  # noqa: E731
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
        )
        first = run(_env(running.url) | vendors)
        assert first.returncode == 0, first.stderr[-2000:]
        result = json.loads(first.stdout)
        assert result["ok"] and result["content_in"] == "Optimizely CMS"
        assert result["published"]["pages"]["created"] == result["published"]["pages"]["local"] > 30  # + containers
        assert result["verification"]["counts"]["pages"] == 31  # the 30 stories and the start page
        assert result["verification"]["counts"]["assets"] == 4
        assert platform.store.all_paths("pages", "demo") == [] and platform.store.tenant("demo")
        assert max(cms.paths().values()) == 1  # each item once
        second = run(_env(running.url) | vendors)
        assert second.returncode == 0 and "CMS: 0 written" in second.stderr
        assert json.loads(second.stdout)["published"]["pages"]["sent"] == 0
        pruned = subprocess.run(
            [*command, "--prune"], cwd=ROOT, env=_env(running.url) | vendors, capture_output=True, text=True
        )
        assert pruned.returncode == 2 and "never deletes" in pruned.stderr
        no_cms = run(_env(running.url) | {"SOH_ENVIRONMENT": "local-vendors"})
        assert no_cms.returncode == 2 and "SOH_CMS_URL" in no_cms.stderr and "Traceback" not in no_cms.stderr
        assert "cli-cms-secret" not in first.stdout + first.stderr + second.stderr
