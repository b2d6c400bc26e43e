"""cases station."""
