"""Arguments and outputs of the organization tools."""

from __future__ import annotations

from schemas.common import PageArgs, gitea_name
from schemas.repos import REPOSITORY_SUMMARY
from schemas.shapes import INTEGER, STRING, envelope, obj


class ListOrganizationsArgs(PageArgs):
    """Organizations the caller belongs to."""


class ListOrgRepositoriesArgs(PageArgs):
    org = gitea_name("Organization name, e.g. 'acme'.")


ORGANIZATION = obj(
    {"id": INTEGER, "name": STRING, "full_name": STRING, "description": STRING, "website": STRING, "visibility": STRING}
)

ORGANIZATION_LIST = envelope(ORGANIZATION)
ORG_REPOSITORY_LIST = envelope(REPOSITORY_SUMMARY)
