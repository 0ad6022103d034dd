"""Extension modules under runtime/extensions/tenants/apm."""
