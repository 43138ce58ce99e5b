"""Old URLs answered off the new site, through the real sandbox platform and the go-live check: a national
destination (asked once, its own redirects allowed), a web archive's pinned copy (never asked), and a 410
whose page offers the suggested page."""

from __future__ import annotations

import csv
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
import yaml

from conftest import DEMO
from sandbox.platform import SandboxPlatform, start
from soh_onboarding import provisioning
from soh_onboarding.golive import redirects
from soh_onboarding.provisioning.client import Credentials, PlatformClient

TOKEN = "off-site-test-token"
SPEC = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
LEGACY = "http://www.demoshire-police.example"
NEW = "https://demo.soh.localhost"


class Elsewhere:
    """A site that is not ours (a national destination, a web archive): counts what it is asked."""

    def __init__(self) -> None:
        self.asked: Counter[str] = Counter()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.asked[self.path] += 1
                if self.path == "/pu/your-area/":
                    time.sleep(0.3)  # slow enough that the two old URLs going here are checked at the same time
                    self.send_response(302)  # the destination's own redirect: its business
                    self.send_header("Location", "/pu/your-area/find/")
                elif self.path == "/pu/your-area/find/":
                    self.send_response(200)
                else:
                    self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Elsewhere:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def elsewhere() -> Iterator[tuple[Elsewhere, Elsewhere]]:
    with Elsewhere() as destination, Elsewhere() as archive:
        yield destination, archive


def migration(folder: Path, destination: str, archive: str) -> Path:
    """A finished migration's outputs with every kind of row off the site (as `finish` writes them)."""
    folder.mkdir(parents=True)
    pages = [("/news/a/", "Appeal for witnesses"), ("/advice/advice-and-information/burglary/", "Burglary")]
    with (folder / "content.jsonl").open("w", encoding="utf-8") as out:
        for path, title in pages:
            record = {"old_url": f"{LEGACY}{path}x.aspx", "new_path": path, "title": title, "summary": ""}
            out.write(json.dumps(record | {"body_html": f"<p>{title}</p>", "content_type": "page"}) + "\n")
    (folder / "assets.csv").write_text("old_url,new_path,sha256,content_type\n", encoding="utf-8")
    copy = f"{archive}/ukgwa/20240101000000/{LEGACY}/history.aspx"
    rows = [
        (f"{LEGACY}/news/a.aspx", f"{NEW}/news/a/", "redirect", "", "", ""),
        (f"{LEGACY}/neighbourhoods.aspx", f"{destination}/pu/your-area/", "redirect", "", "Police.uk", ""),
        (f"{LEGACY}/teams.aspx", f"{destination}/pu/your-area/", "redirect", "", "Police.uk", ""),
        (f"{LEGACY}/closed-service.aspx", f"{destination}/pu/retired/", "redirect", "", "Police.uk", ""),
        (f"{LEGACY}/history.aspx", "", "archive", copy, "", ""),
        (f"{LEGACY}/advice/burglary.aspx", "", "archive", "", "", f"{NEW}/advice/advice-and-information/burglary/"),
        (f"{LEGACY}/jobs/closed.aspx", "", "archive", "", "", ""),
    ]
    with (folder / "redirects.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["old_url", "new_url", "type", "archive_url", "source", "note", "destination", "suggested_url"])
        writer.writerows((old, new, kind, arch, "override", "", dest, sug) for old, new, kind, arch, dest, sug in rows)
    return folder


def test_the_platform_answers_off_site_and_the_go_live_check_asks_only_what_it_should(
    tmp_path: Path, elsewhere: tuple[Elsewhere, Elsewhere]
) -> None:
    destination, archive = elsewhere
    folder = migration(tmp_path / "migration", destination.url, archive.url)
    platform = SandboxPlatform(tmp_path / "p.sqlite3", token=TOKEN)
    with start(platform) as running, PlatformClient(Credentials(running.url, TOKEN)) as client:
        done = provisioning.provision(client, SPEC, folder, tmp_path / "out", progress=lambda _line: None)
        assert done.ok, done.verification.problems
        assert done.published["redirects"].created == 7
        again = provisioning.provision(client, SPEC, folder, tmp_path / "out", progress=lambda _line: None)
        assert again.ok and again.published["redirects"].sent == 0
        preview = done.preview_url.rstrip("/")

        def get(path: str) -> requests.Response:
            return requests.get(f"{preview}{path}", allow_redirects=False, timeout=10)

        assert get("/neighbourhoods.aspx").headers["Location"] == f"{destination.url}/pu/your-area/"
        assert get("/history.aspx").headers["Location"] == f"{archive.url}/ukgwa/20240101000000/{LEGACY}/history.aspx"
        offered = get("/advice/burglary.aspx")
        assert offered.status_code == 410
        assert f'<a href="{preview}/advice/advice-and-information/burglary/" rel="related">Burglary</a>' in offered.text
        plain = get("/jobs/closed.aspx")
        assert plain.status_code == 410 and "You may find" not in plain.text

        # The go-live check, with the preview standing in for the old and new domains.
        text = (folder / "redirects.csv").read_text(encoding="utf-8").replace(NEW, preview)
        text = re.sub(f"^{re.escape(LEGACY)}", preview, text, flags=re.MULTILINE)  # old URLs, not the archive's
        rows = redirects.read_map(text)
        rows.append(
            redirects.Row(f"{preview}/jobs/closed.aspx", "", "archive", suggested=f"{preview}/news/a/")
        )  # the map says its page offers /news/a/, the platform was not told: caught
        check, checked = redirects.check(rows, requests.Session(), timeout=10, concurrency=4)
    found = {row.old_url.removeprefix(preview): (row.findings, row.off_site) for row in checked}
    assert found == {
        "/news/a.aspx": ([], ""),
        "/neighbourhoods.aspx": ([], redirects.DESTINATION),
        "/teams.aspx": ([], redirects.DESTINATION),
        "/closed-service.aspx": (["redirect-target-not-200"], redirects.DESTINATION),
        "/history.aspx": ([], redirects.ARCHIVED_COPY),
        "/advice/burglary.aspx": ([], ""),
        "/jobs/closed.aspx": (["gone-page-without-suggestion"], ""),
    }
    # Two old URLs go to the destination's page: it was asked once. The archive was never asked.
    assert destination.asked["/pu/your-area/"] == 1 and destination.asked["/pu/retired/"] == 1
    assert archive.asked == Counter()
    assert check.evidence["off_site"] == {redirects.DESTINATION: 3, redirects.ARCHIVED_COPY: 1}
