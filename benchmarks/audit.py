"""The accessibility audit with its pool of browser contexts against one page at a time, in the same run.

Serves a site in a process of its own (by default a tenant of the sandbox platform with N published
pages, audited through its preview, as the DAG audits a force's new site; --legacy: the sandbox legacy
site with its faults off; --site: any sitemap), takes the first N pages of its sitemap, and audits them twice with every
engine: once one page at a time (concurrency 1, the baseline) and once with the pool (concurrency =
--concurrency, default the number of cores). Both sides share one Chromium (launched and warmed up
once, not timed) and take turns on batches of --batch pages (alternating which goes first), so a
change in the machine's load during the run falls on both sides alike. Prints pages per second for
both, the ratio pool / one-at-a-time (information since 2026-12-07, no longer a target: the engines
are CPU-bound in Chromium, but one page at a time already keeps more than one core busy), how many cores the machine kept busy during each side (from /proc/stat, so
Linux only), the ceiling that puts on the ratio (cores / the cores one page at a time already keeps
busy: Chromium's browser, renderer and GPU processes and Playwright's driver work at once) and the
machine's load average before and after.

Then, on the same pages, **against pa11y-ci** (npm, a bench dependency in node/package.json, run with
Debian's Chromium and its axe runner), the tool a team would pick instead: our audit with its default pool
(every engine and the keyboard probe) against pa11y-ci at its default concurrency (1) and at concurrency
= cores, the three sides taking turns batch by batch (the order rotating every batch). Every side runs in
a process of its own per batch, which launches its own Chromium, audits the batch and exits: our side is
`audit.audit()` (what the DAG's task calls) in a fresh Python, pa11y-ci is `node pa11y-ci.js --config
... --json`. Both sides thus pay their start-up (Python imports or node, the browser launch) once per
batch.

How the CPU of each side is measured: this script makes itself a child subreaper
(prctl(PR_SET_CHILD_SUBREAPER)), so a process of the side's tree whose parent exits first (Chromium's
zygote and renderers when the browser goes, say) is re-parented to us instead of to init; after the
side's process exits, the script waits for every such orphan too. Every process of the tree has then
been reaped by its parent or by us, and getrusage(RUSAGE_CHILDREN) counts the CPU of every reaped
descendant (a parent's own children's CPU is added to its figure when it is reaped), so the delta of
RUSAGE_CHILDREN around a side's run is the CPU of its whole tree: Python or node, Playwright's driver or
Puppeteer, Chromium's browser, renderers, GPU and utility processes. As a check that Chromium's
processes really are in that figure, a thread samples /proc/<pid>/stat of every process in the side's
tree every 0.2 s (a lower bound: it misses a process's last moments); the run stops with an error if
the rusage figure is below what the sampler saw.

The script checks that both sides audited every page: pa11y-ci's JSON must list each URL once with its
axe issues and no error, our audit must report no page error, all three engines must have reported on
the pages and the keyboard probe be among its engines. Every BARRIER_EVERY-th tenant page has a form
field without a label, and every such page must be flagged by both sides (pa11y-ci's "error" issues, our
violations), so a side that loaded nothing or ran no engine cannot look fast.

    .venv/bin/python benchmarks/audit.py [--sizes 200] [--repeat 1] [--concurrency N] [--legacy | --site SITEMAP_URL]
    .venv/bin/python benchmarks/audit.py --sizes 3 --no-pool-ratio   # only the comparison with pa11y-ci

The tables go to stdout, progress to stderr. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]

from soh_onboarding.accessibility import engines, sitemap  # noqa: E402
from soh_onboarding.accessibility.audit import (  # noqa: E402
    CHROMIUM,
    OMNIBOX_WEBUI_FEATURES,
    AuditOptions,
    audit,
    audit_pages,
    launch,
)

PA11Y_CI = "pa11y-ci/bin/pa11y-ci.js"
"""pa11y-ci's command, under the engines' node_modules (node/package.json's devDependencies, bin/setup)."""
PA11Y_CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-features=" + ",".join(OMNIBOX_WEBUI_FEATURES)]
"""Debian's Chromium as root needs --no-sandbox; without a GPU, --disable-gpu. pa11y-ci gets the same cure
for headless Chromium's omnibox popup renderer as our audit (Puppeteer merges --disable-features with its
own list), so neither side pays for browser UI no page sees."""


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


BARRIER = '<form action="/search/"><input type="text" name="q"><button type="submit">Search</button></form>'
"""A text field with no label (WCAG 1.3.1, 4.1.2; axe's `label` rule, critical), in every BARRIER_EVERY-th
tenant page from item 2 on (`/a/your-area/bench/item-2/` is the sitemap's third URL, so even a 3-page run
has one): pa11y-ci and our audit must both flag those pages."""
BARRIER_EVERY = 10


def tenant_pages(count: int) -> dict[str, tuple[str, str]]:
    """N pages of a force's new site: news, advice and neighbourhood pages with headings, lists and links;
    every BARRIER_EVERY-th page also has a search field without a label."""
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
            + (BARRIER if i % BARRIER_EVERY == 2 else "")
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


class TreeSampler(threading.Thread):
    """Samples the CPU seconds of every process descended from `root` (from /proc/<pid>/stat) every 0.2 s
    and keeps each one's last value: a lower bound of the tree's CPU, to check the rusage figure by."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.seen, self.done = root, {}, threading.Event()

    def run(self) -> None:
        tree = {self.root}
        while not self.done.is_set():
            for pid, (parent, cpu) in _processes().items():
                if parent in tree or pid in tree:
                    tree.add(pid)
                    self.seen[pid] = cpu
            self.done.wait(0.2)

    def stop(self) -> float:
        self.done.set()
        self.join()
        return sum(self.seen.values())


def _processes() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, own CPU seconds so far) of every process we may read."""
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2 :].split()
            found[int(name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK)
    return found


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def become_subreaper() -> None:
    """Orphans of our children's trees come to us (not init), so their CPU reaches RUSAGE_CHILDREN."""
    if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        raise SystemExit(f"prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}")


def reap_orphans(keep: set[int], timeout: float = 30.0) -> None:
    """Wait for every child of ours but those in `keep` (the site's server): the orphans a side left."""
    deadline = time.monotonic() + timeout
    while orphans := [pid for pid, (parent, _) in _processes().items() if parent == os.getpid() and pid not in keep]:
        for pid in orphans:
            if time.monotonic() > deadline:
                os.kill(pid, 9)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)


