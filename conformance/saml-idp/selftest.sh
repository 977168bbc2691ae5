#!/usr/bin/env bash
# Self-check of the test IdP: every response/attack is produced by idp.py and every signature
# is checked by the xmlsec1 binary against the IdP certificate (not against the cert embedded
# in KeyInfo), so we know pysaml2 produced real XML-DSig and the attacks are what they claim.
# Usage: conformance/saml-idp/selftest.sh      (exit 0 = all checks as expected)
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CONF="$(dirname "$HERE")"
VENV="$CONF/.venv"
PY="$VENV/bin/python"
IDP=("$PY" "$HERE/idp.py")
KEYS="${GATEHOUSE_SAML_IDP_KEYS:-$HERE/.keys}"
WORK="$(mktemp -d)"
SERVE_PID=""
cleanup() {
  if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# ---- install into the shared venv if needed (add, never remove) ----------------------------
if [ ! -x "$PY" ]; then python3 -m venv "$VENV"; fi
if ! "$PY" -c 'import saml2, lxml, cryptography' 2>/dev/null; then
  "$VENV/bin/pip" install -q -r "$HERE/requirements.txt"
fi
command -v xmlsec1 >/dev/null || { echo "xmlsec1 not found (apt-get install xmlsec1)"; exit 2; }
"${IDP[@]}" keys >/dev/null

PASS=0; FAIL=0; RESULTS=()
record() { # name ok(0/1) detail
  if [ "$2" = 0 ]; then PASS=$((PASS+1)); RESULTS+=("ok    $1  $3"); else FAIL=$((FAIL+1)); RESULTS+=("FAIL  $1  $3"); fi
}

# verify FILE CERT -> prints "valid" if every ds:Signature verifies, "invalid" if any fails,
# "unsigned" if there is none.
verify() {
  local file="$1" cert="$2" n i
  n=$("$PY" - "$file" <<'EOF'
import sys
from lxml import etree
t = etree.parse(sys.argv[1], etree.XMLParser(resolve_entities=False, no_network=True))
print(len(t.findall(".//{http://www.w3.org/2000/09/xmldsig#}Signature")))
EOF
)
  if [ "$n" = 0 ]; then echo unsigned; return; fi
  for i in $(seq 1 "$n"); do
    if ! xmlsec1 --verify --enabled-key-data raw-x509-cert --pubkey-cert-pem "$cert" \
        --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response \
        --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion \
        --node-xpath "(//*[local-name()='Signature' and namespace-uri()='http://www.w3.org/2000/09/xmldsig#'])[$i]" \
        "$file" >"$WORK/xmlsec.out" 2>&1; then
      echo invalid; return
    fi
  done
  echo "valid"
}

# xpath-ish probe: py FILE EXPR -> prints the result of a small Python expression over tree `t`
probe() {
  "$PY" - "$1" "$2" <<'EOF'
import sys
from lxml import etree
NS = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
      "ds": "http://www.w3.org/2000/09/xmldsig#", "md": "urn:oasis:names:tc:SAML:2.0:metadata"}
t = etree.parse(sys.argv[1], etree.XMLParser(resolve_entities=False, no_network=True))
print(eval(sys.argv[2]))
EOF
}

b64file() { base64 -d >"$1"; }

