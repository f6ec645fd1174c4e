"""Check-in pages: a person's check-in with the venue code, a manager's list of today's bookings."""
