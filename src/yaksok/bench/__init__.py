"""``yaksok bench``: scenarios that measure yaksok against a baseline taken in the same run.

The machine is noisy (MEASURED.md), so every scenario reports its figures beside a bare
baseline measured back to back, and the ratio between them.

- ``publish`` (``bench.publish``): scheduled notices under live load: publication lateness,
  SSE delivery to many clients, visibility on the board and the Atom feed.
"""
