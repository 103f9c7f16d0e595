"""Development tools (not shipped in the Lambda package)."""
