"""The whole content migration on the sandbox legacy site, side by side with `wget --mirror` on the same site.

For each N (1,000 and 10,000 content pages by default) this serves the sandbox legacy site with its faults
off, in a process of its own, and in the same run:

- **ours:** runs `pipeline.migrate()` (crawl, plan, extract, sanitise, re-link, finish: everything) in a fresh
  Python process, with the demo spec pointed at the site (requests_per_second 10000, concurrency 8);
- **wget:** runs Debian's `wget --mirror --no-parent -e robots=on` on the same URL (single-threaded).

Each side's wall time is taken from process start to exit, and its peak memory is that process's own peak
RSS (VmHWM). Pages per second = HTML pages fetched with status 200 / wall seconds, for both sides: ours
from the crawl journal (kind "page"), wget's from the files it saved that are HTML. Ours also prints
pages_migrated (pages with a new home, written to content.jsonl). Targets from the issue: ours at least 2x
wget's pages per second; ours' peak memory at the largest N at most 1.5x that at the smallest.

The server answers each request after `--latency-ms` of think time (by default both 0 and 20 ms, one table
each): a real force site's CMS takes time to render a page and the network adds a round trip, which is what
bounded concurrency is for. At 0 ms on localhost the comparison is CPU only (Python against C, with the
Python server on the same 2 cores).

    .venv/bin/python benchmarks/migration.py [--sizes 1000 10000] [--latency-ms 0 20] [--repeat 1]
        [--json PATH] [--profile PATH]

The table goes to stdout, progress to stderr. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = ROOT / "plugins"
DEMO_SPEC = ROOT / "onboarding_specs" / "demo.yaml"

DEFAULT_SIZES = (1000, 10000)
DEFAULT_LATENCIES_MS = (0.0, 20.0)  # 20 ms: as the go-live benchmark's stand-in for a remote server
TARGET_SPEED_RATIO = 2.0  # ours pages/s / wget pages/s, at least
TARGET_MEMORY_RATIO = 1.5  # ours peak RSS at the largest N / at the smallest N, at most
RESULT_MARK = "MIGRATION_RESULT "
SEED = 0


def log(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:6.0f}s] {message}", file=sys.stderr, flush=True)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PLUGINS), str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def spec_for(url: str, max_pages: int) -> dict[str, Any]:
    """The demo spec pointed at the sandbox site at `url` (as tests/migration/test_crawl.py's spec_for), no rate limit."""
    import yaml

    # libyaml's loader when there is one: the pure-Python one took a fifth of a 1,000-page crawl's CPU.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = copy.deepcopy(yaml.load(DEMO_SPEC.read_text(encoding="utf-8"), Loader=loader))
    legacy = data["legacy_site"]
    legacy["base_url"] = url
    legacy["sitemap_urls"] = [f"{url}sitemap.xml"]
    legacy["other_domains"] = ["localhost"]
    legacy["crawl"] = legacy["crawl"] | {
        "max_pages": max_pages,
        "requests_per_second": 10000,
        "concurrency": 8,
        "timeout_seconds": 30,
    }
    return data


# --- the worker: one whole migration in a fresh interpreter ------------------------------------------


def worker(url: str, folder: str, max_pages: str, profile: str | None = None) -> int:
    """Migrate the site at `url` into `folder` and print the summary as JSON."""
    from dataclasses import asdict

    from soh_onboarding.migration import pipeline

    data = spec_for(url, int(max_pages))

    def run() -> Any:
        return pipeline.migrate(data, Path(folder), progress=lambda line: print(line, file=sys.stderr, flush=True))

    start = time.perf_counter()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        summary = profiler.runcall(run)
        profiler.dump_stats(profile)
        stats = pstats.Stats(profile, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats("soh_onboarding", 25)
    else:
        summary = run()
    seconds = time.perf_counter() - start
    result = {"migrate_seconds": seconds, "peak_mb": peak_rss_mb(), "summary": asdict(summary)}
    print(RESULT_MARK + json.dumps(result), flush=True)
    return 0


# --- the site, and one run of each side ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_site(pages: str, port: str, latency_ms: str = "0") -> int:
    """The server process: the sandbox site without faults, with TCP_NODELAY on its sockets.

    The stock sandbox server writes the headers and the body of each answer in two sends; with Nagle's
    algorithm on, the second waits for the client's delayed ACK (40 ms on Linux) on a kept-alive
    connection. That capped wget, which fetches one URL at a time, at about 20 pages per second on any
    machine. Real servers (IIS included) set TCP_NODELAY, so the benchmark does too, for both sides.
    """
    from sandbox.legacy_site import LegacySite, serve, server

    server._Handler.disable_nagle_algorithm = True
    serve(LegacySite(int(pages), SEED, faults=False, latency_ms=float(latency_ms)), int(port), verbose=False)
    return 0


def serve(n: int, latency_ms: float = 0.0) -> tuple[subprocess.Popen[bytes], str]:
    """The sandbox site with N pages and no faults, in its own process (its CPU is not ours nor wget's)."""
    port = free_port()
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", str(n), str(port), str(latency_ms)]
    server = subprocess.Popen(command, env=child_env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the sandbox site did not start:\n{server.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "robots.txt", timeout=2) as answer:
                if answer.status == 200:
                    return server, url
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the sandbox site did not answer on {url} within 60 s")


def peak_rss_mb(pid: int | str = "self") -> float:
    """The process's peak RSS so far (VmHWM), in MB; 0 once it has gone.

    Not ru_maxrss: Linux folds the RSS of the process that forked the child (this Python) into the
    child's ru_maxrss when it execs, so a small wget would show this script's size. VmHWM belongs to the
    program's own address space only.
    """
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a running process has used so far (all its threads); 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def timed(command: list[str], **popen: Any) -> tuple[float, float, int, str, float]:
    """Run `command`: wall seconds, peak RSS in MB (VmHWM, polled every 5 ms), exit code, stdout, CPU seconds.

    CPU seconds (user + system, from wait4's rusage of the process itself) say what the run cost whatever
    else the machine was doing: on a shared machine, wall time also measures the neighbours.
    """
    peak = [0.0]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, **popen)

    def poll() -> None:
        while process.returncode is None:
            peak[0] = max(peak[0], peak_rss_mb(process.pid))
            time.sleep(0.005)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    out = process.stdout.read() if process.stdout else b""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    watcher.join()
    return seconds, peak[0], process.returncode, out.decode(errors="replace"), usage.ru_utime + usage.ru_stime


def run_ours(url: str, n: int, work: Path) -> dict[str, Any]:
    from soh_onboarding.migration.crawl import read_pages

    folder = work / "ours"
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", url, str(folder), str(n * 10)]
    log_file = work / "ours.log"
    with log_file.open("wb") as stderr:
        seconds, peak_mb, code, out, cpu = timed(command, env=child_env(), cwd=ROOT, stderr=stderr)
    lines = [line for line in out.splitlines() if line.startswith(RESULT_MARK)]
    if code or not lines:
        raise SystemExit(f"our migration failed (exit {code}):\n{log_file.read_text(errors='replace')[-4000:]}")
    result = json.loads(lines[-1][len(RESULT_MARK) :])
    peak_mb = max(peak_mb, result["peak_mb"])  # its own reading at the end is exact; polling may miss the last ms
    records = list(read_pages(folder / "crawl"))
    html = sum(1 for r in records if r.kind == "page" and r.status == 200)
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_mb": peak_mb,
        "html_pages": html,
        "urls": len(records),
        "pages_migrated": result["summary"]["pages_migrated"],
        "migrate_seconds": result["migrate_seconds"],
        "pages_per_second": html / seconds,
    }


def is_html(path: Path) -> bool:
    with path.open("rb") as file:
        head = file.read(1024).lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def run_wget(url: str, work: Path) -> dict[str, Any]:
    folder = work / "wget"
    command = ["wget", "--mirror", "--no-parent", "--quiet", "-e", "robots=on", f"--directory-prefix={folder}", url]
    seconds, peak_mb, code, _out, cpu = timed(command, stderr=subprocess.PIPE)
    files = [path for path in folder.rglob("*") if path.is_file()]
    html = sum(1 for path in files if is_html(path))
    # wget exits 8 when a server answered an error (none here: faults off); anything else is a failure.
    if code not in (0, 8) or not html:
        raise SystemExit(f"wget failed (exit {code}, {html} HTML pages saved)")
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_mb": peak_mb,
        "html_pages": html,
        "files": len(files),
        "exit": code,
        "pages_per_second": html / seconds,
    }


