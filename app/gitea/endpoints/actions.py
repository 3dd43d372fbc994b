"""Gitea Actions: workflow runs, their jobs, a job's log (streamed) and reruns."""

from __future__ import annotations

from collections.abc import Generator

from app.gitea.download import CHUNK, read_chunk
from app.gitea.endpoints.base import JSON, Endpoints, present
from app.gitea.pagination import header_int
from app.gitea.request import GiteaRequest

ACTIONS = "/repos/{owner}/{repo}/actions"
RUN = ACTIONS + "/runs/{run}"


class ActionEndpoints(Endpoints):
    """Reading CI runs and logs; rerunning a run."""

    def list_runs(self, owner: str, repo: str, *, status: str | None = None, branch: str | None = None,
                  event: str | None = None, page: int = 1, limit: int = 30) -> JSON:
        """GET .../actions/runs: {total_count, workflow_runs}, newest first."""
        query = {**present(status=status, branch=branch, event=event), "page": page, "limit": limit}
        return self._object("GET", ACTIONS + "/runs", query=query, owner=owner, repo=repo)

    def get_run(self, owner: str, repo: str, run_id: int) -> JSON:
        """GET .../actions/runs/{run}."""
        return self._object("GET", RUN, owner=owner, repo=repo, run=run_id)

    def list_run_jobs(self, owner: str, repo: str, run_id: int, *, page: int = 1, limit: int = 50) -> JSON:
        """GET .../actions/runs/{run}/jobs: {total_count, jobs} in the workflow's order."""
        return self._object("GET", RUN + "/jobs", query={"page": page, "limit": limit},
                            owner=owner, repo=repo, run=run_id)

    def get_job(self, owner: str, repo: str, job_id: int) -> JSON:
        """GET .../actions/jobs/{job_id}: the job with its steps."""
        return self._object("GET", ACTIONS + "/jobs/{job_id}", owner=owner, repo=repo, job_id=job_id)

    def job_log_chunks(self, owner: str, repo: str, job_id: int, limit: int) -> Generator[bytes, None, None]:
        """GET .../actions/jobs/{job_id}/logs as chunks, at most `limit` bytes; the caller may stop at any chunk.

        Nothing is kept here: a consumer that keeps only what it shows holds a 50 MB log in a few kilobytes.
        Stopped early (the generator closed), a rest of at most MAX_FILE_SIZE_BYTES is drained off the caller's
        thread so the connection goes back to the pool, as for file reads; a longer rest closes it."""
        call = GiteaRequest("GET", ACTIONS + "/jobs/{job_id}/logs", {"owner": owner, "repo": repo, "job_id": job_id},
                            stream=True)
        response = self._send(call)
        declared, read = header_int(response.headers, "Content-Length"), 0
        try:
            while read < limit and (chunk := read_chunk(response, min(CHUNK, limit - read))):
                read += len(chunk)
                yield chunk
        finally:
            if read == declared or not self._client.drains.take(response, declared, read, self._client.max_file_bytes):
                response.close()

    def rerun_run(self, owner: str, repo: str, run_id: int) -> JSON:
        """POST .../actions/runs/{run}/rerun (201: the run's new attempt; 409 while it is still running)."""
        return self._object("POST", RUN + "/rerun", owner=owner, repo=repo, run=run_id)

    def rerun_failed_jobs(self, owner: str, repo: str, run_id: int) -> None:
        """POST .../actions/runs/{run}/rerun-failed-jobs (201 with an empty body)."""
        self._json("POST", RUN + "/rerun-failed-jobs", owner=owner, repo=repo, run=run_id)
