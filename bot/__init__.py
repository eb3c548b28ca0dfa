"""The Slack surface of ClientDesk: app wiring, listeners, Block Kit builders and parsers, settings."""
