"""The accessibility audit with its pool of browser contexts against one page at a time, in the same run.

Serves a site in a process of its own (by default a tenant of the sandbox platform with N published
pages, audited through its preview, as the DAG audits a force's new site; --legacy: the sandbox legacy
site with its faults off; --site: any sitemap), takes the first N pages of its sitemap, and audits them twice with every
engine: once one page at a time (concurrency 1, the baseline) and once with the pool (concurrency =
--concurrency, default the number of cores). Both sides share one Chromium (launched and warmed up
once, not timed) and take turns on batches of --batch pages (alternating which goes first), so a
change in the machine's load during the run falls on both sides alike. Prints pages per second for
both, the ratio pool / one-at-a-time (target: close to the number of cores, since the engines are
CPU-bound in Chromium), how many cores the machine kept busy during each side (from /proc/stat, so
Linux only), the ceiling that puts on the ratio (cores / the cores one page at a time already keeps
busy: Chromium's browser, renderer and GPU processes and Playwright's driver work at once) and the
machine's load average before and after.

    .venv/bin/python benchmarks/audit.py [--sizes 200] [--repeat 1] [--concurrency N] [--legacy | --site SITEMAP_URL]

The table goes to stdout, progress to stderr. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]

from soh_onboarding.accessibility import sitemap  # noqa: E402
from soh_onboarding.accessibility.audit import AuditOptions, audit_pages, launch  # noqa: E402


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, every core summed."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / TICK, sum(values) / TICK


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_legacy_site(pages: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "plugins"), str(ROOT)]))
    command = [sys.executable, "-m", "sandbox", "legacy-site", "--pages", str(max(pages, 50))]
    command += ["--port", str(port), "--no-faults", "--quiet"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "robots.txt", timeout=1).close()
            return process, url + "sitemap.xml"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the sandbox legacy site did not start")


def tenant_pages(count: int) -> dict[str, tuple[str, str]]:
    """N pages of a force's new site: news, advice and neighbourhood pages with headings, lists and links."""
    kinds = ("news/force", "advice/advice-and-information", "a/your-area/bench")
    pages = {}
    for i in range(count):
        kind = kinds[i % len(kinds)]
        related = "".join(
            f'<li><a href="/{kinds[(i + k) % len(kinds)]}/item-{(i + k) % count}/">Related story {(i + k) % count}</a></li>'
            for k in range(1, 6)
        )
        body = (
            f"<p>Officers in the Benchshire area responded to reports on day {i}. Anyone with information should "
            "call 101 or report online.</p><h2>What happened</h2>"
            + "".join(f"<p>Paragraph {p} of the story, with the details a resident needs.</p>" for p in range(4))
            + f"<h2>Related</h2><ul>{related}</ul>"
        )
        pages[f"/{kind}/item-{i}/"] = (f"Item {i}: an update from Benchshire Police", body)
    return pages