# ---- metadata -------------------------------------------------------------------------------
MD=(--entity-id https://idp.test/metadata --sso-url https://idp.test/sso)
"${IDP[@]}" metadata "${MD[@]}" >"$WORK/md.xml"
r=$(probe "$WORK/md.xml" "len(t.findall('.//md:KeyDescriptor[@use=\"signing\"]', NS)), len(t.findall('.//md:SingleSignOnService', NS))")
[ "$r" = "(1, 2)" ]; record "metadata (1 signing cert, Redirect+POST SSO)" $? "$r"
"${IDP[@]}" metadata "${MD[@]}" --cert both >"$WORK/md2.xml"
r=$(probe "$WORK/md2.xml" "len(t.findall('.//md:KeyDescriptor[@use=\"signing\"]', NS))")
[ "$r" = 2 ]; record "metadata --cert both (rollover)" $? "signing KeyDescriptors=$r"
"${IDP[@]}" metadata "${MD[@]}" --no-signing-cert >"$WORK/md0.xml"
r=$(probe "$WORK/md0.xml" "len(t.findall('.//md:KeyDescriptor', NS))")
[ "$r" = 0 ]; record "metadata --no-signing-cert" $? "KeyDescriptors=$r"

# ---- responses ------------------------------------------------------------------------------
COMMON=(--entity-id https://idp.test/metadata --sp-entity-id https://sp.test/saml/metadata
        --acs-url https://sp.test/saml/acs --in-response-to id-req-1
        --attr "groups=Engineering,Source Admins"
        --attr "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups=0f4b2f3e-aaaa-4bbb-8ccc-000000000001")

case_response() { # name expected cert-name args...
  local name="$1" expect="$2" cert="$3"; shift 3
  if ! "${IDP[@]}" response "${COMMON[@]}" "$@" | b64file "$WORK/$name.xml"; then
    record "response $name" 1 "idp.py failed"; return
  fi
  local got; got=$(verify "$WORK/$name.xml" "$KEYS/$cert.crt")
  [ "$got" = "$expect" ]; record "response $name" $? "xmlsec1 vs $cert cert: $got (expected $expect)"
}
case_response default        valid   idp
case_response sign-assertion valid   idp --sign assertion
case_response sign-response  valid   idp --sign response
case_response sign-none      unsigned idp --sign none
case_response sha1           valid   idp --alg sha1
case_response key-attacker   invalid idp --key attacker
case_response key-attacker-self valid attacker --key attacker
case_response expired        valid   idp --not-before-offset -900 --not-on-or-after-offset -300
case_response idp-initiated  valid   idp --in-response-to ""

r=$(probe "$WORK/sha1.xml" "sorted({e.get('Algorithm') for e in t.iter('{%s}SignatureMethod' % NS['ds'])} | {e.get('Algorithm') for e in t.iter('{%s}DigestMethod' % NS['ds'])})")
[ "$r" = "['http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2000/09/xmldsig#sha1']" ]
record "response sha1 uses rsa-sha1 + sha1" $? "$r"
r=$(probe "$WORK/default.xml" "[len(t.findall('ds:Signature', NS)), len(t.findall('saml:Assertion/ds:Signature', NS)), t.find('.//saml:NameID', NS).get('Format'), t.find('.//saml:SubjectConfirmationData', NS).get('InResponseTo'), t.getroot().get('InResponseTo')]")
[ "$r" = "[1, 1, 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', 'id-req-1', 'id-req-1']" ]
record "response default: Response+Assertion signed, emailAddress NameID, InResponseTo" $? "$r"
r=$(probe "$WORK/expired.xml" "__import__('datetime').datetime.strptime(t.find('.//saml:Conditions', NS).get('NotOnOrAfter'), '%Y-%m-%dT%H:%M:%SZ') < __import__('datetime').datetime.utcnow()")
[ "$r" = True ]; record "response expired: NotOnOrAfter in the past" $? "$r"
r=$(probe "$WORK/idp-initiated.xml" "[t.getroot().get('InResponseTo'), t.find('.//saml:SubjectConfirmationData', NS).get('InResponseTo')]")
[ "$r" = "[None, None]" ]; record "response IdP-initiated: no InResponseTo" $? "$r"

# ---- attacks --------------------------------------------------------------------------------
case_attack() { # kind expected
  local kind="$1" expect="$2"; shift 2
  if ! "${IDP[@]}" attack "$kind" "${COMMON[@]}" "$@" | b64file "$WORK/attack-$kind.xml"; then
    record "attack $kind" 1 "idp.py failed"; return
  fi
  local got; got=$(verify "$WORK/attack-$kind.xml" "$KEYS/idp.crt")
  [ "$got" = "$expect" ]; record "attack $kind" $? "xmlsec1: $got (expected $expect)"
}
# XSW: the moved, still-signed assertion verifies; the SP must still refuse (it must use only
# what the signature covers, and exactly one assertion).
case_attack wrap-response-sibling valid
case_attack wrap-evil-first valid
# XSW with the assertion inside the signature's ds:Object: libxmlsec's enveloped-signature
# transform drops the whole enclosing Signature subtree, so the digest no longer matches.
case_attack wrap-assertion-in-signature invalid
# Comments are not part of exclusive C14N: the signature is valid for both readings.
case_attack comment-in-nameid valid
case_attack unsigned unsigned
case_attack tamper-after-sign invalid
# DOCTYPE: xmlsec1 does not expand the entity reference (C14N refuses it) ...
case_attack doctype invalid
# ... but with the entities expanded the signatures hold: only refusing a DOCTYPE stops it.
"$PY" - "$WORK/attack-doctype.xml" "$WORK/doctype-expanded.xml" <<'EOF'
import sys
from lxml import etree
t = etree.parse(sys.argv[1], etree.XMLParser(resolve_entities=True, load_dtd=False, no_network=True))
open(sys.argv[2], "wb").write(etree.tostring(t.getroot(), xml_declaration=True, encoding="UTF-8"))
EOF
got=$(verify "$WORK/doctype-expanded.xml" "$KEYS/idp.crt")
[ "$got" = valid ]; record "attack doctype (entities expanded)" $? "xmlsec1: $got (expected valid)"

r=$(probe "$WORK/attack-wrap-evil-first.xml" "[a.find('.//saml:NameID', NS).text for a in t.findall('saml:Assertion', NS)]")
[ "$r" = "['mallory@example.com', 'alice@example.com']" ]; record "wrap-evil-first: evil first, signed second" $? "$r"
r=$(probe "$WORK/attack-wrap-response-sibling.xml" "[t.find('saml:Assertion//saml:NameID', NS).text, t.find('samlp:Extensions/saml:Assertion//saml:NameID', NS).text]")
[ "$r" = "['mallory@example.com', 'alice@example.com']" ]; record "wrap-response-sibling: evil in place, signed in Extensions" $? "$r"
r=$(probe "$WORK/attack-comment-in-nameid.xml" "[t.find('.//saml:NameID', NS).text, ''.join(t.find('.//saml:NameID', NS).itertext())]")
[ "$r" = "['alice@example.com', 'alice@example.com.evil.com']" ]; record "comment-in-nameid: first text node vs full text" $? "$r"

# ---- serve ----------------------------------------------------------------------------------
cat >"$WORK/users.json" <<'EOF'
{"alice@example.com": {"groups": ["Engineering", "Source Admins"], "givenname": "Alice"},
 "bob@example.com": {"groups": ["Sales"]}}
EOF
"${IDP[@]}" serve --port 0 --sp-acs https://sp.test/saml/acs --sp-entity-id https://sp.test/saml/metadata \
  --users "$WORK/users.json" --auto-user alice@example.com --max-seconds 60 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVE_PID=$!
for _ in $(seq 1 100); do grep -q '^listening' "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
BASE=$(awk '/^listening/{print $2; exit}' "$WORK/serve.out")
if [ -n "$BASE" ]; then
  "$PY" - "$BASE" "$WORK" <<'EOF'
import base64, html, re, sys, urllib.parse, urllib.request
from saml2 import samlp, saml
from saml2.s_utils import deflate_and_base64_encode
base, work = sys.argv[1], sys.argv[2]
req = samlp.AuthnRequest(id="id-browser-req-42", version="2.0", issue_instant="2024-01-01T00:00:00Z",
                         assertion_consumer_service_url="https://sp.test/saml/acs",
                         issuer=saml.Issuer(text="https://sp.test/saml/metadata"))
q = urllib.parse.urlencode({"SAMLRequest": deflate_and_base64_encode(req.to_string()), "RelayState": "/after?x=1"})
page = urllib.request.urlopen(f"{base}/sso?{q}", timeout=10).read().decode()
resp = html.unescape(re.search(r'name="SAMLResponse" value="([^"]+)"', page).group(1))
relay = html.unescape(re.search(r'name="RelayState" value="([^"]+)"', page).group(1))
action = re.search(r'action="([^"]+)"', page).group(1)
open(f"{work}/served.xml", "wb").write(base64.b64decode(resp))
md = urllib.request.urlopen(f"{base}/metadata", timeout=10).read()
open(f"{work}/served-md.xml", "wb").write(md)
assert action == "https://sp.test/saml/acs" and relay == "/after?x=1", (action, relay)
EOF
  r=$?
  out_ok=1; [ $r = 0 ] && out_ok=0
  record "serve: GET /sso (Redirect binding) -> auto-POST form" $out_ok "base=$BASE"
  if [ $r = 0 ]; then
    got=$(verify "$WORK/served.xml" "$KEYS/idp.crt")
    irt=$(probe "$WORK/served.xml" "t.getroot().get('InResponseTo')")
    [ "$got" = valid ] && [ "$irt" = id-browser-req-42 ]
    record "serve: SAMLResponse signed, InResponseTo = request ID" $? "$got, InResponseTo=$irt"
    r=$(probe "$WORK/served-md.xml" "t.getroot().get('entityID')")
    [ "$r" = "$BASE/metadata" ]; record "serve: GET /metadata" $? "entityID=$r"
  fi
  kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; rc=$?; SERVE_PID=""
  [ $rc = 0 ]; record "serve: exits 0 on SIGTERM" $? "rc=$rc"
else
  record "serve: starts" 1 "$(cat "$WORK/serve.err")"
fi

# ---- summary --------------------------------------------------------------------------------
printf '%s\n' "${RESULTS[@]}"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
