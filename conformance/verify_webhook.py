"""Verifies one recorded webhook delivery with the standardwebhooks package (PyPI), the
third-party verifier receivers use. Run by tests/api/webhook_signatures.rs.

usage: verify_webhook.py SECRET HEADERS.json BODY_FILE
SECRET is `whsec_<base64>`; a raw secret is passed as `whsec_` + base64(secret).
Prints "verified" and exits 0, or prints the verifier's error and exits 1.
"""

import json
import sys

from standardwebhooks.webhooks import Webhook


def main() -> int:
    secret, headers_file, body_file = sys.argv[1:4]
    with open(headers_file, encoding="utf-8") as f:
        headers = json.load(f)
    with open(body_file, "rb") as f:
        body = f.read()
    try:
        Webhook(secret).verify(body, headers)
    except Exception as err:  # the library raises WebhookVerificationError
        print(f"refused: {type(err).__name__}: {err}")
        return 1
    print("verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
