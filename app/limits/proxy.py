"""TRUSTED_PROXY_COUNT: take the client address from X-Forwarded-For, but only from our own proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# The peers gunicorn itself trusts for X-Forwarded-Proto (ops/gunicorn.conf.py forwarded_allow_ips):
# the proxy runs on the same host, because the service binds 127.0.0.1 by default.
LOCAL_PROXY_PEERS = ("127.0.0.1", "::1")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def proxy_networks(peers: Iterable[str]) -> tuple[Network, ...]:
    """Parse addresses or CIDR ranges of trusted proxies."""
    return tuple(ipaddress.ip_network(peer.strip(), strict=False) for peer in peers if peer.strip())


class ForwardedFor:
    """ProxyFix for requests whose TCP peer is a trusted proxy; any other peer keeps its own address.

    ProxyFix counts X-Forwarded-For from the right: with one proxy, the last value is the address
    that proxy saw, so a client cannot choose its bucket through the proxy. A client that reaches
    gunicorn directly from elsewhere could send any X-Forwarded-For, so its header is ignored.
    """

    def __init__(self, wsgi_app: WSGIApplication, proxies: int, peers: Iterable[str] = LOCAL_PROXY_PEERS) -> None:
        self.direct = wsgi_app
        self.proxied = ProxyFix(wsgi_app, x_for=proxies, x_proto=proxies)
        self.peers = proxy_networks(peers)

    def is_trusted_peer(self, remote_addr: str | None) -> bool:
        try:
            address = ipaddress.ip_address(remote_addr or "")
        except ValueError:
            return False
        return any(address in network for network in self.peers)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        trusted = self.is_trusted_peer(environ.get("REMOTE_ADDR"))
        return (self.proxied if trusted else self.direct)(environ, start_response)
