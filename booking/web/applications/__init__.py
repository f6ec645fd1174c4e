"""Facility applications on the web: the managers' form editor and export, and what booking pages show."""
