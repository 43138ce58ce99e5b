"""Running the audit: pages in a bounded pool of browser contexts, each page under a timeout.

One Chromium (Debian's, through Playwright) serves the whole audit. Each of `concurrency` workers keeps
one browser context with one tab and audits its pages in it one after another, so a slow page holds one
worker, not the audit. Between two pages the worker clears everything the first could leave for the next
(windows it opened, cookies, storage, service workers, caches), so a page's findings do not depend on the
pages audited before it; a page that fails in any way gets its worker a fresh context.

Why not a fresh context per page: a new context and tab cost Chromium a new renderer process, and a new
renderer compiles the engines' 1.6 MB of scripts cold; a kept tab spends about 40% less CPU per page
(docs/decisions/0004-accessibility-audit-pool.md, 2026-12-02). A page that does not answer, answers with an error status or breaks
an engine is recorded with the reason and the others go on. Playwright is imported here only, when an
audit runs (never at DAG-parse time).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from . import engines, findings, policy, wcag
from .engines import EngineResult
from .findings import Finding

CHROMIUM = "/usr/bin/chromium"
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
)
"""The features Playwright 1.65 disables itself (chromiumSwitches.ts). Chromium keeps only the last
--disable-features switch, so ours must repeat them: without HttpsUpgrades in it, http:// pages would be
upgraded to https://. tests/accessibility/test_accessibility.py checks the launched browser's command line still holds
every one of them, so a Playwright upgrade that changes its list fails there."""
OMNIBOX_WEBUI_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup", "WebUIOmniboxFullPopup")
"""Chromium's headless mode opens a browser window per context, and each window loaded the omnibox popup
(chrome://omnibox-popup.top-chrome/) in a renderer process of its own: about 0.85 CPU-seconds per audited
page, a third of the audit's CPU (docs/decisions/0004-accessibility-audit-pool.md, 2026-12-01). No page ever sees the omnibox."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-features=" + ",".join((*PLAYWRIGHT_DISABLED_FEATURES, *OMNIBOX_WEBUI_FEATURES)),
]
VIEWPORT = {"width": 1280, "height": 900}
NO_WINDOWS = "window.open = () => null;"
"""Run in every frame before the page's own scripts: an audited page opens no window. A window it opened
would outlive the page and could write storage after `reset` cleared it (Playwright reports a new window a
moment after it opens, so `reset` could miss it under load); the audit looks only at the page itself."""
PAGES_PER_TAB = 50
"""Pages a worker audits in one context before it opens a fresh one: bounds whatever a long-lived tab and
its renderer accumulate (memory, history), at the cost of one new context per 50 pages."""
TAB_CHORE_SECONDS = 30
"""The longest clearing a tab between pages, or closing it, may take before it is given up."""


@dataclass(frozen=True)
class AuditOptions:
    standard: str = "WCAG 2.2 AA"
    concurrency: int = 2
    """Browser contexts auditing pages at once (about the number of cores: the engines are CPU-bound)."""
    page_timeout: float = 60.0
    """Seconds for one page: loading it and running every engine."""
    engines: tuple[str, ...] = engines.ENGINES
    max_tabs: int = 40
    """Tab presses the keyboard probe spends per page (traps further in are not found)."""
    host_rules: tuple[tuple[str, str], ...] = ()
    """(host or host:port, address:port) pairs Chromium connects to instead of looking the name up (`MAP`
    rules of --host-resolver-rules; a pattern with a port replaces the port too). Used for the spec's
    legacy_site.crawl.connect_to, so the legacy pages of the before-and-after comparison load from where the
    crawl fetched them, and for a live domain reached through the go-live settings' DNS (monitor.py). URLs
    and the Host header keep the public names."""
    ignore_https_errors: bool = False
    """Skip certificate verification: only for a site behind a local test CA (see live/reaudit.py)."""

    def __post_init__(self) -> None:
        if self.standard not in wcag.STANDARDS:
            raise ValueError(f"unknown standard {self.standard!r}; one of {', '.join(wcag.STANDARDS)}")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        unknown = set(self.engines) - set(engines.ENGINES)
        if unknown:
            raise ValueError(f"unknown engine(s) {', '.join(sorted(unknown))}; known: {', '.join(engines.ENGINES)}")


@dataclass
class PageResult:
    url: str
    status: int | None = None
    seconds: float = 0.0
    violations: list[Finding] = field(default_factory=list)
    needs_review: list[Finding] = field(default_factory=list)
    results: list[EngineResult] = field(default_factory=list)
    error: str | None = None
    tabbables: list[str] | None = None
    """The elements Tab can reach, when the keyboard probe ran: policy.py's keyboard confirmation."""
    engine_errors: list[dict[str, str]] = field(default_factory=list)
    """Engines whose script threw on this page ({"engine", "error"}): the page is audited by the others,
    and the report says which engine could not check it."""


