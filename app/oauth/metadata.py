"""Discovery documents: RFC 9728 protected-resource metadata and RFC 8414 authorization-server metadata."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from app.auth.principal import READ_SCOPE
from app.oauth.options import AUTHORIZE_PATH, REGISTER_PATH, OAuthOptions
from app.oauth.scopes import MCP_SCOPES

PRM_PATHS = (
    "/.well-known/oauth-protected-resource",
    "/.well-known/oauth-protected-resource/mcp",
    "/.well-known/oauth-protected-resource/mcp/sse",
)
AS_METADATA_PATH = "/.well-known/oauth-authorization-server"


def protected_resource_metadata(options: OAuthOptions) -> dict[str, Any]:
    """One document for every PRM path: the resource is always /mcp (it prefixes /mcp/sse too)."""
    return {
        "resource": options.resource,
        "authorization_servers": [options.issuer],
        "scopes_supported": resource_scopes(options),
        "bearer_methods_supported": ["header"],
        "resource_name": "AegisGitea MCP",
    }


def resource_scopes(options: OAuthOptions) -> list[str]:
    """Scopes the resource can honour: write only in write mode (clients still start read-only and step up)."""
    return list(MCP_SCOPES) if options.write_mode else [READ_SCOPE]


def authorization_server_metadata(options: OAuthOptions) -> dict[str, Any]:
    """RFC 8414 metadata; `issuer` is byte-identical to the PRM entry and the `iss` we send back."""
    document: dict[str, Any] = {
        "issuer": options.issuer,
        "authorization_endpoint": options.issuer + AUTHORIZE_PATH,
        "token_endpoint": options.token_endpoint,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        "scopes_supported": list(MCP_SCOPES),
        "authorization_response_iss_parameter_supported": True,
        "client_id_metadata_document_supported": True,
    }
    if options.dcr_enabled:
        document["registration_endpoint"] = options.issuer + REGISTER_PATH
    return document


def same_resource(value: str, resource: str) -> bool:
    """RFC 8707 resource comparison: scheme and host case-insensitive, one trailing slash tolerated."""
    given, ours = urlsplit(value.strip()), urlsplit(resource)
    if given.query or given.fragment or given.username or given.password:
        return False
    same_origin = (given.scheme.lower(), given.netloc.lower()) == (ours.scheme.lower(), ours.netloc.lower())
    return same_origin and given.path in (ours.path, ours.path + "/")
