"""The action-side runtime (.venv): settings and the ``tthc`` command-line tool."""
