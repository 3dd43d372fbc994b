"""Flask-Limiter with the application-wide limits resolved once, not on every request.

Flask-Limiter works out on every request which limits apply: it re-parses each limit string, walks the
route's, blueprint's and default limits, the exemptions and the meta limits, and hashes every limit into
ordered sets (about 5% of a tool call's CPU, py-spy; bench/RESULTS.md). Ours are three application-wide
limits and nothing else before the view (/register adds its own limit, which its decorator checks).
While that holds, `_check_request_limit` takes the three limits parsed once and evaluates them as
Flask-Limiter's own evaluation does: same keys and order, the lockout's conditional deduction, the breach
log and callbacks, RateLimitExceeded, and the request context the after-request deduction,
`current_limit` and the refusal's Retry-After read. Anything else (a static or unmatched endpoint, meta,
default or blueprint limits, exemptions, request filters, a limit string from a callable, the in-memory
fallback after a storage failure) takes Flask-Limiter's own path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Response, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit

if TYPE_CHECKING:
    from flask_limiter._extension import LimiterContext
    from flask_limiter._limits import RuntimeLimit

EXEMPT_PATHS = frozenset({"/health"})


class AegisLimiter(Limiter):
    """Flask-Limiter whose per-request check skips exempt paths and resolves the application limits once."""

    _parsed: tuple[Any, list[RuntimeLimit] | None] = (None, None)

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if request.path in EXEMPT_PATHS:  # liveness probes neither pay for the check nor touch the storage
            return
        limits = self._application_only(callable_name, in_middleware)
        if limits is None:
            super()._check_request_limit(callable_name, in_middleware)
            return
        try:
            self._evaluate(limits)
        except RateLimitExceeded:
            raise
        except Exception:
            if not self._storage_failed(callable_name, in_middleware):
                raise

    def _storage_failed(self, callable_name: str | None, in_middleware: bool) -> bool:
        """What Flask-Limiter does when its storage raises: check again on the in-memory fallback, else swallow
        the error (True), else False: the error is raised."""
        if self._in_memory_fallback_enabled and not self._storage_dead:
            self.logger.warning("Rate limit storage unreachable - falling back to in-memory storage")
            self._storage_dead = True
            self.context.seen_limits.clear()
            super()._check_request_limit(callable_name, in_middleware)
            return True
        if self._swallow_errors:
            self.logger.exception("Failed to rate limit. Swallowing error")
            return True
        return False

    def _application_only(self, callable_name: str | None, in_middleware: bool) -> list[RuntimeLimit] | None:
        """The application limits in evaluation order when they are all this request is checked against
        before its view; else None (Flask-Limiter's path decides)."""
        endpoint = request.endpoint
        manager = self.limit_manager
        if (callable_name or not in_middleware or self._storage_dead or not (self.enabled and self.initialized)
                or not endpoint or endpoint.rsplit(".", 1)[-1] == "static" or not self._fail_on_first_breach
                or self._meta_limits or self._request_filters or manager._default_limits
                or manager._blueprint_limits or manager._route_exemptions or manager._blueprint_exemptions
                or manager._endpoint_hints):
            return None
        return self._application_limits()

    def _application_limits(self) -> list[RuntimeLimit] | None:
        """Parsed once per list of declared limits; None when one is not a plain shared limit."""
        declared = self.limit_manager._application_limits
        if self._parsed[0] is not declared:
            self._parsed = (declared, plain_limits(declared, self.limit_manager.application_limits))
        return self._parsed[1]

    def _evaluate(self, limits: list[RuntimeLimit]) -> None:
        """Hit (or, for a conditional deduction, test) each limit; the first one exceeded refuses the request.

        Each limit checked becomes a RequestLimit (the rate-limit headers read them) only when headers are on
        or it refused the request: nothing else reads them, and each costs a key computation."""
        context, endpoint, method = self.context, request.endpoint or "", request.method
        checked: list[RequestLimit] = []
        for limit in limits:
            if limit.is_exempt or limit.method_exempt:
                continue
            key, scope = limit.key_func(), limit.scope_for(endpoint, method)
            if not (key and scope):
                self.logger.error(f"Skipping limit: {limit.limit}. Empty value found in parameters.")
                continue
            args = [self._key_prefix, key, scope] if self._key_prefix else [key, scope]
            if limit.deduct_when:
                context.conditional_deductions[limit] = args
                within = self.limiter.test(limit.limit, *args, cost=limit.deduction_amount)
            else:
                within = self.limiter.hit(limit.limit, *args, cost=limit.deduction_amount)
            if not within:
                self.logger.info("ratelimit %s (%s) exceeded at endpoint: %s", limit.limit, key, scope)
                checked.append(RequestLimit(self, limit.limit, args, True, limit.shared))
                self._refuse(context, checked, limit)
            if self._headers_enabled:
                checked.append(RequestLimit(self, limit.limit, args, False, limit.shared))
        context.view_rate_limit = next((lim for lim in checked if not lim.shared), checked[0] if checked else None)
        context.view_rate_limits = checked

    def _refuse(self, context: LimiterContext, checked: list[RequestLimit], limit: RuntimeLimit) -> None:
        """Record the breach for the refusal, tell the breach callbacks, raise RateLimitExceeded."""
        context.view_rate_limit = checked[-1]
        context.view_rate_limits = checked
        breach = RequestLimit(self, limit.limit, checked[-1].request_args, True, limit.shared)
        response = None
        for callback in dict.fromkeys([self._on_breach, limit.on_breach]):
            if callback:
                try:
                    answer = callback(breach)
                    response = answer if isinstance(answer, Response) else response
                except Exception as err:
                    if not self._swallow_errors:
                        raise
                    self.logger.exception("on_breach callback failed with error %s", err)
        raise RateLimitExceeded(limit, response=response)


def plain_limits(declared: list[Any], resolved: list[RuntimeLimit]) -> list[RuntimeLimit] | None:
    """The resolved limits sorted as Flask-Limiter evaluates them, if each is fixed, shared and per route
    (not per method) with no meta limits of its own; else None."""
    if any(callable(limit.limit_provider) for limit in declared):
        return None
    if any(not limit.shared or limit.per_method or limit.meta_limits for limit in resolved):
        return None
    return sorted(resolved, key=lambda limit: limit.limit)
