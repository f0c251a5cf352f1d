"""Helpers for berth's raw-HTTP API suite (tests/api)."""
