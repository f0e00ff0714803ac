"""The pure model of yaksok: launches, promises, policy, notices, ledger, scorecard.

Nothing here does I/O or reads the wall clock; time is always passed in.
"""
