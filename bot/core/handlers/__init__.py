"""The conversation's handlers, one module per feature; each takes a turn and the deps."""
