"""SQLModel tables and the queries trialwatch runs on them, one module per domain
(outlets, articles, outbox, monitor, search). Storage writes what the pure decisions
in `feeds` decided and reads no clock; it imports neither `feeds` nor `bot`."""
