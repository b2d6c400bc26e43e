"""checklist station."""
