"""Signed SAML responses for conformance/bench/saml, and a client that posts each one once.

    conformance/.venv/bin/python conformance/bench/saml_load.py generate \
        --count 2000 --port 8080 --slug bench --out bodies.txt
    conformance/.venv/bin/python conformance/bench/saml_load.py post \
        --url http://127.0.0.1:8080/saml/bench/acs --bodies bodies.txt --connections 32

generate: N IdP-initiated responses for user1..userN@example.com, built and signed by the test
IdP (conformance/saml-idp/idp.py: pysaml2, signatures by xmlsec1, Response and Assertion both
signed, a fresh random Assertion ID each), one form body "SAMLResponse=<urlencoded base64>" a
line. idp.py loads its configuration (parsing the private key) and builds a pysaml2 Server for
every response, and pysaml2 asks xmlsec1 for its version before every signature; here each
worker process does these once (idp.idp_config, idp.Server and pysaml2's version property are
wrapped), so what remains is building the XML and the two xmlsec1 signatures, on one worker
process per core.

post: sends every body exactly once over keep-alive HTTP/1.1 connections to 127.0.0.1 (the
standard library only), and prints one JSON object: how many answered 303 (a session was
started), the other statuses, logins/s over the whole run, and latency percentiles.
"""

import argparse
import asyncio
import json
import os
import resource
import sys
import time
import urllib.parse
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
IDP_DIR = os.path.join(HERE, "..", "saml-idp")

IDP_ENTITY_ID = "https://idp.test/metadata"


# ---- generate ---------------------------------------------------------------------------

_job: dict = {}


def _init_worker(port: int, slug: str) -> None:
    sys.path.insert(0, IDP_DIR)
    import idp  # the project's test IdP

    from saml2 import sigver

    idp.ensure_keys()
    # Every response of this run has the same IdP and SP, so one configuration (loading it
    # parses the private key) and one pysaml2 Server serve them all.
    real_config, real_server = idp.idp_config, idp.Server
    cached: dict = {}

    def config(*args, **kwargs):
        if "config" not in cached:
            cached["config"] = real_config(*args, **kwargs)
        return cached["config"]

    def server(config):
        if "server" not in cached:
            cached["server"] = real_server(config=config)
        return cached["server"]

    idp.idp_config, idp.Server = config, server
    # pysaml2 runs `xmlsec1 --version` before every signature: ask once.
    version = sigver.CryptoBackendXmlSec1(idp.XMLSEC1).version
    sigver.CryptoBackendXmlSec1.version = property(lambda self: version)
    base = f"http://127.0.0.1:{port}/saml/{slug}"
    _job.update(idp=idp, sp_entity_id=f"{base}/metadata", acs_url=f"{base}/acs")


def _body(k: int) -> str:
    idp = _job["idp"]
    opts = idp.response_defaults(
        entity_id=IDP_ENTITY_ID,
        sp_entity_id=_job["sp_entity_id"],
        acs_url=_job["acs_url"],
        name_id=f"user{k}@example.com",
    )
    xml = idp.build_signed(opts)
    import base64

    encoded = base64.b64encode(xml.encode("utf-8")).decode("ascii")
    return "SAMLResponse=" + urllib.parse.quote(encoded, safe="")


def generate(args) -> int:
    import multiprocessing

    started = time.monotonic()
    users = range(args.first, args.first + args.count)
    with multiprocessing.get_context("fork").Pool(
        args.workers, initializer=_init_worker, initargs=(args.port, args.slug)
    ) as pool:
        bodies = pool.map(_body, users, chunksize=16)
    with open(args.out, "w") as f:
        for b in bodies:
            f.write(b + "\n")
    print(json.dumps({"responses": len(bodies), "seconds": round(time.monotonic() - started, 1),
                      "workers": args.workers}))
    return 0


# ---- post -------------------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """Status, whether the server keeps the connection, and the body."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    body = b""
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    keep = headers.get("connection", "").lower() != "close"
    return status, keep, body


async def _post_all(args, bodies: list[bytes]) -> dict:
    url = urllib.parse.urlsplit(args.url)
    if url.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("only 127.0.0.1 is ever contacted")
    host, port, path = url.hostname, url.port or 80, url.path
    statuses: Counter = Counter()
    samples: dict = {}
    latencies: list[float] = []
    next_index = 0
    deadline = time.monotonic() + args.max_seconds

    async def connection() -> None:
        nonlocal next_index
        reader = writer = None
        while next_index < len(bodies) and time.monotonic() < deadline:
            body = bodies[next_index]
            next_index += 1
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            request = (
                f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            t = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status, keep, answer = await asyncio.wait_for(_read_response(reader), args.timeout)
            latencies.append(time.perf_counter() - t)
            statuses[status] += 1
            if status != 303 and status not in samples:
                samples[status] = answer[:400].decode("utf-8", "replace")
            if not keep:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(args.connections)))
    elapsed = time.perf_counter() - started
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return 0.0
        return round(latencies[min(len(latencies) - 1, max(0, int(p / 100 * len(latencies) + 0.5) - 1))] * 1000, 2)

    return {
        "requests": len(latencies),
        "ok": statuses.get(303, 0),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "refused_samples": samples,
        "seconds": round(elapsed, 3),
        "logins_per_s": round(statuses.get(303, 0) / elapsed, 1) if elapsed else 0,
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else 0,
        "client_cpu_s": round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 2),
    }


def post(args) -> int:
    with open(args.bodies, "rb") as f:
        bodies = [line.rstrip(b"\n") for line in f if line.strip()]
    print(json.dumps(asyncio.run(_post_all(args, bodies))))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write N signed IdP-initiated responses as form bodies")
    g.add_argument("--count", type=int, required=True)
    g.add_argument("--first", type=int, default=1, help="first user number (userK@example.com)")
    g.add_argument("--port", type=int, required=True, help="Gatehouse's port (SP entity id, ACS URL)")
    g.add_argument("--slug", default="bench")
    g.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    g.add_argument("--out", required=True)
    p = sub.add_parser("post", help="POST every body once; print the figures as JSON")
    p.add_argument("--url", required=True)
    p.add_argument("--bodies", required=True)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    p.add_argument("--max-seconds", type=float, default=300.0, help="stop sending after this long")
    args = ap.parse_args()
    return generate(args) if args.cmd == "generate" else post(args)


if __name__ == "__main__":
    sys.exit(main())
