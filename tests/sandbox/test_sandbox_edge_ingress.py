"""The sandbox ingress serves what the sandbox edge's state says, as Cloudflare's edge would: a domain with
a proxied record resolves to the ingress, a Bulk Redirect answers before the origin, and the zone's
response-header rule and HSTS are on every https answer. The edge's state is written by the edge adapter
through the official library and read by the ingress from the edge's file, as bin/run runs them."""

from __future__ import annotations

import http.client
import socket
import ssl
from pathlib import Path

import dns.message
import dns.query
import yaml

from conftest import DEMO
from sandbox.edge.server import SandboxEdge
from sandbox.edge.server import start as start_edge
from sandbox.ingress import start as start_ingress
from sandbox.platform import SandboxPlatform
from sandbox.platform import start as start_platform
from sandbox.platform.scenarios import configured_tenant
from soh_onboarding.edge import model
from soh_onboarding.edge.cloudflare import CloudflareEdge, EdgeCredentials

NEW, OLD = "www.good-force.example", "www.demoshire-police.example"


def answer(address: str, name: str) -> list[str]:
    host, port = address.split(":")
    reply = dns.query.udp(dns.message.make_query(name, "A"), host, port=int(port), timeout=5)
    return [item.address for rrset in reply.answer for item in rrset]


def https_get(port: int, host: str, path: str, cafile: str) -> http.client.HTTPResponse:
    """GET https://host/path from the ingress on 127.0.0.1:port, with the host's name for SNI and the check."""
    context = ssl.create_default_context(cafile=cafile)
    connection = http.client.HTTPSConnection(host, port, timeout=10, context=context)
    connection.sock = context.wrap_socket(
        socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname=host
    )
    connection.request("GET", path, headers={"Host": host})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_the_ingress_answers_from_the_edge_state(tmp_path: Path) -> None:
    platform = SandboxPlatform(tmp_path / "platform.sqlite3", token="t")
    configured_tenant(platform, "good", (NEW,), state="live")
    edge = SandboxEdge(zones=["good-force.example", "demoshire-police.example"], state_file=tmp_path / "edge.json")
    spec = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    spec["tenant"] |= {"tenant_id": "good", "domains": [NEW]}
    spec["go_live"]["old_domains"] = [OLD]
    redirects = [{"from_path": "/news/a.aspx", "to_path": "/news/a/", "status": 301}]
    with (
        start_platform(platform) as served,
        start_edge(edge) as edge_served,
        start_ingress(
            tmp_path / "ingress", served.port, tmp_path / "platform.sqlite3", edge_state=edge.state_file
        ) as ingress,
    ):
        assert answer(ingress.dns.address, OLD) == [], "before the switch the edge holds no record for the old domain"
        client = CloudflareEdge.connect(EdgeCredentials(edge.account_id, edge.token, edge_served.api_url))
        client.converge(model.desired(spec, redirects, model.EdgeSettings.load(), live=True))
        assert answer(ingress.dns.address, OLD) == ["127.0.0.1"], "the switch's proxied record resolves to the edge"

        plain = http.client.HTTPConnection("127.0.0.1", ingress.ingress.ports["http"], timeout=10)
        plain.request("GET", "/news/a.aspx", headers={"Host": OLD})
        moved = plain.getresponse()
        assert moved.status == 301 and moved.getheader("Location") == f"https://{NEW}/news/a/"

        page = https_get(ingress.ingress.ports["https"], NEW, "/", str(ingress.ca.bundle))
        assert page.status == 200
        assert page.getheader("X-Frame-Options") == "DENY", "the zone's response-header rule"
        assert page.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains", "the zone's HSTS"


def test_the_ingress_logs_each_answer_as_the_edges_logpush_does(tmp_path: Path) -> None:
    """With a Logpush folder, every answer to a tenant's host is a Logpush JSON line in
    <folder>/<tenant>/<YYYYMMDD>/edge.log, which the access-log ingestion reads (live/accesslogs.py)."""
    from datetime import UTC, datetime

    from soh_onboarding.live import accesslogs

    platform = SandboxPlatform(tmp_path / "platform.sqlite3", token="t")
    configured_tenant(platform, "good", (NEW,), state="live")
    with (
        start_platform(platform) as served,
        start_ingress(
            tmp_path / "ingress", served.port, tmp_path / "platform.sqlite3", logpush=tmp_path / "logpush"
        ) as ingress,
    ):
        port = ingress.ingress.ports["https"]
        assert https_get(port, NEW, "/", str(ingress.ca.bundle)).status == 200
        assert https_get(port, NEW, "/no-such-page/?ref=old", str(ingress.ca.bundle)).status == 404
    day = datetime.now(UTC).strftime("%Y%m%d")
    log = tmp_path / "logpush" / "good" / day / "edge.log"
    tally = accesslogs.count([(str(log), lambda: log.open("rb"))], [NEW])
    assert tally.lines == 2 and tally.malformed == 0 and tally.requests == 2
    assert tally.busiest() == [("/no-such-page/?ref=old", 404, 1)]
