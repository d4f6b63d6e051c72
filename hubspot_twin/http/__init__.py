"""The twin over HTTP: the WSGI app and its endpoints (``api/``), the guard (rate limits, faults, request log), the
server."""
