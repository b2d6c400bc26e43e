"""report station."""
