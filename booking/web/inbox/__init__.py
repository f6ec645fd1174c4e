"""The notification inbox: list, mark read, unread badge."""
