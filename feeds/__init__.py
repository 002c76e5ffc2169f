"""Fetch and parse outlet feeds. Knows nothing of storage or Telegram."""
