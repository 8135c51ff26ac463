"""Pure rules: when prompts are due, which scenario comes next, dates, history and invites."""
