"""The hand-written core that generated code stands on and that serves the API."""
