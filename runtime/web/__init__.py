"""HTTP plumbing: the envelope and error handlers, middleware, the audited router and route
classes, the OpenAPI document and docs pages, request-scoped context and ETags."""