def measure(n: int, latency_ms: float, repeat: int, work: Path, started: float) -> dict[str, Any]:
    log(f"N={n}: starting the sandbox site (no faults, {latency_ms:g} ms per answer)", started)
    server, url = serve(n, latency_ms)
    runs: dict[str, list[dict[str, Any]]] = {"ours": [], "wget": []}
    try:
        for r in range(repeat):
            # Alternate who goes first, so neither side always meets a fresher server.
            order = [("ours", lambda: run_ours(url, n, work)), ("wget", lambda: run_wget(url, work))]
            for side, run in order if r % 2 == 0 else reversed(order):
                log(f"N={n}: repeat {r + 1}/{repeat}: {side}", started)
                server_cpu, load = cpu_seconds(server.pid), os.getloadavg()[0]
                runs[side].append(run())
                last = runs[side][-1]
                last["server_cpu_seconds"] = cpu_seconds(server.pid) - server_cpu
                last["load_before"] = load
                log(
                    f"N={n}: {side}: {last['html_pages']} HTML pages in {last['seconds']:.1f} s "
                    f"({last['pages_per_second']:.0f}/s), peak {last['peak_mb']:.0f} MB",
                    started,
                )
    finally:
        server.terminate()
        server.wait(timeout=30)

    def median(side: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[side])

    ours_pps, wget_pps = median("ours", "pages_per_second"), median("wget", "pages_per_second")
    return {
        "n": n,
        "latency_ms": latency_ms,
        "ours_pages_per_second": ours_pps,
        "wget_pages_per_second": wget_pps,
        "ratio": ours_pps / wget_pps,
        "ours_peak_mb": median("ours", "peak_mb"),
        "wget_peak_mb": median("wget", "peak_mb"),
        "ours_html_pages": runs["ours"][0]["html_pages"],
        "wget_html_pages": runs["wget"][0]["html_pages"],
        "ours_pages_migrated": runs["ours"][0]["pages_migrated"],
        "ours_cpu_seconds": median("ours", "cpu_seconds"),
        "wget_cpu_seconds": median("wget", "cpu_seconds"),
        "server_cpu_seconds_ours": median("ours", "server_cpu_seconds"),
        "server_cpu_seconds_wget": median("wget", "server_cpu_seconds"),
        "load_before": max(run["load_before"] for side in runs.values() for run in side),
        "runs": runs,
    }


