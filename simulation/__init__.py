"""In-process simulation of a courier network: central, depot relays, handhelds."""
