"""Docker engines: networks, endpoints, the host side (veths, bridges, NAT) and events."""