def table(rows: list[dict[str, Any]]) -> str:
    header = (
        "N",
        "ours HTML pages",
        "wget HTML pages",
        "ours pages/s",
        "wget pages/s",
        "ratio ours/wget",
        "ours peak MB",
        "wget peak MB",
    )
    body = [
        (
            str(row["n"]),
            str(row["ours_html_pages"]),
            str(row["wget_html_pages"]),
            f"{row['ours_pages_per_second']:.1f}",
            f"{row['wget_pages_per_second']:.1f}",
            f"{row['ratio']:.2f}",
            f"{row['ours_peak_mb']:.1f}",
            f"{row['wget_peak_mb']:.1f}",
        )
        for row in rows
    ]
    widths = [max(len(cell) for cell in column) for column in zip(header, *body, strict=True)]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)) for line in [header, *body]]
    return "\n".join([lines[0], "  ".join("-" * width for width in widths), *lines[1:]])


def cpu_table(rows: list[dict[str, Any]]) -> str:
    """CPU seconds per side, the client's own and the site server's while serving it: the cost of the work,
    which, unlike wall time, does not depend on what else the machine is running."""
    header = ("N", "ours CPU s", "server CPU s (ours)", "wget CPU s", "server CPU s (wget)", "ours ms CPU/page")
    body = [
        (
            str(row["n"]),
            f"{row['ours_cpu_seconds']:.2f}",
            f"{row['server_cpu_seconds_ours']:.2f}",
            f"{row['wget_cpu_seconds']:.2f}",
            f"{row['server_cpu_seconds_wget']:.2f}",
            f"{1000 * row['ours_cpu_seconds'] / row['ours_html_pages']:.2f}",
        )
        for row in rows
    ]
    widths = [max(len(cell) for cell in column) for column in zip(header, *body, strict=True)]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)) for line in [header, *body]]
    return "\n".join([lines[0], "  ".join("-" * width for width in widths), *lines[1:]])


