"""`python tests/job_kinds/serve.py`: `server.py` with the test job kinds, for tests that
run real processes (`tests.servers.AppServer(script=...)`)."""

import server
from schema.registry import make_plugins
from tests.job_kinds import hooks

server.app = server.create_app(plugins=make_plugins(extra=[hooks]))

if __name__ == "__main__":
    server.main()
