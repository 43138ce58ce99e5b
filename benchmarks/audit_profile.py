"""Where the cores go while the accessibility audit checks one page at a time: CPU seconds per process and
wall time per step.

Serves a sandbox platform tenant with N pages (as benchmarks/audit.py does), launches Chromium the way the
audit does, warms it up on one page, then audits the N pages one at a time through the audit's own code
(`audit._guarded`), with Playwright's page, context and browser wrapped so that every call the audit makes
is timed by step (new context, load, injecting each engine, running it, the keyboard probe's Tab presses
and reads, closing). A separate sampler process reads /proc every 50 ms, so renderer processes that live
for one page only are counted too (their last 50 ms at most are lost), and its own CPU is not ours.

    PYTHONPATH=plugins .venv/bin/python benchmarks/audit_profile.py [--pages 20]

Prints CPU seconds per kind of process (Chromium's browser, page renderers, the omnibox WebUI renderer if
any, GPU, utilities, Playwright's node driver, our Python, the sandbox server), the cores each kept busy on
average, the machine's busy share and load average, and the wall milliseconds per page of each step.
Linux only (/proc). See benchmarks/README.md, "The accessibility audit's pool against one page at a time".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT), str(ROOT / "benchmarks")]

from audit import TICK, machine_cpu, start_platform_tenant  # noqa: E402  (benchmarks/audit.py)

from soh_onboarding.accessibility import audit, engines, sitemap  # noqa: E402


def read_processes() -> dict[int, tuple[int, float, list[str]]]:
    """pid -> (parent pid, CPU seconds so far, command line) for every process we may read."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
            command = Path(f"/proc/{name}/cmdline").read_text().replace("\0", " ").split()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        found[int(name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK, command)
    return found


def sample(out: str) -> None:
    """The sampler process: every 50 ms, each process's CPU; on SIGTERM, the last values to `out`."""
    seen: dict[int, tuple[int, float, list[str]]] = {}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    while not stop:
        for pid, (parent, cpu, command) in read_processes().items():
            # the first command line read that is not empty: a process just forked has none yet
            seen[pid] = (parent, cpu, seen[pid][2] if pid in seen and seen[pid][2] else command)
        time.sleep(0.05)
    Path(out).write_text(json.dumps(seen))


def kind(pid: int, table: dict[int, tuple[int, float, list[str]]], ours: int, server: int) -> str | None:
    """What a process is, from its command line and ancestry; None if it is not part of the audit."""
    chain, cursor = [], pid
    while cursor in table and cursor > 1:
        chain.append(cursor)
        cursor = table[cursor][0]
    command = table[pid][2]
    if pid == ours:
        return "our Python (asyncio, Playwright client)"
    if server in chain:
        return "sandbox platform server (Python)"
    if ours not in chain or any("audit_profile.py" in part for part in command):
        return None
    executable = os.path.basename(command[0]) if command else "?"
    if executable == "node":
        return "Playwright driver (node)"
    if "chrom" not in executable:
        return f"other ({executable})"
    process_type = next((a.split("=", 1)[1] for a in command if a.startswith("--type=")), None)
    if process_type is None:
        return "Chromium browser process"
    if process_type == "renderer":
        return "Chromium renderer: omnibox WebUI" if "--top-chrome-webui" in command else "Chromium renderer: pages"
    if process_type == "utility":
        sub = next((a.split("=", 1)[1] for a in command if a.startswith("--utility-sub-type=")), "?")
        return f"Chromium utility ({sub.rsplit('.', 1)[-1]})"
    return f"Chromium {process_type}"


class Steps:
    """Wall seconds per step, and the Playwright wrappers that attribute each call to one."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        scripts = engines.scripts()
        self.names = {scripts[name]: f"{name}: inject script" for name in scripts}
        self.names |= {engines.AXE_JS: "axe: run", engines.IBM_JS: "ibm: run", engines.HTMLCS_JS: "htmlcs: run"}
        self.names |= {engines.HELPERS_JS: "helpers", engines.TABBABLES_JS: "keyboard probe"}
        self.names |= {engines.ACTIVE_JS: "keyboard probe"}
        for name in ("FOCUS_LOG_START_JS", "FOCUS_LOG_READ_JS"):  # the focus log (absent before 2026-12-07)
            if hasattr(engines, name):
                self.names[getattr(engines, name)] = "keyboard probe"

    async def timed(self, step: str, call: Any) -> Any:
        began = time.perf_counter()
        try:
            return await call
        finally:
            self.seconds[step] += time.perf_counter() - began

    def browser(self, browser: Any) -> Any:
        steps = self

        class Keyboard:
            def __init__(self, keyboard: Any) -> None:
                self._keyboard = keyboard

            async def press(self, key: str) -> None:
                await steps.timed("keyboard probe", self._keyboard.press(key))

        class Page:
            """The audit's tab: its navigation and evaluations are timed; anything else passes through."""

            def __init__(self, page: Any) -> None:
                self._page = page
                self.keyboard = Keyboard(page.keyboard)

            def __getattr__(self, name: str) -> Any:
                return getattr(self._page, name)

            async def goto(self, url: str, **options: Any) -> Any:
                return await steps.timed("load (goto)", self._page.goto(url, **options))

            async def evaluate(self, script: str, *args: Any) -> Any:
                return await steps.timed(steps.names.get(script, "other evaluate"), self._page.evaluate(script, *args))

            async def bring_to_front(self) -> None:
                await steps.timed("clear between pages", self._page.bring_to_front())

        class Session:
            def __init__(self, session: Any) -> None:
                self._session = session

            async def send(self, method: str, params: Any = None) -> Any:
                step = "clear between pages"
                if method == "Runtime.evaluate":
                    step = steps.names.get(params["expression"], "other evaluate")
                return await steps.timed(step, self._session.send(method, params))

        class Context:
            def __init__(self, context: Any) -> None:
                self._context = context
                self._page: Page | None = None

            @property
            def pages(self) -> list[Any]:
                return [self._page if self._page and p is self._page._page else p for p in self._context.pages]

            async def add_init_script(self, script: str) -> None:
                await steps.timed("new context + page", self._context.add_init_script(script))

            async def new_page(self) -> Page:
                self._page = Page(await steps.timed("new context + page", self._context.new_page()))
                return self._page

            async def new_cdp_session(self, page: Page) -> Session:
                return Session(await steps.timed("new context + page", self._context.new_cdp_session(page._page)))

            async def clear_cookies(self) -> None:
                await steps.timed("clear between pages", self._context.clear_cookies())

            async def close(self) -> None:
                await steps.timed("close context", self._context.close())

        class Browser:
            async def new_context(self, **options: Any) -> Context:
                return Context(await steps.timed("new context + page", browser.new_context(**options)))

        return Browser()


async def profile(urls: list[str], server: int, samples: str) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    options = audit.AuditOptions(concurrency=1)
    steps = Steps()
    async with async_playwright() as playwright:
        browser = await audit.launch(playwright)
        try:
            await audit.audit_pages(browser, urls[:1], options)  # warm-up, not measured
            sampler = subprocess.Popen([sys.executable, __file__, "--sample", samples])
            await asyncio.sleep(0.5)
            before, busy_before, began = read_processes(), machine_cpu(), time.perf_counter()
            wrapped, tab = steps.browser(browser), None
            for url in urls:
                page, tab = await audit._guarded(wrapped, tab, url, options)
                if page.error:
                    raise SystemExit(f"{url}: {page.error}")
                # findings.merge and the engines' result parsing: what _audit_page spends beyond the calls
            wall = time.perf_counter() - began
            after, busy_after = read_processes(), machine_cpu()
            sampler.terminate()
            sampler.wait()
            if tab is not None:
                await tab.close()
        finally:
            await browser.close()
    seen = {int(pid): tuple(v) for pid, v in json.loads(Path(samples).read_text()).items()}
    # the last CPU reading of every process, with the first command line read that was not empty
    table = {pid: (v[0], v[1], v[2] or seen.get(pid, v)[2]) for pid, v in {**seen, **after}.items()}
    cpu: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for pid in table:
        what = kind(pid, table, os.getpid(), server)
        if what is None:
            continue
        end = after[pid][1] if pid in after else seen[pid][1]
        cpu[what] += end - (before[pid][1] if pid in before else 0.0)
        count[what] += 1
    return {
        "wall": wall,
        "cpu": dict(cpu),
        "count": dict(count),
        "steps": dict(steps.seconds),
        "machine": (busy_after[0] - busy_before[0], busy_after[1] - busy_before[1]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20, help="tenant pages audited one at a time (default 20)")
    parser.add_argument("--sample", help=argparse.SUPPRESS)  # the sampler process's own mode
    args = parser.parse_args()
    if args.sample:
        sample(args.sample)
        return 0
    with tempfile.TemporaryDirectory(prefix="soh-audit-profile-") as folder:
        process, sitemap_url = start_platform_tenant(args.pages, Path(folder))
        try:
            urls = sitemap.read_sitemap(sitemap_url)[: args.pages]
            load = os.getloadavg()[0]
            m = asyncio.run(profile(urls, process.pid, str(Path(folder) / "samples.json")))
        finally:
            process.terminate()
            process.wait(timeout=10)
    n, wall = len(urls), m["wall"]
    busy, total = m["machine"]
    print(f"{n} pages one at a time: {wall:.1f} s ({n / wall:.2f} pages/s); load average {load:.1f} before, ", end="")
    print(f"{os.getloadavg()[0]:.1f} after; the machine's {os.cpu_count()} cores {busy / total:.0%} busy")
    print(f"{'process':42} {'CPU s':>7} {'per page':>9} {'cores':>6}")
    for what, seconds in sorted(m["cpu"].items(), key=lambda item: -item[1]):
        label = f"{what} ({m['count'][what]})" if m["count"][what] > 1 else what
        print(f"{label:42} {seconds:>7.2f} {seconds / n:>9.2f} {seconds / wall:>6.2f}")
    ours = sum(m["cpu"].values())
    print(f"{'all of the audit':42} {ours:>7.2f} {ours / n:>9.2f} {ours / wall:>6.2f}")
    print("wall ms per page by step:")
    for step, seconds in m["steps"].items():
        print(f"  {step:24} {seconds / n * 1000:7.1f}")
    rest = wall - sum(m["steps"].values())
    print(f"  {'the rest (Python)':24} {rest / n * 1000:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
