"""provenance station."""
