"""Sync: runs and their lock, the scheduler and the shared HTTP layer (no Qt)."""

from ffdesk.redaction import register_secret
from ffdesk.sync.answers import UnexpectedAnswer, answer_object, parse_answer, unexpected
from ffdesk.sync.checks import (
    BadRecord,
    currency_code,
    decimal_amount,
    known_state,
    minor_amount,
    object_id,
    same_mode,
)
from ffdesk.sync.credentials import credential_problem, credential_problems, credential_rules
from ffdesk.sync.cursors import pull_completed, pull_since
from ffdesk.sync.errors import (
    CredentialsRejected,
    ProviderError,
    ProviderRequestError,
    ProviderUnavailable,
    RateLimited,
)
from ffdesk.sync.http import ProviderClient, RateLimiter, RetryPolicy, api_base, rate_limit_for
from ffdesk.sync.links import MappingConflict, conflict, link_remote, linked_contact, owner_of
from ffdesk.sync.oauth import (
    TOKEN_CACHE,
    CachedToken,
    ClientCredentialsSession,
    TokenCache,
    TokenKey,
    json_object,
)
from ffdesk.sync.paging import Pages, PagingStuck
from ffdesk.sync.pull import open_records, refresh_open, store_pulled
from ffdesk.sync.push import is_unchanged, mappings_for, push_changed
from ffdesk.sync.results import (
    ConnectionResult,
    ConnectionUnreachable,
    SyncCapability,
    connection_result,
)
from ffdesk.sync.runner import (
    AlreadySyncing,
    RecordRef,
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
    "BadRecord",
    "CachedToken",
    "ClientCredentialsSession",
    "ConnectionResult",
    "ConnectionUnreachable",
    "CredentialsRejected",
    "MappingConflict",
    "Pages",
    "PagingStuck",
    "ProviderClient",
    "ProviderError",
    "ProviderRequestError",
    "ProviderUnavailable",
    "RateLimited",
    "RateLimiter",
    "RecordRef",
    "RetryPolicy",
    "RunOutcome",
    "RunState",
    "SyncCancelled",
    "SyncCapability",
    "SyncJob",
    "TokenCache",
    "TokenKey",
    "UnexpectedAnswer",
    "answer_object",
    "api_base",
    "conflict",
    "connection_result",
    "credential_problem",
    "credential_problems",
    "credential_rules",
    "currency_code",
    "decimal_amount",
    "is_unchanged",
    "json_object",
    "known_state",
    "last_successful_run",
    "link_remote",
    "linked_contact",
    "mappings_for",
    "minor_amount",
    "object_id",
    "open_records",
    "owner_of",
    "parse_answer",
    "pull_completed",
    "pull_since",
    "push_changed",
    "rate_limit_for",
    "refresh_open",
    "register_secret",
    "run_sync",
    "same_mode",
    "store_pulled",
    "sync_enabled",
    "unexpected",
]
