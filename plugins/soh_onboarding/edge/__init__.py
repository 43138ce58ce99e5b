"""The edge of the platform (DNS, redirects, TLS, HSTS, security headers): what a tenant needs there
(model.py) and the adapter that writes it to Cloudflare through its official library (cloudflare.py)."""
