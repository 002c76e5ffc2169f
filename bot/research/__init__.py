"""Research tools over the stored archive: search, export, backtest, evidence.

Services take an engine (and a watchlist where they match) and return
records, so the CLI and the bot commands (/search, /case) share them.
"""
