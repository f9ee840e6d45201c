"""The engine: models, fields, records, Q-expressions, views, modules and cron (no Qt, no HTTP)."""
