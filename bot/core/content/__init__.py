"""The coaching content: its schema, the YAML loader, the house style and the topics."""
