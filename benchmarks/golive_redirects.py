"""How fast the go-live checks walk a redirect map, with bounded concurrency against one at a time.

A local HTTPS ingress (test CA, SNI) and DNS server (tests/support/golive_servers.py) serve N old URLs on an old
domain, each a 301 to its own new page that answers 200, every answer delayed by --latency-ms to stand in
for a remote ingress (in-process, the servers share the client's GIL and two shared cores). The same `redirects.check` runs with
concurrency 1 (the baseline) and with the configured concurrency, side by side, in one process.

    .venv/bin/python benchmarks/golive_redirects.py [--sizes 500 2000] [--concurrency 16] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "tests" / "support")]  # the shared test servers

from golive_servers import Answer, DnsServer, Ingress, LocalCA, Site, golive_env, html  # noqa: E402

from soh_onboarding.golive import redirects, settings  # noqa: E402

OLD, NEW = "old.bench.example", "www.bench.example"
ZONE = f"{OLD}. 60 IN A 127.0.0.1\n{NEW}. 60 IN A 127.0.0.1\n"


def build(ingress: Ingress, size: int) -> list[redirects.Row]:
    old = Site(OLD, {})
    new = Site(NEW, {})
    rows = []
    for number in range(size):
        old.fixed[f"/page-{number}.aspx"] = Answer(301, location=f"https://{NEW}/page-{number}/")
        new.pages[f"/page-{number}/"] = Answer(200, html(f"Page {number}"))
        rows.append(redirects.Row(f"https://{OLD}/page-{number}.aspx", f"https://{NEW}/page-{number}/", "redirect"))
    ingress.add(old)
    ingress.add(new)
    return rows


def timed(configured: settings.Settings, rows: list[redirects.Row], concurrency: int) -> float:
    fresh = [redirects.Row(r.old_url, r.new_url, r.type) for r in rows]
    session = configured.network.session()
    started = time.perf_counter()
    check, done = redirects.check(fresh, session, configured.network.timeout, concurrency)
    elapsed = time.perf_counter() - started
    session.close()
    if check.status != "pass" or len(done) != len(rows):
        raise SystemExit(f"the benchmark's redirects did not all pass: {check.summary}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=20.0, help="added to every answer (a remote ingress)")
    args = parser.parse_args()
    print(
        "Redirect map check: old URLs/s, concurrency 1 (baseline) vs bounded concurrency; "
        f"{args.latency_ms:g} ms per answer; median of {args.repeat}"
    )
    print(f"{'N':>6} {'seq s':>8} {'seq URL/s':>10} {f'c={args.concurrency} s':>8} {'URL/s':>10} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as folder:
        ca = LocalCA(Path(folder))
        for size in args.sizes:
            with Ingress(ca) as ingress, DnsServer(ZONE) as dns:
                ingress.latency = args.latency_ms / 1000
                rows = build(ingress, size)
                configured = settings.load(environ=golive_env((ingress, dns, ca)))
                sequential, bounded = [], []
                for repeat in range(args.repeat):
                    order = [(sequential, 1), (bounded, args.concurrency)]
                    for times, concurrency in order if repeat % 2 == 0 else reversed(order):
                        times.append(timed(configured, rows, concurrency))
                seq, par = statistics.median(sequential), statistics.median(bounded)
                print(f"{size:>6} {seq:>8.2f} {size / seq:>10.1f} {par:>8.2f} {size / par:>10.1f} {seq / par:>6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
