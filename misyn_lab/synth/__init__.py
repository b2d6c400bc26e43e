"""synth station."""
