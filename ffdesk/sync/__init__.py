"""Shared sync layer: HTTP client, retries, rate limits and provider errors."""
