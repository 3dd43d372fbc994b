"""The authorization-server facade's parts for one app, built once by init_app."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from app.audit.events import AuditContext
from app.auth.sealed import SealedTokenCodec, TokenKeys
from app.governance import AUDIT_EXTENSION
from app.logging import current_request_id, log_event
from app.oauth.cimd import ClientMetadataError, MetadataDocuments, is_metadata_url
from app.oauth.clients import Client, ClientRegistry
from app.oauth.codes import AuthorizationCodes
from app.oauth.consent import ConsentMemory, GiteaStates, PendingConsents
from app.oauth.options import OAuthOptions
from app.oauth.revocation import GrantRevocations
from app.oauth.sightings import TokenSightings
from app.oauth.upstream import GiteaOAuth
from app.store import Store

EXTENSION = "aegis.oauth"
log = logging.getLogger("aegis.oauth")


class UnknownClient(Exception):
    """No registered client has this id, or its metadata document is unusable."""


class ClientDirectory:
    """Find a client: a metadata-document URL is fetched, anything else is looked up in the DCR registry."""

    def __init__(self, registry: ClientRegistry, documents: MetadataDocuments) -> None:
        self.registry, self.documents = registry, documents

    def find(self, client_id: str) -> Client:
        if not client_id:
            raise UnknownClient("client_id is missing")
        if is_metadata_url(client_id):
            try:
                return self.documents.client(client_id)
            except ClientMetadataError as exc:
                raise UnknownClient(f"client metadata document refused: {exc}") from None
        client = self.registry.get(client_id)
        if client is None:
            raise UnknownClient("unknown client_id; register the client again")
        return client


@dataclass
class OAuthFacade:
    """Options, token codec and the stores of one app's OAuth facade."""

    options: OAuthOptions
    codec: SealedTokenCodec
    store: Store
    clients: ClientDirectory
    pending: PendingConsents
    consent: ConsentMemory
    states: GiteaStates
    codes: AuthorizationCodes
    upstream: GiteaOAuth
    revocations: GrantRevocations
    gitea_tokens: Any = None  # app.oauth.gitea_tokens.GiteaTokenValidator when OAUTH_ACCEPT_GITEA_TOKENS
    sightings: TokenSightings = field(default_factory=TokenSightings)  # oauth_auth_summary once per token

    @classmethod
    def build(cls, options: OAuthOptions, store: Store, gitea: Any) -> OAuthFacade:
        secret = options.state_secret.reveal()
        keys = TokenKeys.from_secrets(options.token_keys, secret)
        registry = ClientRegistry(options.dcr_storage_path, options.dcr_max_clients, options.refresh_token_ttl)
        documents = MetadataDocuments(store, options.cimd_allow_loopback, options.cache_ttl, options.redirect_allowlist)
        return cls(options, SealedTokenCodec(keys, options.issuer, options.resource, options.token_endpoint), store,
                   ClientDirectory(registry, documents), PendingConsents(store, secret, options.state_ttl),
                   ConsentMemory(secret), GiteaStates(store, secret, options.state_ttl),
                   AuthorizationCodes(store, options.code_ttl), GiteaOAuth(options, gitea),
                   GrantRevocations(store, max(options.refresh_token_ttl, options.access_token_ttl)))

    @property
    def registry(self) -> ClientRegistry:
        return self.clients.registry


def current_facade() -> OAuthFacade | None:
    facade: OAuthFacade | None = current_app.extensions.get(EXTENSION)
    return facade


def record_security_event(kind: str, severity: str = "warning", **details: Any) -> None:
    """An audit security_event (also logged), never failing the request that noticed it."""
    log_event(log, logging.WARNING, kind, **details)
    context = AuditContext(request_id=current_request_id(), client_id=details.get("client_id"),
                           principal=details.get("login"))
    current_app.extensions[AUDIT_EXTENSION].record_security(context, kind, details, severity)

