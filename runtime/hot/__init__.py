"""The hot path: point reads, lists and simple creates answered from SQL precompiled per
entity, on a small pool of plain driver connections, before FastAPI's routing."""
