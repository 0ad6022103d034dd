"""Hand-owned business logic, one module per entity that needs it (see runtime/logic/extend.py)."""