@dataclass
class AuditResult:
    standard: str
    pages: list[PageResult]
    started: str
    seconds: float
    concurrency: int
    engine_versions: dict[str, str]
    discovery: dict[str, Any] = field(default_factory=dict)

    @property
    def audited(self) -> list[PageResult]:
        return [p for p in self.pages if p.error is None]

    @property
    def findings(self) -> list[Finding]:
        return [f for p in self.pages for f in p.violations]

    @property
    def needs_review(self) -> list[Finding]:
        return [f for p in self.pages for f in p.needs_review]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [{"url": p.url, "status": p.status, "error": p.error} for p in self.pages if p.error]

    def summary(self) -> dict[str, Any]:
        """The CLI's --json shape: violations only in `findings`, the rest kept apart."""
        return {
            "pages": len(self.audited),
            "findings": [f.as_dict(full=False) for f in self.findings],
            "needs_review": [f.as_dict(full=False) for f in self.needs_review],
            "errors": self.errors,
        }

    def as_dict(self) -> dict[str, Any]:
        """Everything, for audit.json: each finding with its rules, snippet and help."""
        return {
            "standard": self.standard,
            "started": self.started,
            "seconds": round(self.seconds, 2),
            "concurrency": self.concurrency,
            "engines": self.engine_versions,
            "discovery": self.discovery,
            "pages": len(self.audited),
            "pages_tried": len(self.pages),
            "findings": [f.as_dict() for f in self.findings],
            "needs_review": [f.as_dict() for f in self.needs_review],
            "errors": self.errors,
            "engine_errors": [e | {"url": p.url} for p in self.pages for e in p.engine_errors],
            "per_page": [
                {
                    "url": p.url,
                    "status": p.status,
                    "seconds": round(p.seconds, 2),
                    "violations": len(p.violations),
                    "needs_review": len(p.needs_review),
                    "error": p.error,
                    "engine_errors": p.engine_errors,
                }
                for p in self.pages
            ],
        }


async def _inject(session: Any, engine: str) -> None:
    """Run an engine's script in the page's main world through the tab's DevTools session, as the page's
    own scripts would run: Playwright's evaluate wraps the script in its own and compiles it again, about
    50 ms of CPU a page more for the engines' 1.6 MB (docs/decisions/0004-accessibility-audit-pool.md, 2026-12-02)."""
    reply = await session.send("Runtime.evaluate", {"expression": engines.scripts()[engine]})
    if details := reply.get("exceptionDetails"):
        reason = (details.get("exception") or {}).get("description") or details.get("text") or "an exception"
        raise RuntimeError(f"the {engine} engine failed to start in the page: {reason.splitlines()[0]}")


async def _run_engines(page: Any, session: Any, options: AuditOptions, result: PageResult) -> list[EngineResult]:
    await page.evaluate(engines.HELPERS_JS)
    results: list[EngineResult] = []
    steps = {
        "axe": lambda: page.evaluate(engines.AXE_JS, engines.AXE_TAGS[options.standard]),
        "ibm": lambda: page.evaluate(engines.IBM_JS, engines.IBM_RULESETS[options.standard]),
        "htmlcs": lambda: page.evaluate(engines.HTMLCS_JS),
    }
    readers = {"axe": engines.from_axe, "ibm": engines.from_ibm, "htmlcs": engines.from_htmlcs}
    for name, step in steps.items():
        if name not in options.engines:
            continue
        await _inject(session, name)
        try:
            results += readers[name](await step())
        except Exception as exc:  # the engine's own script threw on this page: the other engines go on
            if "Timeout" in type(exc).__name__ or "closed" in str(exc):
                raise
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            result.engine_errors.append({"engine": name, "error": reason[:300]})
    if "keyboard" in options.engines:
        tabbables = result.tabbables = await page.evaluate(engines.TABBABLES_JS)
        visited = await _tab_through(page, min(len(tabbables) + 3, options.max_tabs) if tabbables else 0)
        if (trap := engines.keyboard_trap(tabbables, visited)) is not None:
            results.append(trap)
        results += await _keyboard_checks(page, session, tabbables)
    return [r for r in results if all(wcag.in_standard(n, options.standard) for n in r.criteria) and r.criteria]