def run_side(
    command: list[str], keep: set[int], timeout: float
) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run one side's process to its end; (the process, wall seconds, CPU seconds of its whole tree)."""
    began, cpu = time.perf_counter(), children_cpu()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid)
    sampler.start()
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise SystemExit(f"{command[:3]} took over {timeout:.0f} s") from None
    reap_orphans(keep)
    wall, used, sampled = time.perf_counter() - began, children_cpu() - cpu, sampler.stop()
    if used < sampled * 0.98:
        raise SystemExit(f"rusage counted {used:.2f} CPU s but the sampler saw {sampled:.2f}: a process escaped it")
    log(f"    {Path(command[1]).name}: {wall:.1f} s, {used:.2f} CPU s (the /proc sampler saw {sampled:.2f})")
    return subprocess.CompletedProcess(command, process.returncode, out, err), wall, used


def pa11y_ci_path() -> Path | None:
    path = engines.engines_dir() / PA11Y_CI
    return path if path.is_file() and shutil.which("node") else None


def pa11y_side(urls: list[str], concurrency: int, folder: Path, keep: set[int]) -> tuple[float, float, set[str]]:
    """pa11y-ci on the pages with its axe runner: (wall s, CPU s, the URLs it flagged with an error).
    Stops with the reason unless its JSON lists every page, once, with no page error."""
    config = folder / f"pa11y-ci-{concurrency}.json"
    launch_config = {"executablePath": CHROMIUM, "args": PA11Y_CHROMIUM_ARGS}
    defaults = {"runners": ["axe"], "concurrency": concurrency, "timeout": 60000, "chromeLaunchConfig": launch_config}
    # Each URL as an object: with plain strings, pa11y-ci 4.1.1's concurrent runs share one config object,
    # and a run closes another's browser context ("Target.closeTarget: No target with given id found" at
    # concurrency 2; pa11y-ci issue #354). An object gets a config of its own, incognito context and all.
    config.write_text(json.dumps({"defaults": defaults, "urls": [{"url": url} for url in urls]}))
    done, wall, cpu = run_side(
        ["node", str(pa11y_ci_path()), "--config", str(config), "--json"], keep, 60.0 * len(urls)
    )
    if done.returncode not in (0, 2):  # 2: some page has issues
        raise SystemExit(f"pa11y-ci exited {done.returncode}: {done.stderr[-2000:] or done.stdout[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    results = report.get("results", {})
    if report.get("total") != len(urls) or sorted(results) != sorted(urls):
        raise SystemExit(f"pa11y-ci audited {report.get('total')} pages ({len(results)} results) of {len(urls)}")
    failed = {url: issues for url, issues in results.items() if any("runner" not in issue for issue in issues)}
    if failed:
        raise SystemExit(f"pa11y-ci could not audit {len(failed)} page(s): {list(failed.items())[:2]}")
    return wall, cpu, {url for url, issues in results.items() if any(i.get("type") == "error" for i in issues)}


def ours_side(urls: list[str], concurrency: int, folder: Path, keep: set[int]) -> tuple[float, float, set[str]]:
    """Our audit in a fresh Python (--ours-worker): (wall s, CPU s, the URLs with a violation)."""
    batch, out = folder / "ours-urls.json", folder / "ours-result.json"
    batch.write_text(json.dumps(urls))
    command = [sys.executable, str(Path(__file__).resolve()), "--ours-worker", str(batch), str(out)]
    done, wall, cpu = run_side([*command, "--concurrency", str(concurrency)], keep, 60.0 * len(urls))
    if done.returncode != 0:
        raise SystemExit(f"our audit's process exited {done.returncode}: {done.stderr[-2000:]}")
    result = json.loads(out.read_text())
    if result["errors"]:
        raise SystemExit(f"our audit could not audit {len(result['errors'])} page(s): {result['errors'][:2]}")
    missing = [e for e in engines.ENGINES if e != "keyboard" and not result["engine_pages"].get(e)]
    if result["pages"] != len(urls) or missing or "keyboard" not in result["engines"]:
        raise SystemExit(
            f"our audit: {result['pages']} pages of {len(urls)}, engines {result['engines']}, none from {missing}"
        )
    return wall, cpu, set(result["flagged"])


def ours_worker(urls_file: str, out_file: str, concurrency: int) -> int:
    """One batch of our side: the library's audit() as the DAG's task runs it, every engine."""
    urls = json.loads(Path(urls_file).read_text())
    options = AuditOptions(concurrency=concurrency)
    result = audit(urls, options)
    engine_pages = {e: sum(1 for p in result.pages if any(r.engine == e for r in p.results)) for e in options.engines}
    summary = {
        "pages": len(result.audited),
        "errors": result.errors,
        "engines": list(options.engines),
        "engine_pages": engine_pages,
        "flagged": [p.url for p in result.pages if p.violations],
    }
    Path(out_file).write_text(json.dumps(summary))
    return 0


def against_pa11y(
    urls: list[str], barriers: list[str], concurrency: int, batch: int, keep: set[int]
) -> dict[str, dict[str, float]]:
    """Our audit (pool of `concurrency`) and pa11y-ci at concurrency 1 (its default) and `concurrency`, in
    turns of `batch` pages, the order rotating every batch: wall and CPU seconds per side, pages flagged.
    Every URL in `barriers` (the tenant's pages with an unlabelled field) must be flagged by every side."""
    sides = [f"ours/pool={concurrency}"] + [f"pa11y-ci/c={c}" for c in dict.fromkeys((1, concurrency))]
    totals = {side: {"seconds": 0.0, "cpu": 0.0, "flagged": 0.0} for side in sides}
    become_subreaper()
    with tempfile.TemporaryDirectory(prefix="soh-audit-pa11y-") as folder:
        for turn, start in enumerate(range(0, len(urls), batch)):
            chunk = urls[start : start + batch]
            for side in sides[turn % len(sides) :] + sides[: turn % len(sides)]:
                if side.startswith("ours"):
                    wall, cpu, flagged = ours_side(chunk, concurrency, Path(folder), keep)
                else:
                    wall, cpu, flagged = pa11y_side(chunk, int(side.split("=")[1]), Path(folder), keep)
                if unflagged := [u for u in barriers if u in chunk and u not in flagged]:
                    raise SystemExit(f"{side} did not flag the unlabelled field of {unflagged[:3]}")
                totals[side]["seconds"] += wall
                totals[side]["cpu"] += cpu
                totals[side]["flagged"] += len(flagged)
            log(
                f"  pages {start + 1}-{start + len(chunk)}: "
                + ", ".join(f"{side} {t['seconds']:.1f} s" for side, t in totals.items())
            )
    return totals


def barrier_pages(urls: list[str], size: int) -> list[str]:
    """The audited tenant pages that hold BARRIER (items 2, 12, 22, ... of tenant_pages)."""
    marked = {f"/item-{i}/" for i in range(2, size, BARRIER_EVERY)}
    return [u for u in urls if any(u.endswith(m) for m in marked)]


def print_against_pa11y(versus: list[tuple[int, dict[str, dict[str, float]]]], concurrency: int, cores: int) -> None:
    print(
        f"Our audit (axe-core, IBM Equal Access, HTML_CodeSniffer, keyboard probe; pool of {concurrency}) against"
        f" pa11y-ci (axe runner) on the same pages ({cores} cores)"
    )
    print(f"{'side':<18} {'N':>5} {'wall s':>8} {'pages/s':>8} {'CPU s':>8} {'CPU s/page':>11} {'flagged':>8}")
    for size, sides in versus:
        for side, t in sides.items():
            print(
                f"{side:<18} {size:>5} {t['seconds']:>8.1f} {size / t['seconds']:>8.2f} {t['cpu']:>8.1f}"
                f" {t['cpu'] / size:>11.3f} {t['flagged']:>8.0f}"
            )
        ours = next(t for side, t in sides.items() if side.startswith("ours"))
        for side, t in sides.items():
            if side.startswith("pa11y-ci"):
                print(
                    f"ratio ours / {side} N={size}: pages/s {t['seconds'] / ours['seconds']:.2f},"
                    f" CPU s/page {ours['cpu'] / t['cpu']:.2f}"
                )
    print(
        "pages/s ratio > 1: ours audits more pages a second; CPU s/page ratio > 1: ours spends more CPU a page"
        f" (goal: pages/s ratio >= 1 against pa11y-ci/c={concurrency}). CPU s = getrusage(RUSAGE_CHILDREN) of each"
        " side's whole process tree (its browser included); flagged = pages with an error (pa11y-ci) or a violation (ours)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200], help="pages to audit (default 200)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side per size (best kept)")
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2, help="the pool's size")
    parser.add_argument("--batch", type=int, default=20, help="pages per turn of each side (default 20)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--legacy", action="store_true", help="audit the sandbox legacy site instead of a tenant")
    where.add_argument("--site", help="a sitemap URL to audit instead of the sandbox tenant")
    parser.add_argument("--no-pa11y", action="store_true", help="leave out the comparison with pa11y-ci")
    parser.add_argument("--no-pool-ratio", action="store_true", help="leave out the pool against one at a time")
    parser.add_argument("--ours-worker", nargs=2, metavar=("URLS_JSON", "OUT_JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ours_worker:
        return ours_worker(*args.ours_worker, args.concurrency)
    pa11y = None if args.no_pa11y else pa11y_ci_path()
    if not args.no_pa11y and pa11y is None:
        log(f"pa11y-ci is not installed ({engines.engines_dir() / PA11Y_CI}, or no node): run bin/setup; not compared")

    rows = []
    versus: list[tuple[int, dict[str, dict[str, float]]]] = []
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
            for attempt in range(args.repeat if not args.no_pool_ratio else 0):
                load = os.getloadavg()[0]
                totals = asyncio.run(measure(urls, args.concurrency, args.batch))
                loads.append((load, os.getloadavg()[0]))
                log(f"N={size} run {attempt + 1}: one {totals['one']:.1f} s, pool {totals['pool']:.1f} s")
                for side in ("one", "pool"):
                    if side not in best or totals[side] < best[side]["seconds"]:
                        best[side] = {"seconds": totals[side], "cores": totals[f"{side} busy"] / totals[side]}
            if best:
                rows.append((size, best["one"], best["pool"]))
            if pa11y is not None:
                barriers = [] if args.site or args.legacy else barrier_pages(urls, size)
                best = {}
                for _ in range(args.repeat):
                    load = os.getloadavg()[0]
                    totals = against_pa11y(
                        urls, barriers, args.concurrency, args.batch, {process.pid} if process else set()
                    )
                    loads.append((load, os.getloadavg()[0]))
                    for side, figures in totals.items():
                        if side not in best or figures["seconds"] < best[side]["seconds"]:
                            best[side] = figures
                versus.append((size, best))
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
            folder.cleanup()

    cores = os.cpu_count() or 1
    if versus:
        print_against_pa11y(versus, args.concurrency, cores)
    if not rows:
        print("load average (1 min) before/after each run: " + ", ".join(f"{a:.1f}/{b:.1f}" for a, b in loads))
        return 0
    print(
        f"Accessibility audit, {args.concurrency} contexts in the pool vs one page at a time ({os.cpu_count()} cores)"
        " (information: bounded by the cores one page at a time already keeps busy)"
    )
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
    print(
        "ratio = pool pages/s / one-at-a-time pages/s; information, no longer a target"
        f" (at most the ceiling, not {cores}: see below)"
    )
    print(
        "cores = the machine's busy CPU seconds / wall seconds while that side ran (every process, ours or not);"
        f" ceiling = {cores} / one-at-a-time cores: the most the pool can gain when one page at a time"
        " already keeps that many cores busy"
    )
    print("load average (1 min) before/after each run: " + ", ".join(f"{a:.1f}/{b:.1f}" for a, b in loads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
