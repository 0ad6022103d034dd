"""Extension modules under runtime/extensions/manager/idam."""
