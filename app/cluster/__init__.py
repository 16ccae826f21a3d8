"""Several backend nodes on one database: who holds which charger, and forwarding to it."""
