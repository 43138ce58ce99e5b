"""The access-log ingestion after go-live (plugins/soh_onboarding/live/accesslogs.py), side by side with a plain
`zcat | awk` count of the same files, in the same run.

For each N (10,000, 100,000 and 1,000,000 lines by default) this writes a day of gzip log files
(sandbox/edge/logpush.py: 30% of the requests answer 404 or 410, over a fixed set of 20,000 distinct old URLs),
once as Cloudflare Logpush JSON lines and once in the combined log format, then:

- **ours:** counts the 404s and 410s per old URL (`accesslogs.count`), in a fresh Python process per file
  set, whose peak RSS (VmHWM) is its memory;
- **awk:** `zcat FILES | awk '$9 == 404 || $9 == 410 {c[$7]++} END {...}'` on the combined files, the
  count a person would type (it reads no JSON, checks no line, and knows no host).

Lines per second = lines / wall seconds, for each. The goal (issue 20): ours' memory flat from 10,000 to
1,000,000 lines (the peak at the largest N against the smallest, printed as a ratio); the speed against awk
is information (C against Python, awk doing far less).

    .venv/bin/python benchmarks/access_logs.py [--sizes 10000 100000 1000000] [--repeat 1] [--json PATH]

The table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DISTINCT = 20_000
OLD = ("www.demoshire-police.example", "demoshire-police.example")
RESULT_MARK = "ACCESS_LOGS_RESULT "
CHILD = """
import json, sys, time
sys.path[:0] = [{root!r}, {plugins!r}]
from pathlib import Path
from soh_onboarding.live import accesslogs
files = [Path(p) for p in {files!r}]
started = time.perf_counter()
tally = accesslogs.count([(str(p), lambda p=p: p.open("rb")) for p in files], {old!r})
seconds = time.perf_counter() - started
peak_kb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print({mark!r} + json.dumps({{"seconds": seconds, "lines": tally.lines, "urls": len(tally.hits),
      "hits": sum(tally.hits.values()), "malformed": tally.malformed, "peak_mb": peak_kb / 1024}}))
"""


def requests_of(lines: int) -> list[tuple[str, str, int]]:
    """`lines` requests: 70% found (301 or 200), 30% 404 or 410, spread over DISTINCT old URLs."""
    out = []
    for number in range(lines):
        url = f"/news/{number % DISTINCT:05d}/story-{(number * 7919) % DISTINCT}.aspx"
        status = 404 if number % 10 < 2 else 410 if number % 10 == 2 else 301
        out.append((OLD[number % 2], url, status))
    return out


def ours(files: list[Path]) -> dict:
    code = CHILD.format(
        root=str(ROOT), plugins=str(ROOT / "plugins"), files=[str(p) for p in files], old=OLD, mark=RESULT_MARK
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    line = next(line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK))
    return json.loads(line[len(RESULT_MARK) :]) | {"wall": wall}


def awk(files: list[Path]) -> dict:
    script = "zcat " + " ".join(f"'{p}'" for p in files)
    script += " | awk '$9 == 404 || $9 == 410 {c[$7]++; h++} END {for (k in c) n++; print NR, n, h}'"
    started = time.perf_counter()
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    lines, urls, hits = (int(value) for value in done.stdout.split())
    return {"seconds": seconds, "lines": lines, "urls": urls, "hits": hits}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not shutil.which("zcat") or not shutil.which("awk"):
        print("benchmarks/access_logs.py: zcat and awk are needed for the baseline", file=sys.stderr)
        return 2
    from sandbox.edge.logpush import write_day

    results = []
    with tempfile.TemporaryDirectory(prefix="access-logs-") as temporary:
        for size in args.sizes:
            print(f"writing {size} lines twice (JSON, combined)", file=sys.stderr, flush=True)
            traffic = requests_of(size)
            day = datetime(2026, 12, 3)
            json_files = write_day(Path(temporary) / f"{size}-json", traffic, day, files=4)
            combined = write_day(Path(temporary) / f"{size}-combined", traffic, day, log_format="combined", files=4)
            del traffic
            for _ in range(args.repeat):
                mine_json, mine_clf, theirs = ours(json_files), ours(combined), awk(combined)
                assert mine_clf["hits"] == theirs["hits"] and mine_clf["urls"] == theirs["urls"], (mine_clf, theirs)
                results.append({"size": size, "ours_json": mine_json, "ours_combined": mine_clf, "awk": theirs})
                print(f"  {size}: done", file=sys.stderr, flush=True)
    print(f"{'lines':>9} {'ours json l/s':>14} {'ours clf l/s':>13} {'awk l/s':>11} {'ours/awk':>9} {'peak MB':>8}")
    for row in results:
        json_rate = row["size"] / row["ours_json"]["seconds"]
        clf_rate = row["size"] / row["ours_combined"]["seconds"]
        awk_rate = row["size"] / row["awk"]["seconds"]
        peak = max(row["ours_json"]["peak_mb"], row["ours_combined"]["peak_mb"])
        print(
            f"{row['size']:>9} {json_rate:>14.0f} {clf_rate:>13.0f} {awk_rate:>11.0f} {clf_rate / awk_rate:>9.2f} {peak:>8.1f}"
        )
    first, last = results[0], results[-1]
    flat = max(last["ours_json"]["peak_mb"], last["ours_combined"]["peak_mb"]) / max(
        first["ours_json"]["peak_mb"], first["ours_combined"]["peak_mb"]
    )
    print(f"memory: peak at {last['size']} lines / at {first['size']} lines = {flat:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
