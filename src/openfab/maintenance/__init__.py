"""Maintenance: equipment health, remaining useful life and maintenance that plans itself."""
