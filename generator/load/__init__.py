"""Reading and validating specs: YAML with positions, the spec language's strict shapes, the
rules of fields, rows and tables, document numbers and the names derived from a spec, and the
hand-owned modules' problems; every problem collected with its ``file:line:col``
(generator.load.diagnostics). generator.load.loader turns specs/ into the typed model
(generator.model)."""
