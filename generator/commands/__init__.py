"""The commands generator.cli registers: build and what check shares with it (building), the
tables a build's writing touches (table_changes), the commands that hand over to the runtime
(runtime_commands), hand-owned skeletons (extensions), new (scaffold), show (inspect),
build --watch (watch) and problems as text, JSON or GitHub annotations (report)."""
