"""SQLModel tables and the queries trialwatch runs on them."""