def start_platform_tenant(pages: int, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A sandbox platform in its own process, with one tenant holding `pages` published pages."""
    from sandbox.platform import SandboxPlatform
    from sandbox.platform.scenarios import configured_tenant

    data = folder / "platform.sqlite3"
    platform = SandboxPlatform(data, token="benchmark")
    configured_tenant(
        platform, "bench", ("www.bench-force.example",), display_name="Benchshire Police", pages=tenant_pages(pages)
    )
    platform.store.close()
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "plugins"), str(ROOT)]))
    env["SOH_SANDBOX_PLATFORM_TOKEN"] = "benchmark"
    command = [sys.executable, "-m", "sandbox", "platform", "--port", str(port)]
    command += ["--data", str(data), "--quiet"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/preview/bench/"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "sitemap.xml", timeout=1).close()
            return process, url + "sitemap.xml"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the sandbox platform did not start")


async def measure(urls: list[str], concurrency: int, batch: int) -> dict[str, float]:
    """Seconds each side spent on all the pages, taking turns batch by batch in one browser, and the
    machine's busy CPU seconds meanwhile ("<side> busy"): how many cores each side kept working."""
    from playwright.async_api import async_playwright

    totals = {"one": 0.0, "pool": 0.0, "one busy": 0.0, "pool busy": 0.0}
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            await audit_pages(browser, urls[:1], AuditOptions(concurrency=1))  # warm-up, not timed
            for turn, start in enumerate(range(0, len(urls), batch)):
                chunk = urls[start : start + batch]
                sides = [("one", 1), ("pool", concurrency)]
                for side, workers in sides if turn % 2 == 0 else reversed(sides):
                    began, busy = time.perf_counter(), machine_cpu()[0]
                    pages = await audit_pages(browser, chunk, AuditOptions(concurrency=workers))
                    totals[side] += time.perf_counter() - began
                    totals[f"{side} busy"] += machine_cpu()[0] - busy
                    failed = [(p.url, p.error) for p in pages if p.error]
                    if failed:
                        raise SystemExit(f"{len(failed)} page(s) failed: {failed[:3]}")
                log(
                    f"  pages {start + 1}-{start + len(chunk)}: one {totals['one']:.1f} s, pool {totals['pool']:.1f} s so far"
                )
        finally:
            await browser.close()
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200], help="pages to audit (default 200)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side per size (best kept)")
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2, help="the pool's size")
    parser.add_argument("--batch", type=int, default=20, help="pages per turn of each side (default 20)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--legacy", action="store_true", help="audit the sandbox legacy site instead of a tenant")
    where.add_argument("--site", help="a sitemap URL to audit instead of the sandbox tenant")
    args = parser.parse_args()

    rows = []
    loads: list[tuple[float, float]] = []
    for size in args.sizes:
        process = None
        folder = tempfile.TemporaryDirectory(prefix="soh-audit-bench-")
        if args.site:
            sitemap_url = args.site
        elif args.legacy:
            process, sitemap_url = start_legacy_site(size)
        else:
            process, sitemap_url = start_platform_tenant(size, Path(folder.name))
        log(f"N={size}: auditing {sitemap_url}")
        try:
            urls = sitemap.read_sitemap(sitemap_url)[:size]
            if len(urls) < size:
                raise SystemExit(f"{sitemap_url} lists {len(urls)} pages, fewer than {size}")
            best: dict[str, dict[str, float]] = {}
            for attempt in range(args.repeat):
                load = os.getloadavg()[0]
                totals = asyncio.run(measure(urls, args.concurrency, args.batch))
                loads.append((load, os.getloadavg()[0]))
                log(f"N={size} run {attempt + 1}: one {totals['one']:.1f} s, pool {totals['pool']:.1f} s")
                for side in ("one", "pool"):
                    if side not in best or totals[side] < best[side]["seconds"]:
                        best[side] = {"seconds": totals[side], "cores": totals[f"{side} busy"] / totals[side]}
            rows.append((size, best["one"], best["pool"]))
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
            folder.cleanup()

    print(
        f"Accessibility audit, {args.concurrency} contexts in the pool vs one page at a time ({os.cpu_count()} cores)"
    )
    cores = os.cpu_count() or 1
    print(
        f"{'N':>6} {'one s':>9} {'pool s':>9} {'one p/s':>9} {'pool p/s':>9} {'ratio':>7}"
        f" {'one cores':>10} {'pool cores':>11} {'ceiling':>8}"
    )
    for size, one, pool in rows:
        print(
            f"{size:>6} {one['seconds']:>9.1f} {pool['seconds']:>9.1f} {size / one['seconds']:>9.2f}"
            f" {size / pool['seconds']:>9.2f} {one['seconds'] / pool['seconds']:>7.2f}"
            f" {one['cores']:>10.2f} {pool['cores']:>11.2f} {cores / one['cores']:>8.2f}"
        )
    print(f"ratio = pool pages/s / one-at-a-time pages/s; target: close to {cores} (the number of cores)")
    print(
        "cores = the machine's busy CPU seconds / wall seconds while that side ran (every process, ours or not);"
        f" ceiling = {cores} / one-at-a-time cores: the most the pool can gain when one page at a time"
        " already keeps that many cores busy"
    )
    print("load average (1 min) before/after each run: " + ", ".join(f"{a:.1f}/{b:.1f}" for a, b in loads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
