#!/usr/bin/env python3
"""Run the scim2-tester checks against a running Gatehouse SCIM endpoint.

Usage: scim_tester.py --url http://127.0.0.1:PORT/scim/v2 --token gh_scim_… [--verbose]
                      [--email-user-names] [--tolerate-unknown]

The default run is the strict, unmodified scim2-tester. The two options are for diagnosis,
to see past one known finding each (see conformance/README.md); neither is the default.

Prints one line per failed check (with its reason), one per deviation from a SHOULD
(not counted as a failure), then exactly one closing line `N passed, M failed`.
Exits 1 when M > 0, 2 when the checks could not run at all.

Outcomes (scim2_tester.Status):
  passed  = SUCCESS, COMPLIANT, ACCEPTABLE, DEVIATION (a SHOULD not followed; listed as "warn")
  failed  = ERROR, CRITICAL (a MUST violated, or a crash of the check)
  skipped = SKIPPED (not counted)
"""

import argparse
import json
import sys
import uuid

import httpx2
import scim2_tester.checkers.patch_add
import scim2_tester.checkers.patch_replace
import scim2_tester.filling
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import ScimPolicy, ScimProvider
from scim2_tester import Status, check_server

PASSED = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE, Status.DEVIATION}
FAILED = {Status.ERROR, Status.CRITICAL}


def short(data, limit=600):
    """A one-line rendering of a check's debugging data."""
    if data is None:
        return ""
    try:
        text = json.dumps(data, default=str, sort_keys=True)
    except Exception:  # pragma: no cover - best effort only
        text = repr(data)
    return text if len(text) <= limit else text[:limit] + "…"


def use_email_user_names() -> None:
    """Make every generated userName an email address.

    Gatehouse names a User's account by its email (emails, else an email-shaped userName) and
    refuses a User with neither, while RFC 7643 requires userName only: scim2-tester fills just
    the required attributes, so without this every User creation fails for that one reason.
    """
    original = scim2_tester.filling.generate_random_value

    def generate(context, path, *args, **kwargs):
        value = original(context, path, *args, **kwargs)
        if value is not None and str(path).split(".")[-1].split(":")[-1] == "userName":
            value = f"{uuid.uuid4()}@example.com"
        return value

    for module in (scim2_tester.filling, scim2_tester.checkers.patch_add, scim2_tester.checkers.patch_replace):
        module.generate_random_value = generate


def one_line(reason) -> str:
    """A check's reason on one line, without pydantic's documentation links."""
    lines = [line.strip() for line in str(reason or "").splitlines()]
    return " | ".join(line for line in lines if line and not line.startswith("For further information"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2")
    parser.add_argument("--token", required=True, help="SCIM bearer token")
    parser.add_argument("--resource-types", default="User,Group")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per HTTP request")
    parser.add_argument(
        "--tolerate-unknown",
        action="store_true",
        help="accept attributes no schema declares in responses (diagnosis only: hides a real deviation)",
    )
    parser.add_argument(
        "--email-user-names",
        action="store_true",
        help="generate email-shaped userNames (Gatehouse needs an email per User; RFC 7643 does not)",
    )
    parser.add_argument("--verbose", action="store_true", help="also print passed checks and failure data")
    args = parser.parse_args()

    http = httpx2.Client(
        base_url=args.url.rstrip("/") + "/",
        headers={"Authorization": f"Bearer {args.token}"},
        timeout=args.timeout,
    )
    if args.email_user_names:
        use_email_user_names()
    policy = ScimPolicy(unknown=ScimPolicy.Unknown.keep) if args.tolerate_unknown else ScimPolicy()
    client = SyncSCIMClient(http, provider=ScimProvider(policy=policy))
    try:
        results = check_server(
            client,
            raise_exceptions=False,
            resource_types=[r for r in args.resource_types.split(",") if r],
        )
    except Exception as exc:  # the tester itself crashed: that is a failure of the run
        print(f"FAIL scim2-tester crashed: {type(exc).__name__}: {exc}")
        print("0 passed, 1 failed")
        return 2

    passed = failed = 0
    for r in results:
        label = f"[{r.resource_type}] {r.title}" if r.resource_type else str(r.title)
        if r.status in FAILED:
            failed += 1
            print(f"FAIL {label} ({r.status.name}): {one_line(r.reason)}")
            if args.verbose and r.data is not None:
                print(f"     data: {short(r.data)}")
        elif r.status in PASSED:
            passed += 1
            if r.status == Status.DEVIATION:
                print(f"warn {label} (DEVIATION, counted as passed): {one_line(r.reason)}")
            elif args.verbose:
                print(f"ok   {label} ({r.status.name}): {r.reason or ''}")
        elif args.verbose:
            print(f"skip {label}: {r.reason}")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