def verdicts(rows: list[dict[str, Any]]) -> list[str]:
    worst = min(rows, key=lambda row: row["ratio"])
    ratios = ", ".join(f"{row['ratio']:.2f} at N={row['n']}" for row in rows)
    speed = f"Speed: ours/wget pages per second {ratios}; target >= {TARGET_SPEED_RATIO:.0f} " + (
        "MET" if worst["ratio"] >= TARGET_SPEED_RATIO else "NOT MET"
    )
    small, large = rows[0], rows[-1]
    if small["n"] == large["n"]:
        return [speed, "Memory: one size only; the ratio needs two"]
    memory_ratio = large["ours_peak_mb"] / small["ours_peak_mb"]
    memory = (
        f"Memory: ours peak at N={large['n']} / at N={small['n']} = {large['ours_peak_mb']:.1f} / "
        f"{small['ours_peak_mb']:.1f} MB = {memory_ratio:.2f}; target <= {TARGET_MEMORY_RATIO} "
        + ("MET" if memory_ratio <= TARGET_MEMORY_RATIO else "NOT MET")
    )
    return [speed, memory]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="content pages of the site")
    parser.add_argument(
        "--latency-ms",
        type=float,
        nargs="+",
        default=list(DEFAULT_LATENCIES_MS),
        metavar="MS",
        help="server think time per answer; one table per value (default: 0 and 20)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per side and size (median shown)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON here")
    parser.add_argument(
        "--profile", type=Path, metavar="PATH", help="profile ours once at the smallest size (cProfile stats to PATH)"
    )
    parser.add_argument("--worker", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    parser.add_argument("--serve", nargs=3, metavar=("PAGES", "PORT", "LATENCY_MS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(*args.worker)
    if args.serve:
        return serve_site(*args.serve)
    if min(args.sizes) < 50 or args.repeat < 1 or min(args.latency_ms) < 0:
        parser.error("sizes must be at least 50 (the sandbox's smallest site), --repeat at least 1, latencies >= 0")
    if shutil.which("wget") is None:
        print("wget is not installed (Debian: apt-get install wget; bin/test installs it)", file=sys.stderr)
        return 2

    sys.path.insert(0, str(PLUGINS))
    started = time.monotonic()
    wget_version = subprocess.run(["wget", "--version"], capture_output=True, text=True, check=False).stdout
    wget_version = wget_version.splitlines()[0] if wget_version else "wget"
    work = Path(tempfile.mkdtemp(prefix="soh-migration-bench-"))
    try:
        if args.profile:
            n = min(args.sizes)
            server, url = serve(n, args.latency_ms[0])
            try:
                log(f"N={n}: profiling ours into {args.profile}", started)
                command = [sys.executable, str(Path(__file__).resolve()), "--worker", url, str(work / "profiled")]
                command += [str(n * 10), str(args.profile.resolve())]
                subprocess.run(command, env=child_env(), cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            finally:
                server.terminate()
                server.wait(timeout=30)
            return 0
        latencies = sorted(set(args.latency_ms))
        tables = {
            latency: [measure(n, latency, args.repeat, work, started) for n in sorted(set(args.sizes))]
            for latency in latencies
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    wall = time.monotonic() - started

    print(
        f"Whole migration (crawl to report) vs {wget_version} --mirror (single-threaded), sandbox site without "
        f"faults; median of {args.repeat}, fresh process per run"
    )
    print(
        "pages/s = HTML pages fetched with status 200 / wall seconds of the process; "
        "peak MB = the process's own peak RSS"
    )
    for latency, rows in tables.items():
        print()
        print(f"Server think time {latency:g} ms per answer:")
        print(table(rows))
        for line in verdicts(rows):
            print(line)
        print(cpu_table(rows))
        loads = ", ".join(f"{row['load_before']:.1f} at N={row['n']}" for row in rows)
        print(f"Machine: {os.cpu_count()} CPUs; highest 1-minute load average before a run: {loads}")
        migrated = ", ".join(f"{row['ours_pages_migrated']} at N={row['n']}" for row in rows)
        print(f"Ours pages_migrated (given a new home, in content.jsonl): {migrated}")
    print()
    print(f"Wall time {wall:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "wget": wget_version,
            "repeat": args.repeat,
            "wall_seconds": wall,
            "latencies_ms": latencies,
            "rows": [row for rows in tables.values() for row in rows],
            "verdicts": {f"{latency:g} ms": verdicts(rows) for latency, rows in tables.items()},
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
