"""Who may charge: the id tokens (RFID cards, key codes, eMAIDs) the central system accepts."""
