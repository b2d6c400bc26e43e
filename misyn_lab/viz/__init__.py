"""viz station."""
