"""Helpers for the office dashboard tests: an office session, a real handheld."""
