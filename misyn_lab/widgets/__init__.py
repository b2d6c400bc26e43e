"""widgets station."""
