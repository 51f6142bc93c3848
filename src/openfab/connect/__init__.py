"""Connectivity: the event bus (in-process, MQTT, NATS JetStream), OPC UA and telemetry ingest.

Import the adapters from their modules (``openfab.connect.mqtt`` …): this package stays light
because ``store.database`` imports ``connect.bus`` at start-up.
"""
