#!/usr/bin/env python3
"""Replay the recorded IdP request sequences (conformance/recordings/*/*.json) against a
running SCIM server, with the same rules as the Rust test tests/api/recordings.rs.

Usage: replay.py --url http://127.0.0.1:PORT/scim/v2 --token gh_scim_… [FILE…]

Each file needs a fresh workspace (the expectations count users and groups). Standard
library only. Ends with one line `N passed, M failed` (counting steps).
"""

import argparse
import glob
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def substitute(value, variables):
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in variables:
            return variables[whole.group(1)]

        def one(m):
            if m.group(1) not in variables:
                raise KeyError(f"no captured variable {m.group(1)!r}")
            v = variables[m.group(1)]
            return v if isinstance(v, str) else json.dumps(v)

        return PLACEHOLDER.sub(one, value)
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    return value


def contains(expected, actual, at=""):
    """None when `actual` contains `expected`, else where and why not."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{at or '/'}: expected an object, got {json.dumps(actual)}"
        for k, v in expected.items():
            if k not in actual:
                return f"{at}/{k}: missing"
            why = contains(v, actual[k], f"{at}/{k}")
            if why:
                return why
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{at or '/'}: expected an array, got {json.dumps(actual)}"
        for i, e in enumerate(expected):
            if not any(contains(e, a) is None for a in actual):
                return f"{at}/{i}: no element contains {json.dumps(e)} in {json.dumps(actual)}"
        return None
    if expected != actual or type(expected) is not type(actual):
        return f"{at or '/'}: expected {json.dumps(expected)}, got {json.dumps(actual)}"
    return None


def pointer(doc, ptr):
    """The value at a JSON pointer, or a sentinel when absent."""
    missing = object()
    cur = doc
    for raw in ptr.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(cur, dict) and token in cur:
            cur = cur[token]
        elif isinstance(cur, list) and token.isdigit() and int(token) < len(cur):
            cur = cur[int(token)]
        else:
            return missing, False
    return cur, True


def encode_path(path):
    """Percent-encode what a recorded path writes literally (spaces, quotes in filters)."""
    return urllib.parse.quote(path, safe="/?&=:@,;+$!*'()~-._%[]")


def replay(base, token, file):
    steps = json.load(open(file))
    variables = {"base": base}
    passed = failed = 0
    for n, step in enumerate(steps, 1):
        label = f"{os.path.relpath(file, HERE)} step {n} \"{step['name']}\""
        try:
            req = substitute(step["request"], variables)
            exp = substitute(step["expect"], variables)
        except KeyError as e:
            print(f"FAIL {label}: {e.args[0]} (an earlier capture failed); stopping this file")
            return passed, failed + len(steps) - n + 1
        body = req.get("body")
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json"}
        if data is not None:
            headers["Content-Type"] = "application/scim+json"
        headers.update(req.get("headers", {}))
        r = urllib.request.Request(base + encode_path(req["path"]), data=data, method=req["method"], headers=headers)
        try:
            with urllib.request.urlopen(r, timeout=20) as resp:
                status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        try:
            got = json.loads(text) if text else None
        except ValueError:
            got = text
        problems = []
        if status != exp["status"]:
            problems.append(f"status {status}, expected {exp['status']}")
        if "body_contains" in exp:
            why = contains(exp["body_contains"], got)
            if why:
                problems.append(f"body: {why}")
        for ptr in exp.get("body_lacks", []):
            if pointer(got, ptr)[1]:
                problems.append(f"body has {ptr}, which it must not")
        for var, ptr in exp.get("capture", {}).items():
            value, found = pointer(got, ptr)
            if found:
                variables[var] = value
            else:
                problems.append(f"nothing at {ptr} to capture as {var}")
        if problems:
            failed += 1
            note = f" [known: {step['known_bug']}]" if step.get("known_bug") else ""
            print(f"FAIL {label}{note}: {'; '.join(problems)}\n     {req['method']} {req['path']} -> {status} {text[:400]}")
        else:
            passed += 1
    return passed, failed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    files = args.files or sorted(glob.glob(os.path.join(HERE, "recordings", "*", "*.json")))
    total_p = total_f = 0
    for f in files:
        p, fl = replay(args.url.rstrip("/"), args.token, f)
        total_p += p
        total_f += fl
    print(f"{total_p} passed, {total_f} failed")
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main())
