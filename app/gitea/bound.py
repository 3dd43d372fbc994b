"""BoundGiteaClient: every typed endpoint, all calls carrying one principal's credentials."""

from __future__ import annotations

from app.gitea.endpoints.actions import ActionEndpoints
from app.gitea.endpoints.commits import CommitEndpoints
from app.gitea.endpoints.contents import ContentEndpoints
from app.gitea.endpoints.issues import IssueEndpoints
from app.gitea.endpoints.labels import LabelEndpoints
from app.gitea.endpoints.milestones import MilestoneEndpoints
from app.gitea.endpoints.pulls import PullEndpoints
from app.gitea.endpoints.releases import ReleaseEndpoints
from app.gitea.endpoints.repos import RepositoryEndpoints
from app.gitea.endpoints.reviews import ReviewEndpoints
from app.gitea.endpoints.wiki import WikiEndpoints


class BoundGiteaClient(
    RepositoryEndpoints,
    ContentEndpoints,
    CommitEndpoints,
    IssueEndpoints,
    PullEndpoints,
    LabelEndpoints,
    MilestoneEndpoints,
    ReleaseEndpoints,
    ActionEndpoints,
    ReviewEndpoints,
    WikiEndpoints,
):
    """What a tool handler receives: GiteaClient.bind(credentials)."""
