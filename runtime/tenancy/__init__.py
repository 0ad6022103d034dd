"""Tenancy beyond the query filter: row-level security in the tenant database and the manager
endpoints that provision and act for a tenant."""