async def _keyboard_checks(page: Any, session: Any, tabbables: list[str]) -> list[EngineResult]:
    """The keyboard probe's checks beyond the Tab walk: elements that throw focus away (F55), and elements
    that answer mouse clicks where the keyboard cannot reach them (F42, F54), found by asking Chromium for
    the page's click listeners (inline `onclick` and `addEventListener` alike)."""
    results = [engines.focus_removed(t) for t in await page.evaluate(engines.FOCUS_REMOVED_JS, tabbables)]
    document = await session.send("Runtime.evaluate", {"expression": "document", "objectGroup": "soh-keyboard"})
    try:
        listeners = await session.send(
            "DOMDebugger.getEventListeners", {"objectId": document["result"]["objectId"], "depth": -1, "pierce": False}
        )
        nodes = sorted(
            {
                x["backendNodeId"]
                for x in listeners["listeners"]
                if x["type"] in engines.CLICK_EVENTS and x.get("backendNodeId")
            }
        )
        found: list[str] = []
        for node in nodes:
            element = await session.send("DOM.resolveNode", {"backendNodeId": node, "objectGroup": "soh-keyboard"})
            reply = await session.send(
                "Runtime.callFunctionOn",
                {
                    "objectId": element["object"]["objectId"],
                    "functionDeclaration": engines.CLICK_ONLY_JS,
                    "returnByValue": True,
                },
            )
            target = reply.get("result", {}).get("value")
            if target and target not in found:
                found.append(target)
        results += [engines.click_without_keyboard(t) for t in found]
    finally:
        await session.send("Runtime.releaseObjectGroup", {"objectGroup": "soh-keyboard"})
    return results


KEYS_PER_READ = 8
"""Tab presses between two reads of the focus log (engines.FOCUS_LOG_JS) when the page has no frames."""


async def _tab_through(page: Any, presses: int) -> list[str | None]:
    """The focused element after each of up to `presses` Tab presses, stopping when focus leaves the page
    (None). Reading focus after every press cost a round trip to the page each (about 20 a page); the
    context's focus log records it in the page at each keydown instead, read every KEYS_PER_READ presses.
    A page with frames is read after every press: a frame holding focus gets the keydown, not the page."""
    visited: list[str | None] = []
    if not presses:
        return visited
    if not await page.evaluate(engines.FOCUS_LOG_START_JS):
        while len(visited) < presses:
            chunk = min(KEYS_PER_READ, presses - len(visited))
            for _ in range(chunk):
                await page.keyboard.press("Tab")
            log = await page.evaluate(engines.FOCUS_LOG_READ_JS)
            if log["presses"] != len(visited) + chunk:  # a press the log missed: read after each one instead
                break
            visited = log["visited"]
            if None in visited:
                return visited[: visited.index(None) + 1]
        else:
            return visited
    for _ in range(presses - len(visited)):
        await page.keyboard.press("Tab")
        visited.append(await page.evaluate(engines.ACTIVE_JS))
        if visited[-1] is None:
            break
    return visited


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


