"""Canonical URLs, for the feed stages: they live in `core.links`, which storage shares."""

from core.links import canonical_url, url_key, without_tracking

__all__ = ["canonical_url", "url_key", "without_tracking"]
