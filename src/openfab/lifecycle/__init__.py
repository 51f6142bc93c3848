"""Product lifecycle: battery passport, field health, end of life back into stock."""
