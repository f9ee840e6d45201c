"""Namespace under which installed integration modules are imported (`ffdesk.addons.<id>`)."""
