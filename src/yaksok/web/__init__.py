"""The HTTP edge: public pages, feeds, live updates, and the admin API."""
