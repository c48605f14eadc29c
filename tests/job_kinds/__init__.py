"""Test-only job kinds, registered by the tests next to the installed plugins (and by
`serve.py` in real server processes): counting to N in chunks with checkpoints, and a job
that fails a given number of times."""
