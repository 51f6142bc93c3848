"""Sample catalog YAML files (package data): shared materials and work centers, products."""
