"""Devices: the console."""
