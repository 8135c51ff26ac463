"""Reading what operatives type: routing to content, judging replies, urgent signs and chat."""
