"""The edge adapter (soh_onboarding/edge/) through Cloudflare's official library against the sandbox edge,
a real HTTP server on 127.0.0.1 speaking Cloudflare's API v4: converging, a second run, faults, the rate
limit, a kill half-way, and the errors a user meets."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from conftest import DEMO, ROOT, airflow_env
from sandbox.edge.server import SandboxEdge, start
from sandbox.platform.faults import Faults
from soh_onboarding.edge import model
from soh_onboarding.edge.cloudflare import CloudflareEdge, EdgeCredentials

ZONES = ["demoshire-police.example", "soh.example"]
NEW, OLD = "demo.soh.example", ("www.demoshire-police.example", "demoshire-police.example")


def spec() -> dict[str, Any]:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    data["tenant"]["domains"] = [NEW]
    return data


def redirects(count: int) -> list[dict[str, Any]]:
    rows = [{"from_path": f"/news/item-{i}.aspx", "to_path": f"/news/item-{i}", "status": 301} for i in range(count)]
    return [
        *rows,
        {"from_path": "/search?q=1", "to_path": "/search", "status": 301},
        {"from_path": "/old", "to_path": None, "status": 410},
    ]


def want(count: int = 40, live: bool = False) -> model.Desired:
    return model.desired(spec(), redirects(count), model.EdgeSettings.load(), live=live)


@pytest.fixture
def edge() -> Iterator[tuple[SandboxEdge, Any]]:
    sandbox = SandboxEdge(zones=list(ZONES))
    with start(sandbox) as running:
        yield sandbox, running


def connect(running: Any, sandbox: SandboxEdge, **options: Any) -> CloudflareEdge:
    return CloudflareEdge.connect(EdgeCredentials(sandbox.account_id, sandbox.token, running.api_url), **options)


def end_state(sandbox: SandboxEdge) -> dict[str, Any]:
    """What the sandbox holds, without ids and times: the same for any two runs that converged alike."""
    data = sandbox.store.data
    records = sorted((r["name"], r["type"], r["content"], r["proxied"], r["comment"]) for r in data["records"].values())
    items = sorted(
        (found["name"], item["redirect"]["source_url"], item["redirect"]["target_url"], item["redirect"]["status_code"])
        for list_id, found in data["lists"].items()
        for item in data["items"][list_id].values()
    )
    rules = sorted(
        (ruleset["phase"], rule["ref"], rule["expression"], str(rule["action_parameters"]))
        for key, ruleset in data["rulesets"].items()
        if isinstance(ruleset, dict)
        for rule in ruleset["rules"]
    )
    settings = sorted(
        (data["zones"][zone]["name"], name, str(value["value"]))
        for zone, values in data["settings"].items()
        for name, value in values.items()
    )
    lists = sorted(found["name"] for found in data["lists"].values())
    return {"records": records, "items": items, "rules": rules, "settings": settings, "lists": lists}


def duplicates(sandbox: SandboxEdge) -> dict[str, list]:
    data = sandbox.store.data
    records = Counter((r["name"], r["type"], r["content"]) for r in data["records"].values())
    items = Counter(item["redirect"]["source_url"] for items in data["items"].values() for item in items.values())
    refs = Counter(
        (ruleset["phase"], rule["ref"])
        for ruleset in data["rulesets"].values()
        if isinstance(ruleset, dict)
        for rule in ruleset["rules"]
    )
    lists = Counter(found["name"] for found in data["lists"].values())
    return {
        name: [k for k, n in counter.items() if n > 1]
        for name, counter in (("records", records), ("items", items), ("rules", refs), ("lists", lists))
    }


def _writes(sandbox: SandboxEdge) -> int:
    return sum(count for key, count in sandbox.store.stats.requests.items() if not key.startswith("GET"))


def test_desired_edge_from_the_spec_and_the_redirect_map() -> None:
    before, after = want(3), want(3, live=True)
    assert [(r.name, r.type, r.content) for r in before.records] == [(NEW, "A", "127.0.0.1")]
    assert {r.name for r in after.records} == {NEW, *OLD}, "the switch adds the old domains"
    assert len(before.redirects) == 6, "each old URL on both old domains"
    assert before.redirects[0] == model.Redirect(
        "demoshire-police.example/news/item-0.aspx", f"https://{NEW}/news/item-0"
    )
    assert before.by_rule == (
        model.OldUrl("/old", None),
        model.OldUrl("/search?q=1", f"https://{NEW}/search"),
    ), "the 410 and the old URL with a query are the zones' rules"
    assert before.not_at_edge == () and "This page has been removed" in before.gone_page
    assert f'href="https://{NEW}/"' in before.gone_page
    assert before.list_name == "soh_demo_redirects" and before.rule_ref == "soh_demo"


def test_first_run_writes_everything_and_the_second_changes_nothing(edge) -> None:
    sandbox, running = edge
    client = connect(running, sandbox)
    first = client.converge(want())
    counts = first.first.counts()
    assert counts["dns"] == {"create": 1} and counts["redirects"] == {"create": 81}, counts
    assert counts["tls"] == counts["hsts"] == {"update": 1}, counts
    assert counts["headers"] == counts["redirect-rule"] == {"create": 1}, counts
    assert counts["query-redirects"] == counts["gone"] == {"create": 1}, counts
    assert first.changed and not first.refused and first.first.left == []

    requests_before = sandbox.store.stats.as_dict()["total_requests"]
    writes_before = _writes(sandbox)
    second = client.converge(want())
    assert not second.changed and second.first.changes == []
    assert second.first.lines() == ["nothing to change: the edge already matches"]
    assert second.first.unchanged["redirects"] == 80 and second.first.unchanged["dns"] == 1
    after = sandbox.store.stats.as_dict()["total_requests"] - requests_before
    assert _writes(sandbox) == writes_before and writes_before > 0, "the first run wrote, the second only read"
    assert after <= 10, f"one read per part of the edge ({after} requests)"
    assert duplicates(sandbox) == {"records": [], "items": [], "rules": [], "lists": []}

    # What the ingress will serve from that state.
    assert sandbox.store.redirect_for("www.demoshire-police.example", "/news/item-7.aspx") == (
        301,
        f"https://{NEW}/news/item-7",
    )
    headers = sandbox.store.response_headers(NEW)
    assert headers["X-Frame-Options"] == "DENY" and headers["Strict-Transport-Security"].startswith("max-age=31536000")
    serve = sandbox.store.answer_for
    assert serve("https", OLD[0], "/search", "q=1") == (301, {"Location": f"https://{NEW}/search"}, b"")
    assert serve("https", OLD[0], "/search", "q=2") is None, "another query is the origin's"
    status, gone_headers, body = serve("http", OLD[1], "/old", "")
    assert (status, gone_headers["Content-Type"]) == (410, "text/html") and b"This page has been removed" in body
    assert serve("https", OLD[1], "/old", "utm_source=x")[0] == 410, "a retired path is gone whatever its query"
    assert serve("https", OLD[0], "/news/item-7.aspx", "")[0] == 301


def test_dry_run_prints_the_diff_and_writes_nothing(edge) -> None:
    sandbox, running = edge
    client = connect(running, sandbox)
    client.converge(want(5))
    changed = want(6, live=True)
    plan = client.plan(changed)
    lines = plan.lines()
    assert "+ dns www.demoshire-police.example A: " in "\n".join(lines)
    assert "+ redirects www.demoshire-police.example/news/item-5.aspx" in "\n".join(lines)
    assert not any(line.startswith("-") for line in lines), lines
    assert sandbox.store.redirect_for("www.demoshire-police.example", "/news/item-5.aspx") is None
    before = _writes(sandbox)
    client.plan(changed)
    assert _writes(sandbox) == before


def test_a_changed_redirect_map_replaces_only_what_differs(edge) -> None:
    sandbox, running = edge
    client = connect(running, sandbox)
    client.converge(want(10))
    moved = want(10)
    rows = [
        item if "item-3." not in item.source_url else model.Redirect(item.source_url, f"https://{NEW}/moved")
        for item in moved.redirects
    ]
    moved = model.Desired(**{**moved.__dict__, "redirects": tuple(rows)})
    outcome = client.converge(moved)
    assert outcome.first.counts()["redirects"] == {"delete": 2, "create": 2}
    assert sandbox.store.redirect_for("demoshire-police.example", "/news/item-3.aspx") == (301, f"https://{NEW}/moved")


def test_the_go_live_switch_replaces_the_old_domains_records(edge) -> None:
    """The switch is the DNS change: the legacy site's records on the old domains give way to ours."""
    sandbox, running = edge
    zone = sandbox.store.zones("demoshire-police.example")[0]["id"]
    sandbox.store.create_record(
        zone, {"name": "www.demoshire-police.example", "type": "CNAME", "content": "legacy.host.example"}
    )
    client = connect(running, sandbox)
    client.converge(want(3))
    assert sandbox.store.dns_answer("www.demoshire-police.example")[0]["content"] == "legacy.host.example"
    plan = client.plan(want(3, live=True))
    assert {(c.action, c.key) for c in plan.of("dns")} == {
        ("delete", "www.demoshire-police.example CNAME"),
        ("create", "www.demoshire-police.example A"),
        ("create", "demoshire-police.example A"),
    }
    client.converge(want(3, live=True))
    answer = sandbox.store.dns_answer("www.demoshire-police.example")
    assert [(r["type"], r["content"], r["proxied"]) for r in answer] == [("A", "127.0.0.1", True)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_thirty_percent_faults_converge_with_no_duplicate(seed: int) -> None:
    reference = SandboxEdge(zones=list(ZONES))
    with start(reference) as running:
        connect(running, reference).converge(want(120, live=True))
    faulty = SandboxEdge(zones=list(ZONES), faults=Faults.mixed(0.3, seed=seed, stall_seconds=1.2, retry_after=1))
    with start(faulty) as running:
        outcome = connect(running, faulty, max_retries=12, timeout=0.8).converge(want(120, live=True))
        served = faulty.store.stats.as_dict()["faults"]
        assert sum(served.values()) >= 5, served
        assert duplicates(faulty) == {"records": [], "items": [], "rules": [], "lists": []}
        assert end_state(faulty) == end_state(reference)
        again = connect(running, faulty, max_retries=12, timeout=0.8).converge(want(120, live=True))
        assert not again.changed, again.first.lines()
    assert outcome.changed


def test_the_rate_limit_is_waited_out() -> None:
    sandbox = SandboxEdge(zones=list(ZONES), rate_limit=15, rate_window=1.0)
    with start(sandbox) as running:
        outcome = connect(running, sandbox).converge(want(20, live=True))
        assert sandbox.store.stats.rate_limited > 0
        assert not connect(running, sandbox).converge(want(20, live=True)).changed
    assert outcome.changed


KILLED = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [{plugins!r}, {root!r}, {tests!r}, {edge_tests!r}]
    from soh_onboarding.edge import cloudflare, model
    import test_cloudflare_edge as t
    cloudflare.ITEMS_PER_OPERATION = 50
    edge = cloudflare.CloudflareEdge.connect(cloudflare.EdgeCredentials({account!r}, {token!r}, {url!r}))
    edge.converge(t.want(400, live=True), progress=lambda line: print(line, flush=True))
    """
)


def test_killed_half_way_it_resumes_to_the_same_end_state(edge) -> None:
    sandbox, running = edge
    code = KILLED.format(
        plugins=str(ROOT / "plugins"),
        root=str(ROOT),
        tests=str(ROOT / "tests"),
        edge_tests=str(ROOT / "tests" / "edge"),
        account=sandbox.account_id,
        token=sandbox.token,
        url=running.api_url,
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=airflow_env(), cwd=ROOT
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "sent 200 of 800" in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the run was killed before it finished"
    held = sum(len(items) for items in sandbox.store.data["items"].values())
    assert 200 <= held < 800, held

    resumed = connect(running, sandbox).converge(want(400, live=True))
    assert resumed.first.counts()["redirects"]["create"] == 800 - held
    reference = SandboxEdge(zones=list(ZONES))
    with start(reference) as other:
        connect(other, reference).converge(want(400, live=True))
    assert end_state(sandbox) == end_state(reference)
    assert duplicates(sandbox) == {"records": [], "items": [], "rules": [], "lists": []}


def test_a_wrong_token_is_a_clear_error_without_the_token(edge) -> None:
    sandbox, running = edge
    secret = "wrong-token-1234567890"
    client = CloudflareEdge.connect(EdgeCredentials(sandbox.account_id, secret, running.api_url))
    with pytest.raises(model.EdgeError) as refused:
        client.converge(want(2))
    assert "soh_edge" in str(refused.value) and "403" in str(refused.value)
    assert secret not in str(refused.value) and secret not in repr(client.client) + repr(EdgeCredentials("a", secret))


def test_a_zone_the_account_lacks_is_named(edge) -> None:
    sandbox, running = edge
    data = spec()
    data["tenant"]["domains"] = ["thames.police.example"]
    client = connect(running, sandbox)
    with pytest.raises(model.EdgeError, match=r"no zone for thames\.police\.example"):
        client.converge(model.desired(data, [], model.EdgeSettings.load(), live=False))


def test_credentials_from_the_environment_and_their_errors() -> None:
    with pytest.raises(model.EdgeError, match="SOH_EDGE_TOKEN and SOH_EDGE_ACCOUNT_ID"):
        EdgeCredentials.from_env({})
    made = EdgeCredentials.from_env({"SOH_EDGE_TOKEN": "t0ken", "SOH_EDGE_ACCOUNT_ID": "a" * 32})
    assert made.base_url is None and "t0ken" not in repr(made)
    with pytest.raises(Exception, match="https"):
        EdgeCredentials("a" * 32, "t", "http://edge.example.net/client/v4")


def test_a_list_write_sent_twice_is_refused_then_re_read(edge) -> None:
    """A list write whose answer was lost is sent again and refused (its source URLs are there already):
    the operation fails with Cloudflare's reason, and converge reads the list again and finds nothing to do."""
    sandbox, running = edge
    client = connect(running, sandbox)
    plan = client.plan(want(5))
    client.apply(want(5), plan)
    again = [c for c in plan.of("redirects") if not c.key.startswith("list ")]
    with pytest.raises(model.EdgeError, match="already in the list"):
        client._write_items(want(5), again, lambda line: None)
    assert not client.converge(want(5)).changed
    assert duplicates(sandbox)["items"] == []


def test_a_path_the_map_has_with_and_without_a_query_is_told_apart_as_the_platform_does(edge) -> None:
    """Single Redirects and custom rules run before Bulk Redirects: /newsitem.aspx?id=22 meets its own rule,
    ?id=23 its 410, and any other query the path's Bulk Redirect (the platform: path and query first, then
    the path alone)."""
    rows = [
        {"from_path": "/newsitem.aspx", "to_path": "/news/", "status": 301},
        {"from_path": "/newsitem.aspx?id=22", "to_path": "/news/story-22/", "status": 301},
        {"from_path": "/newsitem.aspx?id=23", "to_path": None, "status": 410},
        {"from_path": "/about.aspx", "to_path": "/about/", "status": 301},
    ]
    wanted = model.desired(spec(), rows, model.EdgeSettings.load(), live=False)
    assert {item.source_url.split("/", 1)[1] for item in wanted.redirects} == {"about.aspx", "newsitem.aspx"}
    sandbox, running = edge
    assert not connect(running, sandbox).converge(wanted).refused
    serve = sandbox.store.answer_for
    host = OLD[0]
    assert serve("https", host, "/newsitem.aspx", "id=22")[1] == {"Location": f"https://{NEW}/news/story-22/"}
    assert serve("https", host, "/newsitem.aspx", "id=23")[0] == 410
    assert serve("https", host, "/newsitem.aspx", "id=99")[1] == {"Location": f"https://{NEW}/news/"}
    assert serve("https", host, "/newsitem.aspx", "")[1] == {"Location": f"https://{NEW}/news/"}


def many(queried: int, gone: int, limits: model.RuleLimits) -> model.Desired:
    rows = [{"from_path": f"/page.aspx?id={i}", "to_path": f"/news/{i}", "status": 301} for i in range(queried)]
    rows += [{"from_path": f"/retired/{i:04d}.aspx", "to_path": None, "status": 410} for i in range(gone)]
    settings = model.EdgeSettings.load()
    return model.desired(spec(), rows, model.EdgeSettings(**{**settings.__dict__, "limits": limits}), live=False)


def test_the_plans_rule_budget_is_kept_and_what_it_leaves_is_reported() -> None:
    """Rules beyond the plan's quota are refused by the edge, so the plan stops at the budget (less the
    zone's rules that are not ours) and lists every old URL it leaves to the origin; the 410s share rules
    up to the expression limit."""
    sandbox = SandboxEdge(
        zones=list(ZONES), rule_limits={"http_request_dynamic_redirect": 4, "http_request_firewall_custom": 3}
    )
    zone = sandbox.store.zones("demoshire-police.example")[0]["id"]
    foreign = {"ref": "force_own", "expression": 'http.request.uri.path eq "/x"', "action": "redirect"}
    foreign["action_parameters"] = {"from_value": {"target_url": {"value": "https://force.example/x"}}}
    sandbox.store.put_entrypoint("zones", zone, "http_request_dynamic_redirect", {"rules": [foreign]})
    limits = model.RuleLimits(single_redirects=4, custom_rules=3, expression_chars=400)
    wanted = many(queried=6, gone=60, limits=limits)
    with start(sandbox) as running:
        outcome = connect(running, sandbox).converge(wanted)
        assert not outcome.refused, outcome.refused
        counts = outcome.first.counts()
        assert counts["query-redirects"] == {"create": 3}, "4 allowed, one is the force's own"
        assert counts["gone"] == {"create": 3}
        left = outcome.first.left
        assert len([line for line in left if "Single Redirect rules are spent" in line]) == 3
        gone_left = [line for line in left if "custom rules are spent" in line]
        rules = sandbox.store.entrypoint("zones", zone, "http_request_firewall_custom")["rules"]
        assert all(len(rule["expression"]) <= 400 for rule in rules)
        held = sum(rule["expression"].count('"/retired/') for rule in rules)
        assert held + len(gone_left) == 60 and held > 3, (held, len(gone_left))
        assert sandbox.store.answer_for("https", OLD[0], "/retired/0000.aspx", "")[0] == 410
        assert sandbox.store.answer_for("https", OLD[0], "/retired/0059.aspx", "") is None, "left to the origin"
        assert sandbox.store.answer_for("https", OLD[0], "/x", "")[1] == {"Location": "https://force.example/x"}
        assert not connect(running, sandbox).converge(wanted).changed

        fewer = many(queried=1, gone=2, limits=limits)  # the map shrank: our spare rules go, the force's stay
        shrunk = connect(running, sandbox).converge(fewer)
        assert shrunk.first.counts()["query-redirects"] == {"delete": 2}
        assert shrunk.first.counts()["gone"] == {"delete": 2, "update": 1}
        refs = [r["ref"] for r in sandbox.store.entrypoint("zones", zone, "http_request_dynamic_redirect")["rules"]]
        assert refs[0] == "force_own" and len(refs) == 2
        assert not connect(running, sandbox).converge(fewer).changed
        assert duplicates(sandbox)["rules"] == []


def test_an_old_domain_without_a_zone_leaves_its_rules_to_the_origin(edge) -> None:
    """Before the switch the account may not hold the old domain's zone yet: the Bulk Redirects (account
    level) go to the edge, the rules wait, and the report says so."""
    sandbox, running = edge
    data = spec()
    data["go_live"]["old_domains"] = ["www.elsewhere-police.example"]
    wanted = model.desired(data, redirects(3), model.EdgeSettings.load(), live=False)
    outcome = connect(running, sandbox).converge(wanted)
    assert outcome.first.left == [
        "2 old URLs on www.elsewhere-police.example (410s and URLs with a query): the edge account holds no zone "
        "for www.elsewhere-police.example yet, so the origin answers them; a run after the zone is added puts "
        "them at the edge"
    ]
    assert outcome.first.counts()["redirects"] == {"create": 4}, "the list and the 3 old URLs"


@pytest.mark.parametrize(
    ("rule", "refusal"),
    [
        ({"expression": 'http.host eq "a" and', "action": "block"}, "filter parsing error"),
        ({"expression": 'http.host in {"a" "b"', "action": "block"}, "filter parsing error"),
        ({"expression": 'http.cookie eq "a"', "action": "block"}, "unknown field"),
        ({"expression": "http.host eq " + '"' + "a" * 5000 + '"', "action": "block"}, "longer than 4096"),
        ({"expression": "true", "action": "redirect"}, "not a valid action"),
        (
            {"expression": "true", "action": "block", "action_parameters": {"response": {"status_code": 500}}},
            "needs content",
        ),
        (
            {
                "expression": "true",
                "action": "block",
                "action_parameters": {"response": {"status_code": 302, "content": "x", "content_type": "text/html"}},
            },
            "between 400 and 499",
        ),
    ],
)
def test_the_sandbox_refuses_a_rule_cloudflare_would(rule: dict[str, Any], refusal: str) -> None:
    from sandbox.edge.state import CloudflareError

    sandbox = SandboxEdge(zones=list(ZONES))
    zone = sandbox.store.zones("soh.example")[0]["id"]
    with pytest.raises(CloudflareError, match=refusal) as refused:
        sandbox.store.put_entrypoint("zones", zone, "http_request_firewall_custom", {"rules": [rule]})
    assert refused.value.status == 400


def test_quotes_and_backslashes_in_an_old_url_are_escaped_in_the_rule(edge) -> None:
    """An old URL is untrusted text from the legacy site: written into a rule expression it is quoted, so
    it matches itself and nothing else and cannot end the expression early."""
    sandbox, running = edge
    odd = '/a"b\\c.aspx'
    rows = [
        {"from_path": odd, "to_path": None, "status": 410},
        {"from_path": '/q.aspx?x=" or true or "', "to_path": "/q", "status": 301},
    ]
    wanted = model.desired(spec(), rows, model.EdgeSettings.load(), live=False)
    assert not connect(running, sandbox).converge(wanted).refused
    serve = sandbox.store.answer_for
    assert serve("https", OLD[0], odd, "")[0] == 410
    assert serve("https", OLD[0], "/q.aspx", 'x=" or true or "')[1] == {"Location": f"https://{NEW}/q"}
    assert serve("https", OLD[0], "/q.aspx", "x=1") is None and serve("https", OLD[0], "/other", "") is None


def test_redirects_off_the_site_and_410s_with_a_suggestion(edge) -> None:
    """A national destination and an archived copy are whole URLs in the Bulk Redirect list; a 410 that
    offers a suggested page is left to the platform (a custom rule's page is one for all its paths), a
    plain 410 is the edge's."""
    archived = "https://webarchive.nationalarchives.gov.uk/ukgwa/20240101000000/http://old.example/history.aspx"
    rows = [
        {"from_path": "/neighbourhoods.aspx", "to_path": "https://www.police.uk/pu/your-area/", "status": 301},
        {"from_path": "/history.aspx", "to_path": archived, "status": 301},
        {"from_path": "/jobs/closed.aspx", "to_path": None, "status": 410},
        {"from_path": "/advice/burglary.aspx", "to_path": None, "status": 410, "suggested_path": "/advice/b/"},
    ]
    wanted = model.desired(spec(), rows, model.EdgeSettings.load(), live=False)
    assert {url.from_path for url in wanted.by_rule} == {"/jobs/closed.aspx"}
    sandbox, running = edge
    assert not connect(running, sandbox).converge(wanted).refused
    serve = sandbox.store.answer_for
    host = OLD[0]
    assert serve("https", host, "/neighbourhoods.aspx", "")[:2] == (
        301,
        {"Location": "https://www.police.uk/pu/your-area/"},
    )
    assert serve("https", host, "/history.aspx", "")[:2] == (301, {"Location": archived})
    assert serve("https", host, "/jobs/closed.aspx", "")[0] == 410
    assert serve("https", host, "/advice/burglary.aspx", "") is None  # to the origin: the platform's 410 page
