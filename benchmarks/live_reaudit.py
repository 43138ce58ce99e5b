"""The monthly re-audit of a live site against the onboarding audit of the same site's preview, in the same run.

Serves a tenant of the sandbox platform with N published pages (in a process of its own, switched live
through the platform's API) behind the sandbox ingress (its DNS server and TLS with its local CA), and
audits the same pages two ways, alternating which goes first in each repeat:

- **preview**: the onboarding's accessibility phase on the tenant's preview (`accessibility.run.run`:
  sitemap, audit, gate, reports), plain HTTP straight to the platform;
- **live**: the re-audit of the live domain (`live.reaudit.reaudit` and `record`): the sitemap
  through the go-live settings' resolver, Chromium through `--host-resolver-rules` and the ingress's TLS,
  the comparison with the baseline and the result and report written.

Prints, per N, the seconds of each (best of --repeat), seconds per page, and the ratio live / preview:
what reaching the live domain as the public does costs over auditing the preview, and the time per force.

    .venv/bin/python benchmarks/live_reaudit.py [--sizes 50] [--repeat 1]

The table goes to stdout, progress to stderr. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]

from audit import log, start_platform_tenant  # noqa: E402  (benchmarks/audit.py: the same sandbox tenant)

from soh_onboarding.accessibility import run as accessibility_run  # noqa: E402
from soh_onboarding.golive import settings  # noqa: E402
from soh_onboarding.live import reaudit as monitor  # noqa: E402
from soh_onboarding.provisioning.client import Credentials, PlatformClient  # noqa: E402

DOMAIN = "www.bench-force.example"


def spec() -> dict:
    data = copy.deepcopy(yaml.safe_load((ROOT / "onboarding_specs" / "demo.yaml").read_text()))
    data["force"]["slug"] = data["tenant"]["tenant_id"] = "bench"
    data["tenant"]["domains"] = [DOMAIN]
    data["accessibility"]["max_pages"] = 100_000  # every page, on both sides
    return data


def main() -> int:
    from sandbox.ingress import start as start_ingress

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50], help="published pages (default 50)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side per size (best kept)")
    args = parser.parse_args()
    data = spec()
    rows = []
    for size in args.sizes:
        folder = tempfile.TemporaryDirectory(prefix="soh-reaudit-bench-")
        base = Path(folder.name)
        process, sitemap_url = start_platform_tenant(size, base)
        preview = sitemap_url.removesuffix("sitemap.xml")
        port = int(preview.split(":")[2].split("/")[0])
        try:
            with PlatformClient(Credentials(f"http://127.0.0.1:{port}", "benchmark")) as client:
                client.set_state("bench", "live")
            with start_ingress(base / "ingress", port, base / "platform.sqlite3") as ingress:
                configured = settings.load(environ=ingress.env)
                best = {"preview": float("inf"), "live": float("inf")}
                pages = {}
                for attempt in range(args.repeat):
                    sides = ["preview", "live"] if attempt % 2 == 0 else ["live", "preview"]
                    for side in sides:
                        out = base / f"{side}-{attempt}"
                        out.mkdir()
                        began = time.perf_counter()
                        if side == "preview":
                            done = accessibility_run.run(
                                [sitemap_url], out, settings=data["accessibility"], site=preview
                            )
                            result = done.result
                        else:
                            reaudit = monitor.reaudit(data, configured, out)
                            monitor.record(out, reaudit)
                            result = reaudit.result
                        seconds = time.perf_counter() - began
                        if result.errors:
                            raise SystemExit(f"{side}: {len(result.errors)} page(s) failed: {result.errors[:3]}")
                        pages[side] = len(result.audited)
                        best[side] = min(best[side], seconds)
                        log(f"N={size} run {attempt + 1} {side}: {pages[side]} pages in {seconds:.1f} s")
                if pages["preview"] != pages["live"]:
                    raise SystemExit(f"the sides audited different page counts: {pages}")
                rows.append((size, pages["live"], best["preview"], best["live"]))
        finally:
            process.terminate()
            process.wait(timeout=10)
            folder.cleanup()

    print(f"Live re-audit (ingress, DNS, TLS) vs onboarding audit of the preview ({os.cpu_count()} cores)")
    print(f"{'N':>6} {'pages':>6} {'preview s':>10} {'live s':>9} {'prev s/p':>9} {'live s/p':>9} {'ratio':>7}")
    for size, audited, before, live in rows:
        print(
            f"{size:>6} {audited:>6} {before:>10.1f} {live:>9.1f} {before / audited:>9.2f} "
            f"{live / audited:>9.2f} {live / before:>7.2f}"
        )
    print("ratio = live seconds / preview seconds (1.0: reaching the live domain costs nothing extra)")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
