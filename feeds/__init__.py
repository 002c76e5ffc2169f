"""Fetch and parse outlet feeds, and decide about them (what is new, when to poll
next, how healthy an outlet is). Knows nothing of storage or Telegram."""
