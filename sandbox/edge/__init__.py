"""The sandbox edge: the part of Cloudflare's API v4 (https://developers.cloudflare.com/api/) that the
orchestrator's edge adapter uses, with the faults and the rate limit a real account has.

What it speaks, with the vendor's sources, is in schemas/cloudflare-api.yaml and
docs/decisions/0011-cloudflare-edge.md. Its state (zones, DNS records, zone settings, rulesets, Bulk Redirect
lists) is what the sandbox ingress serves: DNS answers from the records, redirects from the lists that an
enabled Bulk Redirect Rule references, and response headers from the zones' transform rules.
"""
