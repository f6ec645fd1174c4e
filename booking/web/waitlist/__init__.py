"""Waitlist pages: join a taken slot, my waitlist, leave it."""
