"""Firmware campaigns: one update across the chargers of one model, a few sites at a time."""
