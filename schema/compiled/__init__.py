"""The compiled execution path: a query whose every root field is covered is answered with
one SQL statement per root field that builds the JSON (`execute.CompiledExecution`); the
rest runs field by field. `docs/development.md`, "The compiled execution path"."""
