"""Publishing through the real platform's contracts: N pages into Optimizely CMS's Content Management API
and N redirects into a Cloudflare Bulk Redirect list, each against one request per item, side by side.

Both sandboxes run as their own processes (`python -m sandbox cms`, `python -m sandbox edge` with no rate
limit and bulk operations that end at once, the baseline's best case), each side to a fresh tenant:

- pages, ours: `cms_content.publish` (reads back what the CMS holds, PUTs each item that differs, reads
  back to verify); the CMS has no batch write, so the baseline is one blind PUT per item, the least any
  client can send. Then ours again, on the tenant it filled: what a re-run costs.
- redirects, ours: `CloudflareEdge.converge` (reads the list, sends what is missing 5,000 items a bulk
  operation, polls each, then the rule); the baseline sends each redirect as its own bulk operation and
  polls it. Then ours again.

Requests are counted by each sandbox (/_sandbox/stats); both end states are checked to be the same.

    .venv/bin/python benchmarks/platform_adapters.py [--pages 10000] [--redirects 10000]
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "benchmarks")]

import requests  # noqa: E402
import yaml  # noqa: E402
from publish import start_sandbox, write_pages  # noqa: E402

from soh_onboarding.edge import model  # noqa: E402
from soh_onboarding.edge.cloudflare import CloudflareEdge, EdgeCredentials  # noqa: E402
from soh_onboarding.provisioning import cms_content, items  # noqa: E402
from soh_onboarding.provisioning.cms import CmsClient, CmsCredentials  # noqa: E402

ACCOUNT = "5f3c1d2a9b8e4f6071a2b3c4d5e6f708"  # the sandbox edge's account (sandbox/edge/server.py)


def requests_of(url: str) -> int:
    stats = requests.get(f"{url}/_sandbox/stats", timeout=10).json()
    return int(stats.get("total_requests") or sum(stats["requests"].values()))


def timed(url: str, work: Callable[[], Any]) -> tuple[float, int]:
    before, started = requests_of(url), time.perf_counter()
    work()
    return time.perf_counter() - started, requests_of(url) - before


def pages_side_by_side(url: str, secret: str, folder: Path) -> list[tuple[str, float, int]]:
    pages = list(items.read_pages(folder))
    client = CmsClient(CmsCredentials(url, "soh-onboarding", secret))
    rows = []

    def ours(tenant: str) -> None:
        result = cms_content.publish(client, cms_content.plan_site(tenant, "Benchmark Police", pages, []))
        assert not result.mismatched and not result.refused, result

    def one_per_item(tenant: str) -> None:
        for item in cms_content.plan_site(tenant, "Benchmark Police", pages, []).items:
            client.put(item.guid, item.body())

    rows.append(("pages, one PUT per item", *timed(url, lambda: one_per_item("single"))))
    rows.append(("pages, ours (read, diff, PUT, verify)", *timed(url, lambda: ours("ours"))))
    rows.append(("pages, ours again (nothing changed)", *timed(url, lambda: ours("ours"))))
    held = [
        len(cms_content.read_back(client, cms_content.plan_site(t, "Benchmark Police", pages, [])))
        for t in ("single", "ours")
    ]
    assert held[0] == held[1], held
    return rows


def redirects_side_by_side(url: str, token: str, count: int) -> list[tuple[str, float, int]]:
    spec = yaml.safe_load((ROOT / "onboarding_specs" / "demo.yaml").read_text(encoding="utf-8"))
    spec["go_live"]["old_domains"] = ["www.demoshire-police.example"]
    spec["tenant"]["domains"] = ["demo.soh.example"]
    rows = [{"from_path": f"/news/item-{n}.aspx", "to_path": f"/news/item-{n}/", "status": 301} for n in range(count)]
    edge = CloudflareEdge.connect(EdgeCredentials(ACCOUNT, token, f"{url}/client/v4"))
    settings = model.EdgeSettings.load()

    def want(tenant: str) -> model.Desired:
        spec["tenant"]["tenant_id"] = tenant
        return model.desired(spec, rows, settings, live=False)

    def one_per_item() -> None:
        wanted = want("single")
        made = edge.client.rules.lists.create(account_id=ACCOUNT, kind="redirect", name=wanted.list_name)
        for redirect in wanted.redirects:
            body = [{"redirect": {"source_url": redirect.source_url, "target_url": redirect.target_url}}]
            operation = edge.client.rules.lists.items.create(made.id, account_id=ACCOUNT, body=body)
            edge._wait(operation.operation_id)

    result = [("redirects, one bulk operation per item", *timed(url, one_per_item))]
    result.append(
        ("redirects, ours (read, diff, 5,000 a bulk operation)", *timed(url, lambda: edge.converge(want("ours"))))
    )
    result.append(("redirects, ours again (nothing changed)", *timed(url, lambda: edge.converge(want("ours")))))
    held = {found.name: found.num_items for found in edge.client.rules.lists.list(account_id=ACCOUNT)}
    assert held["soh_single_redirects"] == held["soh_ours_redirects"] == count, held
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000, help="pages published (default 10000)")
    parser.add_argument("--redirects", type=int, default=10_000, help="redirects published (default 10000)")
    args = parser.parse_args()
    secret, token = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    rows: list[tuple[str, float, int, int]] = []
    with tempfile.TemporaryDirectory(prefix="soh-adapters-") as tmp:
        cms, cms_url = start_sandbox("cms", "SOH_SANDBOX_CMS_SECRET", secret, "/_sandbox/stats")
        edge, edge_url = start_sandbox(
            "edge", "SOH_SANDBOX_EDGE_TOKEN", token, "/_sandbox/stats", "--zone", "demoshire-police.example",
            "--zone", "soh.example", "--rate-limit", "0", "--operation-seconds", "0",
        )  # fmt: skip
        try:
            folder = write_pages(Path(tmp) / "pages", args.pages)
            print(f"publishing {args.pages} pages to the sandbox CMS", file=sys.stderr, flush=True)
            rows += [
                (label, seconds, calls, args.pages)
                for label, seconds, calls in pages_side_by_side(cms_url, secret, folder)
            ]
            print(f"publishing {args.redirects} redirects to the sandbox edge", file=sys.stderr, flush=True)
            rows += [
                (label, seconds, calls, args.redirects)
                for label, seconds, calls in redirects_side_by_side(edge_url, token, args.redirects)
            ]
        finally:
            for process in (cms, edge):
                process.terminate()
                process.wait(timeout=30)
    print("Publishing through the platform's contracts, against one request per item (sandboxes as processes)")
    print(f"{'':<56} {'items':>7} {'wall s':>8} {'items/s':>9} {'requests':>9} {'req/item':>9}")
    for label, seconds, calls, count in rows:
        print(f"{label:<56} {count:>7} {seconds:>8.2f} {count / seconds:>9.0f} {calls:>9} {calls / count:>9.3f}")
    single = {label.split(",")[0]: (s, c) for label, s, c, _ in rows if "one " in label}
    ours = {label.split(",")[0]: (s, c) for label, s, c, _ in rows if "ours (" in label}
    for kind in ("pages", "redirects"):
        (s1, c1), (s2, c2) = single[kind], ours[kind]
        print(f"{kind}: ours / one per item: wall {s2 / s1:.2f}, requests {c2 / c1:.3f} (lower is better)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
