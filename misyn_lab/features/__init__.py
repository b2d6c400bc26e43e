"""features station."""
