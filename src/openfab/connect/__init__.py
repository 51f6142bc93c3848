"""Connectivity: the event bus and (later) MQTT, NATS and OPC UA adapters."""
