"""rasa-sdk actions: thin classes that read slots, call pure functions and reply by
response name. Start the server with ``python -m actions``."""
