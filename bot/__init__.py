"""Telegram delivery, commands, app wiring and the command line."""
