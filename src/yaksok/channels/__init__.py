"""Channels: pure renderers from domain objects to what each channel publishes.

``render`` holds the wording every channel shares; ``atom`` and ``ical`` turn notices and
milestones into an RFC 4287 feed and an RFC 5545 calendar; ``sse`` into Server-Sent Events
frames. No I/O here: transports live with the workers.
"""
