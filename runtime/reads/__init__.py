"""Reads, defined once: each entity's detail, lines and pages as statements whose JSON
PostgreSQL writes (the generator's plan, generated/<scope>/reads.py, composed here with the
caller's parameters), run two ways: by the hot path before FastAPI's routing, with the
session check in the same statement, and by the generated routers after it."""
