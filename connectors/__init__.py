"""Rasa input channels and runtime plumbing for the Rasa server (.venv-rasa)."""
