"""The city office's pages: universities, their managers, and enterprise verification."""
