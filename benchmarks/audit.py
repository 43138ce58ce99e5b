"""The accessibility audit with its pool of browser contexts against one page at a time, in the same run.

Serves a site in a process of its own (the sandbox legacy site with its faults off, or the platform's
sandbox tenant with --site URL), takes the first N pages of its sitemap, and audits them twice with every
engine: once one page at a time (concurrency 1, the baseline) and once with the pool (concurrency =
--concurrency, default the number of cores). Prints pages per second for both and the ratio pool /
one-at-a-time (target: close to the number of cores, since the engines are CPU-bound in Chromium).

    .venv/bin/python benchmarks/audit.py [--sizes 200] [--repeat 1] [--concurrency N] [--site SITEMAP_URL]

The table goes to stdout, progress to stderr. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]

from soh_onboarding.accessibility import sitemap  # noqa: E402
from soh_onboarding.accessibility.audit import AuditOptions, audit  # noqa: E402


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_legacy_site(pages: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "plugins"), str(ROOT)]))
    command = [sys.executable, "-m", "soh_onboarding", "sandbox", "legacy-site", "--pages", str(max(pages, 50))]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200], help="pages to audit (default 200)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side per size (best kept)")
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2, help="the pool's size")
    parser.add_argument("--site", help="a sitemap URL to audit instead of the sandbox legacy site")
    args = parser.parse_args()

    rows = []
    for size in args.sizes:
        process = None
        if args.site:
            sitemap_url = args.site
        else:
            process, sitemap_url = start_legacy_site(size)
        try:
            urls = sitemap.read_sitemap(sitemap_url)[:size]
            if len(urls) < size:
                raise SystemExit(f"{sitemap_url} lists {len(urls)} pages, fewer than {size}")
            best = {"one": float("inf"), "pool": float("inf")}
            for attempt in range(args.repeat):
                for side, concurrency in (("one", 1), ("pool", args.concurrency)):
                    started = time.perf_counter()
                    result = audit(urls, AuditOptions(concurrency=concurrency))
                    seconds = time.perf_counter() - started
                    errors = len(result.errors)
                    log(
                        f"N={size} run {attempt + 1} {side} (concurrency {concurrency}): {seconds:.1f} s, "
                        f"{len(result.findings)} violations, {len(result.needs_review)} to review, {errors} errors"
                    )
                    if errors:
                        raise SystemExit(f"{errors} page(s) failed: {result.errors[:3]}")
                    best[side] = min(best[side], seconds)
            rows.append((size, best["one"], best["pool"]))
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=10)

    print(
        f"Accessibility audit, {args.concurrency} contexts in the pool vs one page at a time ({os.cpu_count()} cores)"
    )
    print(f"{'N':>6} {'one s':>9} {'pool s':>9} {'one p/s':>9} {'pool p/s':>9} {'ratio':>7}")
    for size, one, pool in rows:
        print(f"{size:>6} {one:>9.1f} {pool:>9.1f} {size / one:>9.2f} {size / pool:>9.2f} {one / pool:>7.2f}")
    print(f"ratio = pool pages/s / one-at-a-time pages/s; target: close to {os.cpu_count()} (the number of cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
