"""RFC 7591 client registration request: the metadata we understand, bounded; the rest ignored."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

AUTH_METHODS = ("none", "client_secret_post", "client_secret_basic")
GRANT_TYPES = ("authorization_code", "refresh_token")
MAX_REDIRECT_URIS = 10
MAX_URI = 2000


class RedirectUrisSchema(Schema):
    """The shape of redirect_uris, for DCR and client metadata documents alike; other fields ignored."""

    class Meta:
        unknown = EXCLUDE

    redirect_uris = fields.List(
        fields.String(validate=validate.Length(1, MAX_URI)), required=True,
        validate=validate.Length(1, MAX_REDIRECT_URIS),
    )


class ClientRegistrationSchema(RedirectUrisSchema):
    """What a client may register; unknown metadata is ignored, as RFC 7591 §2 requires."""

    client_name = fields.String(validate=validate.Length(1, 200), load_default=None)
    token_endpoint_auth_method = fields.String(validate=validate.OneOf(AUTH_METHODS),
                                               load_default="client_secret_basic")
    grant_types = fields.List(fields.String(validate=validate.OneOf(GRANT_TYPES)),
                              validate=validate.Length(1, 2), load_default=lambda: ["authorization_code"])
    response_types = fields.List(fields.String(validate=validate.Equal("code")),
                                 validate=validate.Length(1, 1), load_default=lambda: ["code"])
    application_type = fields.String(validate=validate.OneOf(("native", "web")), load_default="native")
    scope = fields.String(validate=validate.Length(0, 200), load_default=None)
    client_uri = fields.Url(schemes={"https"}, validate=validate.Length(1, MAX_URI), load_default=None)
    logo_uri = fields.Url(schemes={"https"}, validate=validate.Length(1, MAX_URI), load_default=None)
    software_id = fields.String(validate=validate.Length(1, 200), load_default=None)
    software_version = fields.String(validate=validate.Length(1, 100), load_default=None)

    @validates_schema
    def _code_flow_only(self, data: dict[str, Any], **_: Any) -> None:
        if "authorization_code" not in data["grant_types"]:
            raise ValidationError("grant_types must include authorization_code", "grant_types")
