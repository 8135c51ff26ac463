"""Pure rules: when prompts are due, which scenario next, streaks, dates, history, invites."""
