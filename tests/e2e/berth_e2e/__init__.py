"""Shared helpers for berth's real-client end-to-end tests."""
