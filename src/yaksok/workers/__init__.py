"""Background work: the scheduler loop (publishing on time) and, later, delivery workers."""