@dataclass
class _Tab:
    """One worker's browser context and tab, kept from one audited page to the next (see the module's
    docstring for why), with the origins its pages used so that `reset` can clear their storage."""

    context: Any
    page: Any
    session: Any
    """A DevTools session on the tab: to inject the engines (`_inject`) and clear storage between pages
    (Storage.clearDataForOrigin, for which Playwright has no call)."""
    origins: set[str] = field(default_factory=set)
    pages: int = 0

    @classmethod
    async def open(cls, browser: Any, options: AuditOptions) -> _Tab:
        context = await browser.new_context(
            viewport=VIEWPORT, java_script_enabled=True, ignore_https_errors=options.ignore_https_errors
        )
        try:
            await context.add_init_script(NO_WINDOWS + engines.FOCUS_LOG_JS)
            page = await context.new_page()
            page.set_default_timeout(options.page_timeout * 1000)
            tab = cls(context, page, await context.new_cdp_session(page))
        except BaseException:
            await context.close()
            raise
        page.on("framenavigated", lambda frame: tab.note(frame.url))
        return tab

    def note(self, url: str) -> None:
        if origin := _origin(url):
            self.origins.add(origin)

    async def reset(self) -> bool:
        """Leave nothing of the page just audited for the next one: any window it opened, the storage of
        every origin its frames showed (Chromium's "all": cookies, local and session storage, IndexedDB,
        service workers, caches), and every cookie, whichever origin set it (a redirect on the way, say).
        False if any of it failed or took over TAB_CHORE_SECONDS: the worker then opens a fresh context
        instead, and the page's result stands."""
        try:
            async with asyncio.timeout(TAB_CHORE_SECONDS):
                for other in self.context.pages:
                    for frame in other.frames:
                        self.note(frame.url)
                    if other is not self.page:
                        await other.close()
                for origin in sorted(self.origins):
                    await self.session.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
                self.origins.clear()
                await self.context.clear_cookies()
                await self.page.bring_to_front()  # the keyboard probe may have tabbed focus out of the page
        except Exception:  # a page that broke the tab must not cost its own result
            return False
        return True

    async def close(self) -> None:
        """Close the context; one that cannot close (a crashed or hung browser) has nothing left to lose."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.context.close(), timeout=TAB_CHORE_SECONDS)


async def _audit_page(tab: _Tab, url: str, options: AuditOptions) -> PageResult:
    result = PageResult(url=url)
    started = time.perf_counter()
    try:
        response = await tab.page.goto(url, wait_until="load", timeout=options.page_timeout * 1000)
        result.status = response.status if response is not None else None
        if response is not None and response.status >= 400:
            result.error = f"HTTP {response.status}: the page could not be audited"
            return result
        result.results = await _run_engines(tab.page, tab.session, options, result)
        result.violations, result.needs_review = findings.merge(url, result.results, result.tabbables)
    finally:
        result.seconds = time.perf_counter() - started
    return result


async def _guarded(browser: Any, tab: _Tab | None, url: str, options: AuditOptions) -> tuple[PageResult, _Tab | None]:
    """Audit one page in the worker's tab (a new one if None) within the page timeout. Returns the result
    and the tab for the next page: None after any failure, so the next page starts in a fresh context."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(options.page_timeout):
            if tab is None:
                tab = await _Tab.open(browser, options)
            result = await _audit_page(tab, url, options)
        tab.pages += 1
        if result.error is None and tab.pages < PAGES_PER_TAB and await tab.reset():
            return result, tab
    except TimeoutError:
        result = PageResult(url=url, seconds=time.perf_counter() - started)
        result.error = f"timed out after {options.page_timeout:g} s"
    except Exception as exc:  # one page's failure (network, engine, browser) must not stop the others
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "Timeout" in type(exc).__name__:
            message = f"timed out after {options.page_timeout:g} s"
        result = PageResult(url=url, seconds=time.perf_counter() - started, error=message[:300])
    if tab is not None:
        await tab.close()
    return result, None


async def audit_pages(
    browser: Any, urls: list[str], options: AuditOptions, progress: Callable[[str], None] | None = None
) -> list[PageResult]:
    """Audit the pages with an open Playwright browser: `options.concurrency` workers, each with a browser
    context of its own, cleared between pages. Results in the order of `urls`."""
    engines.scripts()  # fail early, with how to install them, if an engine is missing
    policy.current()  # and with the file and entry if the merge policy is wrong, not once per page
    results: dict[int, PageResult] = {}
    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for item in enumerate(urls):
        queue.put_nowait(item)

    async def worker() -> None:
        tab: _Tab | None = None
        try:
            while True:
                try:
                    index, url = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                results[index], tab = await _guarded(browser, tab, url, options)
                if progress:
                    page = results[index]
                    state = page.error or f"{len(page.violations)} violation(s), {len(page.needs_review)} to review"
                    progress(f"[{len(results)}/{len(urls)}] {url}: {state}")
        finally:
            if tab is not None:
                await tab.close()

    await asyncio.gather(*(worker() for _ in range(min(options.concurrency, max(len(urls), 1)))))
    return [results[i] for i in range(len(urls))]


async def launch(playwright: Any, host_rules: tuple[tuple[str, str], ...] = ()) -> Any:
    """Debian's Chromium (`playwright install` cannot download browsers here), with `host_rules` if any."""
    rules = ", ".join(f"MAP {host} {target}" for host, target in host_rules)
    extra = [f"--host-resolver-rules={rules}"] if rules else []
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra])


async def _audit(urls: list[str], options: AuditOptions, progress: Callable[[str], None] | None) -> list[PageResult]:
    from playwright.async_api import async_playwright

    engines.scripts()
    async with async_playwright() as playwright:
        browser = await launch(playwright, options.host_rules)
        try:
            return await audit_pages(browser, urls, options, progress)
        finally:
            await browser.close()


def audit(
    urls: Iterable[str],
    options: AuditOptions | None = None,
    *,
    progress: Callable[[str], None] | None = None,
    discovery: dict[str, Any] | None = None,
) -> AuditResult:
    """Audit the pages (in their order, duplicates dropped) and merge the engines' findings."""
    options = options or AuditOptions()
    urls = list(dict.fromkeys(urls))
    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.perf_counter()
    pages = asyncio.run(_audit(urls, options, progress))
    return AuditResult(
        standard=options.standard,
        pages=pages,
        started=started,
        seconds=time.perf_counter() - clock,
        concurrency=options.concurrency,
        engine_versions={name: version for name, version in engines.versions().items() if name in options.engines},
        discovery=discovery or {},
    )
