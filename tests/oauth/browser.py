"""A headless user agent for the OAuth flow: follows redirects, keeps cookies, signs in and consents.

Browsers keep `Secure` cookies for http://127.0.0.1 (a secure context); Python's cookie jar
does not, so this agent keeps its own cookies per host.
"""

from __future__ import annotations

import base64
import re
from http.cookies import SimpleCookie
from urllib.parse import urljoin, urlsplit

import requests

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


class Browser:
    """One browser: a user signed in at the Gitea emulator with HTTP Basic (an emulator extension)."""

    def __init__(self, gitea_url: str, login: str = "alice", password: str = "alice-password-1") -> None:
        self.gitea_host = urlsplit(gitea_url).netloc
        self.basic = "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()
        self.cookies: dict[str, dict[str, str]] = {}
        self.pages: list[str] = []  # URLs of HTML pages answered on the way (consent pages, ...)

    def request(self, method: str, url: str, data: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> requests.Response:
        host = urlsplit(url).netloc
        sent = dict(headers or {})
        if self.cookies.get(host):
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies[host].items())
        if host == self.gitea_host:
            sent["Authorization"] = self.basic
        response = requests.request(method, url, data=data, headers=sent, allow_redirects=False, timeout=30)
        self._keep_cookies(host, response)
        return response

    def _keep_cookies(self, host: str, response: requests.Response) -> None:
        jar = self.cookies.setdefault(host, {})
        for header in response.raw.headers.getlist("Set-Cookie"):
            for name, morsel in SimpleCookie(header).items():
                expired = morsel["max-age"] == "0" or "1970" in morsel["expires"]
                if expired:
                    jar.pop(name, None)
                else:
                    jar[name] = morsel.value

    def follow(self, url: str, stop_at: str, approve: bool = True, max_hops: int = 20) -> str:
        """Follow redirects and answer consent forms until a URL starting with `stop_at`; return it."""
        method, data = "GET", None
        for _ in range(max_hops):
            if url.startswith(stop_at):
                return url
            response = self.request(method, url, data)
            method, data = "GET", None
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                continue
            self.pages.append(url)
            form = self._consent_form(url, response, approve)
            if form is None:
                raise AssertionError(f"stuck at {url}: {response.status_code} {response.text[:300]}")
            method, url, data = "POST", form[0], form[1]
        raise AssertionError("too many redirects")

    @staticmethod
    def _consent_form(url: str, response: requests.Response, approve: bool) -> tuple[str, dict[str, str]] | None:
        fields = dict(HIDDEN.findall(response.text))
        if 'action="/oauth/consent"' in response.text:
            return urljoin(url, "/oauth/consent"), {**fields, "decision": "approve" if approve else "deny"}
        if 'action="/login/oauth/grant"' in response.text:  # Gitea's own consent page (no grant yet)
            return urljoin(url, "/login/oauth/grant"), {**fields, "granted": "true" if approve else "false"}
        return None
