"""The shop-floor gateway: the way in from a plant (MQTT, NATS, OPC UA, REST)."""
