# Typed stubs for the parts of feedgen 1.x that yaksok uses (channels/atom.py); feedgen ships none.
