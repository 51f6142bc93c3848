"""The REST API (FastAPI): one router per domain, errors as RFC 9457 problem details."""
