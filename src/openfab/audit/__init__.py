"""Reading the event log and checking its hash chain (traceability)."""
