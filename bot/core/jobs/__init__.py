"""Work the bot does on its own: planning the outbox, the digest, delivery records, retention."""
