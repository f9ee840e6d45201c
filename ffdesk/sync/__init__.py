"""Sync: runs and their lock, the scheduler and the shared HTTP layer (no Qt)."""

from ffdesk.redaction import register_secret
from ffdesk.sync.errors import (
    CredentialsRejected,
    ProviderError,
    ProviderRequestError,
    ProviderUnavailable,
    RateLimited,
)
from ffdesk.sync.http import ProviderClient, RateLimiter, RetryPolicy, api_base, rate_limit_for
from ffdesk.sync.oauth import (
    TOKEN_CACHE,
    CachedToken,
    ClientCredentialsSession,
    TokenCache,
    TokenKey,
    json_object,
)
from ffdesk.sync.pull import store_pulled
from ffdesk.sync.push import is_unchanged, mappings_for, push_changed
from ffdesk.sync.results import (
    ConnectionResult,
    ConnectionUnreachable,
    SyncCapability,
    connection_result,
)
from ffdesk.sync.runner import (
    AlreadySyncing,
    RunOutcome,
    RunState,
    SyncCancelled,
    SyncJob,
    last_successful_run,
    run_sync,
    sync_enabled,
)

__all__ = [
    "TOKEN_CACHE",
    "AlreadySyncing",
    "CachedToken",
    "ClientCredentialsSession",
    "ConnectionResult",
    "ConnectionUnreachable",
    "CredentialsRejected",
    "ProviderClient",
    "ProviderError",
    "ProviderRequestError",
    "ProviderUnavailable",
    "RateLimited",
    "RateLimiter",
    "RetryPolicy",
    "RunOutcome",
    "RunState",
    "SyncCancelled",
    "SyncCapability",
    "SyncJob",
    "TokenCache",
    "TokenKey",
    "api_base",
    "connection_result",
    "is_unchanged",
    "json_object",
    "last_successful_run",
    "mappings_for",
    "push_changed",
    "rate_limit_for",
    "register_secret",
    "run_sync",
    "store_pulled",
    "sync_enabled",
]
