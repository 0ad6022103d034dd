"""Rendering and writing: the typed model through the Jinja templates (generator.render.templates),
formatted (fmt) and written only where it changed (writer), the whole pipe in memory (pipeline),
the build manifest, and the OpenAPI document made at build time (openapi, apidoc_paths,
apidoc_schemas)."""
