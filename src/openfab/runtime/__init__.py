"""The runtime: OpenFab's long-running workers, wired to the plant's buses."""
