"""Extension modules under runtime/extensions/tenants/adm."""
