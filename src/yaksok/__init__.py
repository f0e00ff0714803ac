"""yaksok (약속, "promise"): run a high-demand product launch on time and in the open."""

__version__ = "0.1.0"
