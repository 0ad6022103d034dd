"""Data access: the two async engines and the request's unit of work, the embedded server,
declarative bases, and the reading and writing every generated service calls."""
