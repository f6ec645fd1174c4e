"""Webhook pages: a university's managers register endpoints for their systems and read the delivery log."""
