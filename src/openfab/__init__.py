"""OpenFab: an open, AI-driven smart-factory platform."""

__version__ = "0.1.0"
