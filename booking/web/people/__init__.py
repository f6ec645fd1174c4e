"""Managers verifying the students who named their university."""
