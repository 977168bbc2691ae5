"""The peer of conformance/bench/scim: scim2-server's documented WSGI application, loaded
with a population before the server forks its workers.

    PEER_USERS=20000 PEER_TOKEN=secret PEER_IDS_FILE=/tmp/ids \
      .venv-peer/bin/gunicorn --preload -k gthread -w 2 --threads 8 scim_peer_app:application

scim2-server keeps its resources in memory (InMemoryStorage), one copy per process. With
gunicorn's --preload the population is created once, in the master, through the application
itself (POST /v2/Users, so every resource is validated and indexed as a client's would be),
and the workers inherit that copy when they fork: every worker answers reads with the same
ids. Writes made after the fork would stay in the worker that served them, so the benchmark
only reads from the peer.

Environment:
  PEER_USERS     users to create (default 20000)
  PEER_TOKEN     the bearer token the application accepts (required)
  PEER_IDS_FILE  where to write "id userName" lines of the created users (required)
"""

import io
import json
import os
import sys
import time
from wsgiref.util import setup_testing_defaults

from scim2_server.memory import InMemoryStorage
from scim2_server.testserver.application import BearerTokenApplication
from scim2_server.utils import load_default_provider

USERS = int(os.environ.get("PEER_USERS", "20000"))
TOKEN = os.environ["PEER_TOKEN"]
IDS_FILE = os.environ["PEER_IDS_FILE"]

application = BearerTokenApplication(InMemoryStorage(), load_default_provider(), bearer_tokens=[TOKEN])


def call(method: str, path: str, query: str = "", body: dict | None = None) -> tuple[str, dict]:
    """One request through the WSGI interface, in this process."""
    data = b"" if body is None else json.dumps(body).encode()
    environ: dict = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_AUTHORIZATION": f"Bearer {TOKEN}",
        "CONTENT_TYPE": "application/scim+json",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
    }
    setup_testing_defaults(environ)
    status: list[str] = []
    out = b"".join(application(environ, lambda s, h, *_: status.append(s)))
    return status[0], (json.loads(out) if out else {})


def user_doc(i: int) -> dict:
    """The same shape of User as the Gatehouse side of the benchmark."""
    name = f"user{i}@example.com"
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "name": {"givenName": f"Given{i}", "familyName": f"Family{i}", "formatted": f"Given{i} Family{i}"},
        "emails": [{"value": name, "type": "work", "primary": True}],
        "title": ("Engineer", "Analyst", "Manager", "Designer")[i % 4],
        "active": True,
    }


def load() -> None:
    started = time.monotonic()
    with open(IDS_FILE + ".tmp", "w") as ids:
        for i in range(1, USERS + 1):
            status, doc = call("POST", "/v2/Users", body=user_doc(i))
            if not status.startswith("201"):
                raise SystemExit(f"peer: creating user{i} answered {status}: {doc}")
            ids.write(f"{doc['id']} {doc['userName']}\n")
    # The first equality search builds the userName index: do it before the fork, so the
    # workers inherit it instead of each building its own under load.
    status, doc = call("GET", "/v2/Users", query='filter=userName%20eq%20%22user1%40example.com%22')
    if not status.startswith("200") or doc.get("totalResults") != 1:
        raise SystemExit(f"peer: the userName filter answered {status}: {doc}")
    os.rename(IDS_FILE + ".tmp", IDS_FILE)
    print(f"peer: {USERS} users loaded in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)


load()
