"""Staff data (feedback, handoff tickets, ...) and, later, the staff console."""
