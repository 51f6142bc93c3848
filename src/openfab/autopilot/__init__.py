"""Event-driven decisions with no human in the loop, each recorded with its reason."""
