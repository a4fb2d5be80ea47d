"""Security headers (issue 10): a Content Security Policy that allows scripts from this site
only, no other host for anything, and no page that runs an inline script."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize("url", ["/gongkai/", "/login/", "/api/docs"])
def test_csp_allows_this_site_only(client, db, url):
    response = client.get(url)
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    # 'self', plus a nonce only on a page that uses one (none does today).
    sources = directives["script-src"].split()
    assert sources[0] == "'self'" and all(s.startswith("'nonce-") for s in sources[1:])
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "http" not in policy  # no other host, for anything
    page = response.content.decode()
    inline = [s for s in re.findall(r"<script\b[^>]*>", page) if "src=" not in s]
    assert not [s for s in inline if "application/json" not in s], inline


def test_clickjacking_and_sniffing_headers(client, db):
    response = client.get("/gongkai/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
