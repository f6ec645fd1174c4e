"""Reports: the city office's and campus managers' dashboards, their exports, the public transparency page."""
