"""The core model of the fleet: chargers, connectors, open faults, transactions, and the typed
events every change produces. The OCPP edge (``app/csms``) feeds it; the recorder,
self-diagnosis, sessions, the command gateway and the API read it."""
