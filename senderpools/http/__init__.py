"""The HTTP edge: routing, auth, validation, pagination and rendering of the wire contract."""
