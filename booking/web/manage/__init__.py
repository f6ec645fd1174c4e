"""Campus manager pages: approval queue, facility administration, booking on someone's behalf."""
