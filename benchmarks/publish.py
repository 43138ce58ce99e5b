"""Publishing pages to the platform: batched (what provisioning does) against one request per page.

Both publish the same N synthetic migrated pages (about 3 KB of HTML each) to the sandbox platform, run
as its own process (`python -m sandbox platform`, SQLite on disk), each side to a fresh
tenant, through the same client (requests Session, keep-alive). Batched is `provisioning.publish` (pages only):
it reads back what the tenant holds, hashes every page and sends the missing ones in batches of 250. The
baseline sends each page in its own batch request. Both end states are checked to be identical.

    .venv/bin/python benchmarks/publish.py [--sizes 10000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

import requests  # noqa: E402

from soh_onboarding import provisioning  # noqa: E402
from soh_onboarding.provisioning.client import Credentials, PlatformClient  # noqa: E402

PARAGRAPH = (
    "<p>Officers in Demoshire are appealing for witnesses after an incident on the high street. Anyone with "
    "information, dashcam or doorbell footage is asked to contact the force quoting the reference number.</p>"
)


def write_pages(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "content.jsonl").open("w", encoding="utf-8") as out:
        for n in range(count):
            record = {
                "old_url": f"http://legacy.example/news/story-{n}.aspx",
                "new_path": f"/news/demo/news/demoshire/story-{n}/",
                "title": f"Appeal for witnesses after incident {n}",
                "summary": "Officers are appealing for witnesses.",
                "body_html": f"<h2>Incident {n}</h2>" + PARAGRAPH * 12,
                "content_type": "news",
                "published": "2026-02-01",
            }
            out.write(json.dumps(record, sort_keys=True) + "\n")
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sandbox(kind: str, token_env: str, token: str, ready: str, *args: str) -> tuple[subprocess.Popen, str]:
    """`python -m sandbox KIND` as its own process on a free port, its secret in `token_env`, once `ready`
    (a path) answers."""
    port = free_port()
    env = dict(os.environ, **{token_env: token})
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "plugins"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    command = [sys.executable, "-m", "sandbox", kind, "--port", str(port), "--quiet", *args]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}{ready}", timeout=2).raise_for_status()
            return process, url
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the sandbox {kind} did not start")


def start_platform(data: Path, token: str) -> tuple[subprocess.Popen, str]:
    return start_sandbox("platform", "SOH_SANDBOX_PLATFORM_TOKEN", token, "/api/v1/health", "--data", str(data))


def batched(client: PlatformClient, tenant: str, folder: Path) -> float:
    started = time.perf_counter()
    result = provisioning.publish(client, tenant, folder, kinds=("pages",), progress=lambda _line: None)["pages"]
    elapsed = time.perf_counter() - started
    assert result.created == result.local, result
    return elapsed


def one_per_page(client: PlatformClient, tenant: str, folder: Path) -> float:
    started = time.perf_counter()
    for page in provisioning.read_pages(folder):
        client.publish(tenant, "pages", [page])
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="comma-separated page counts (default 10000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the median is shown")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    token = secrets.token_urlsafe(16)
    rows = []
    with tempfile.TemporaryDirectory(prefix="soh-publish-") as tmp:
        process, url = start_platform(Path(tmp) / "platform.sqlite3", token)
        try:
            with PlatformClient(Credentials(url, token)) as client:
                for size in sizes:
                    folder = write_pages(Path(tmp) / f"pages-{size}", size)
                    times: dict[str, list[float]] = {"batched": [], "single": []}
                    calls: dict[str, int] = {}
                    for run in range(args.repeat):
                        order = ("batched", "single") if run % 2 == 0 else ("single", "batched")
                        for side in order:
                            tenant = f"bench-{side}-{size}-{run}"
                            client.put_tenant(tenant, "Benchmark Police")
                            before = client.stats.calls["POST"]
                            work = batched if side == "batched" else one_per_page
                            times[side].append(work(client, tenant, folder))
                            calls[side] = client.stats.calls["POST"] - before
                            print(f"{size} pages, {side}: {times[side][-1]:.1f} s", file=sys.stderr, flush=True)
                        a, b = (client.summary(f"bench-{side}-{size}-{run}")["pages"] for side in ("batched", "single"))
                        assert a == b and a["count"] == size, (a, b)  # the same end state
                    rows.append((size, statistics.median(times["batched"]), statistics.median(times["single"]), calls))
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(
        f"Publishing pages to the sandbox platform: batched (provisioning) vs one request per page; median of {args.repeat}"
    )
    print(
        f"{'N':>7} {'batched s':>10} {'pages/s':>9} {'single s':>10} {'pages/s':>9} {'ratio':>7} {'requests':>9} {'requests':>9}"
    )
    for size, fast, slow, calls in rows:
        print(
            f"{size:>7} {fast:>10.2f} {size / fast:>9.0f} {slow:>10.2f} {size / slow:>9.0f} {slow / fast:>7.1f} "
            f"{calls['batched']:>9} {calls['single']:>9}"
        )
    print("ratio: pages per second batched / one request per page (higher is better)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
