"""Typed Gitea endpoints, one module per area; BoundGiteaClient combines them."""
