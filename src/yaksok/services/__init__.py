"""Use cases: one function per operator or customer action, one transaction each.

Web routes, the CLI, the scheduler and replay all call these same functions.
"""
