"""The web front on port 8000: the chat demo page (and later the staff console)."""
