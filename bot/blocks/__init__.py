"""Block Kit builders, each paired with the parser of what Slack sends back."""
