"""Gatehouse sign-in, as a person does it, in headless Chromium.

Five scenarios, each in a fresh browser with a fresh profile:

  invite    the invitation link -> choose a password twice -> Create my account and join -> `/`
            says "<email> (signed in with a password)" (the account is created here)
  password  /login -> email -> Continue -> password field -> Sign in -> `/` says
            "<email> (signed in with a password)"
  sso       /login -> email of an SSO domain -> Continue -> /saml/<ws>/login -> the IdP's /sso ->
            the IdP's auto-posting form -> ACS -> `/` says "<email> (signed in with SSO)"
  console   /console (signed out) -> /login -> an owner (the invitee, an owner: runs after invite)
            signs in with a password -> the workspace -> Members ->
            the SSO user -> Source Admin "Only iOS Prod" -> Give; the access API then allows iOS
            Prod and not Web Prod; the SCIM log shows the refused request; the sign-in log
  console-member  the SSO user, a member who is no owner, signs in and /console/<ws> says
            "Not an owner"

Every step is screenshotted into --screenshots as NN-<scenario>-<step>.png. Prints one line per
scenario (`PASS name` / `FAIL name: reason`) and ends with `N passed, M failed`; exits 1 when a
scenario failed. Only 127.0.0.1 is ever visited: the base URL must be on it, every page the
browser lands on is checked, and the browser's resolver maps every other name to nothing.

conformance/browser/run sets up Gatehouse and the IdP and calls this; run it by hand as
  login_test.py --base-url http://127.0.0.1:PORT --screenshots DIR \
      --password-email pat@other.org --password '…' --sso-email alice@example.com --idp-url http://127.0.0.1:IDP
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

WAIT_S = 20  # the longest any single wait may take
PAGE_LOAD_S = 20

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-default-browser-check",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-proxy-server",
    # Belt and braces for "only ever talk to 127.0.0.1": no other host name resolves.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--window-size=1100,800",
]


class Failure(Exception):
    pass


class Shots:
    """Numbers screenshots across scenarios: 01-password-login-page.png, 02-…"""

    def __init__(self, folder: Path):
        self.folder = folder
        self.n = 0

    def take(self, driver, scenario: str, step: str) -> Path:
        self.n += 1
        path = self.folder / f"{self.n:02d}-{scenario}-{step}.png"
        if not driver.save_screenshot(str(path)):
            raise Failure(f"could not save screenshot {path}")
        return path


class Browser:
    """One headless Chromium with a fresh --user-data-dir, removed on close."""

    def __init__(self, chromium: str, chromedriver: str, log_dir: Path, name: str):
        self.profile = Path(tempfile.mkdtemp(prefix="gatehouse-chromium-"))
        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium
        for flag in CHROMIUM_FLAGS:
            opts.add_argument(flag)
        opts.add_argument(f"--user-data-dir={self.profile}")
        # The performance log holds the Network.* events: the redirect chain is checked from it.
        opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        service = Service(
            executable_path=chromedriver,
            log_output=str(log_dir / f"chromedriver-{name}.log"),
        )
        try:
            self.driver = webdriver.Chrome(service=service, options=opts)
        except Exception:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        self.driver.set_page_load_timeout(PAGE_LOAD_S)
        self.driver.set_script_timeout(WAIT_S)

    def close(self) -> None:
        try:
            self.driver.quit()
        except Exception:  # noqa: BLE001 - closing must not hide the scenario's result
            pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def requests_seen(self) -> list[tuple[str, str]]:
        """(method, url) of every document request since the last call, in order."""
        seen = []
        for entry in self.driver.get_log("performance"):
            try:
                msg = json.loads(entry["message"])["message"]
            except (KeyError, ValueError):
                continue
            if msg.get("method") != "Network.requestWillBeSent":
                continue
            params = msg.get("params", {})
            if params.get("type") not in (None, "Document"):
                continue
            req = params.get("request", {})
            seen.append((req.get("method", "?"), req.get("url", "")))
        return seen


# Pages the browser makes itself (its new-tab page, about:blank): never on the network.
BROWSER_INTERNAL = ("about", "chrome", "chrome-untrusted", "data", "blob", "devtools")


def local_only(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme in BROWSER_INTERNAL:
        return
    if parts.scheme not in ("http", "https") or parts.hostname != "127.0.0.1":
        raise Failure(f"the browser went to {url!r}: only http://127.0.0.1 is allowed")


def wait_for(driver, condition, what: str):
    try:
        return WebDriverWait(driver, WAIT_S, poll_frequency=0.1).until(condition)
    except TimeoutException:
        raise Failure(
            f"waited {WAIT_S} s for {what}; the browser is at {driver.current_url} "
            f"showing: {page_text(driver)!r}"
        ) from None


def page_text(driver) -> str:
    try:
        return " ".join(driver.find_element(By.TAG_NAME, "body").text.split())[:300]
    except WebDriverException:
        return "(no page)"


def path_is(base: str, path: str):
    want = base.rstrip("/") + path

    def check(driver):
        url = driver.current_url
        return url == want or url.startswith(want + "?")

    return check


def open_login(b: Browser, base: str, shots: Shots, scenario: str, email: str) -> None:
    d = b.driver
    d.get(base + "/login")
    if not path_is(base, "/login")(d):
        raise Failure(f"opening {base}/login ended at {d.current_url}")
    email_input = wait_for(d, EC.visibility_of_element_located((By.ID, "email")), "the email field on /login")
    wait_for(d, EC.element_to_be_clickable((By.ID, "continue")), "the Continue button (#continue)")
    if d.find_elements(By.ID, "password"):
        raise Failure("/login shows a password field before the email was given")
    shots.take(d, scenario, "login-page")
    email_input.clear()
    email_input.send_keys(email)
    shots.take(d, scenario, "email-typed")


def expect_landing(b: Browser, base: str, shots: Shots, scenario: str, who: str) -> str:
    d = b.driver
    wait_for(d, path_is(base, "/"), "the landing page /")
    el = wait_for(d, EC.visibility_of_element_located((By.ID, "who")), "#who on the landing page")
    shots.take(d, scenario, "signed-in")
    text = " ".join(el.text.split())
    if who not in text:
        raise Failure(f"#who reads {text!r}; expected it to contain {who!r}")
    return text


def scenario_password(b: Browser, args, shots: Shots) -> str:
    d = b.driver
    base = args.base_url
    open_login(b, base, shots, "password", args.password_email)
    d.find_element(By.ID, "continue").click()
    pw = wait_for(d, EC.visibility_of_element_located((By.ID, "password")), "the password field (#password)")
    local_only(d.current_url)
    if not d.find_elements(By.ID, "sign-in"):
        raise Failure("the password step has no Sign in button (#sign-in)")
    shown = d.find_element(By.ID, "email").get_attribute("value")
    if shown != args.password_email:
        raise Failure(f"the password step shows email {shown!r}, not {args.password_email!r}")
    shots.take(d, "password", "password-step")
    pw.send_keys(args.password)
    shots.take(d, "password", "password-typed")
    d.find_element(By.ID, "sign-in").click()
    text = expect_landing(b, base, shots, "password", f"{args.password_email} (signed in with a password)")
    for _, url in b.requests_seen():
        local_only(url)
    return text


def scenario_invite(b: Browser, args, shots: Shots) -> str:
    d = b.driver
    base = args.base_url
    if not args.invite_url:
        raise Failure("no --invite-url given")
    local_only(args.invite_url)
    d.get(args.invite_url)
    wait_for(d, EC.visibility_of_element_located((By.ID, "invitation")), "the invitation (#invitation)")
    pw = wait_for(d, EC.visibility_of_element_located((By.ID, "password")), "the new password field")
    shots.take(d, "invite", "invitation")
    pw.send_keys(args.password)
    d.find_element(By.ID, "password_again").send_keys(args.password)
    shots.take(d, "invite", "password-chosen")
    d.find_element(By.ID, "accept").click()
    text = expect_landing(b, base, shots, "invite", f"{args.password_email} (signed in with a password)")
    for _, url in b.requests_seen():
        local_only(url)
    return text


def scenario_sso(b: Browser, args, shots: Shots) -> str:
    d = b.driver
    base = args.base_url
    open_login(b, base, shots, "sso", args.sso_email)
    b.requests_seen()  # drop what came before Continue
    d.find_element(By.ID, "continue").click()

    # The IdP answers with an auto-submitting form; without --auto-user it shows a picker first.
    def landed_or_picker(driver):
        url = driver.current_url
        if path_is(base, "/")(driver) and driver.find_elements(By.ID, "who"):
            return "landed"
        if args.idp_url and url.startswith(args.idp_url) and driver.find_elements(By.ID, "signin"):
            return "picker"
        return False

    state = wait_for(d, landed_or_picker, "the IdP round trip to end on / (or the IdP's user picker)")
    if state == "picker":
        local_only(d.current_url)
        shots.take(d, "sso", "idp-user-picker")
        Select(d.find_element(By.ID, "user")).select_by_value(args.sso_email)
        d.find_element(By.ID, "signin").click()
    text = expect_landing(b, base, shots, "sso", f"{args.sso_email} (signed in with SSO)")

    chain = b.requests_seen()
    for _, url in chain:
        local_only(url)
    # The way there: POST /login, GET /saml/<ws>/login, GET <idp>/sso, POST <ACS>, GET /.
    steps = [(m, urlsplit(u)) for m, u in chain]
    gh = urlsplit(base).netloc

    def find(pred, what, start):
        for i in range(start, len(steps)):
            if pred(*steps[i]):
                return i + 1
        raise Failure(f"the redirect chain has no {what}: {[f'{m} {u}' for m, u in chain]}")

    i = find(lambda m, u: m == "POST" and u.netloc == gh and u.path == "/login", "POST /login", 0)
    i = find(lambda m, u: u.netloc == gh and u.path.startswith("/saml/") and u.path.endswith("/login"),
             "GET /saml/<ws>/login", i)
    i = find(lambda m, u: u.netloc != gh and u.path == "/sso" and "SAMLRequest=" in u.query,
             "request to the IdP's /sso with a SAMLRequest", i)
    i = find(lambda m, u: m == "POST" and u.netloc == gh and u.path.endswith("/acs"), "POST to the ACS", i)
    find(lambda m, u: u.netloc == gh and u.path == "/", "GET /", i)
    if args.verbose:
        for m, u in chain:
            print(f"  sso: {m} {u[:120]}", flush=True)
    return text


# In this order: the invitation creates the account the password scenario signs in to.
def password_sign_in(b: Browser, args, shots: Shots, scenario: str, email: str, return_to: str) -> None:
    """Signs `email` in with --password at /login?return_to=…, ending on `return_to`."""
    d = b.driver
    base = args.base_url
    d.get(f"{base}/login?return_to={return_to}")
    wait_for(d, EC.visibility_of_element_located((By.ID, "email")), "the email field on /login").send_keys(email)
    d.find_element(By.ID, "continue").click()
    wait_for(d, EC.visibility_of_element_located((By.ID, "password")), "the password field").send_keys(args.password)
    shots.take(d, scenario, "sign-in")
    d.find_element(By.ID, "sign-in").click()
    wait_for(d, path_is(base, return_to), f"{return_to} after signing in")


def access_check(args, user: str, resource: str) -> bool:
    """Asks the access API (service token) whether `user` may update source `resource`."""
    import urllib.request

    url = f"{args.base_url}/v1/workspaces/{args.workspace}/access/check"
    local_only(url)
    body = json.dumps({"user": user, "action": "source.update", "resource": {"type": "source", "id": resource}})
    req = urllib.request.Request(url, data=body.encode(), method="POST", headers={
        "Authorization": f"Bearer {args.service_token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=WAIT_S) as answer:
        return json.load(answer)["allowed"]


def scenario_console(b: Browser, args, shots: Shots) -> str:
    """An owner signs in, opens the console, gives a member Source Admin on iOS Prod only, and the
    access API follows; the SCIM log shows the refused SCIM request the run script made."""
    d = b.driver
    base = args.base_url
    if not args.service_token:
        raise Failure("no --service-token given")
    d.get(base + "/console")
    wait_for(d, path_is(base, "/login"), "the redirect of a signed-out browser to /login")
    password_sign_in(b, args, shots, "console", args.owner_email, "/console")
    wait_for(d, EC.element_to_be_clickable((By.LINK_TEXT, args.workspace)), "the workspace link").click()
    shots.take(d, "console", "overview")
    d.find_element(By.LINK_TEXT, "Members").click()
    wait_for(d, EC.element_to_be_clickable((By.LINK_TEXT, args.sso_email)), "the member in the list")
    shots.take(d, "console", "members")
    d.find_element(By.LINK_TEXT, args.sso_email).click()
    scope = wait_for(d, EC.visibility_of_element_located((By.ID, "scope-source-admin")), "the Source Admin scope picker")
    if access_check(args, args.sso_email, "ios"):
        raise Failure("the member could update iOS Prod before the role was given")
    Select(scope).select_by_visible_text("Only iOS Prod")
    shots.take(d, "console", "member-role-picked")
    d.find_element(By.CSS_SELECTOR, "button[data-role='source.admin']").click()
    notice = wait_for(d, EC.visibility_of_element_located((By.CSS_SELECTOR, "p.done")), "the confirmation")
    shots.take(d, "console", "member-role-given")
    if "Source Admin given" not in notice.text:
        raise Failure(f"the confirmation reads {notice.text!r}")
    if not access_check(args, args.sso_email, "ios"):
        raise Failure("the access check does not allow iOS Prod after the role was given")
    if access_check(args, args.sso_email, "web"):
        raise Failure("the role reached Web Prod too; it was given on iOS Prod only")
    d.find_element(By.LINK_TEXT, "SCIM").click()
    log = wait_for(d, EC.visibility_of_element_located((By.ID, "log")), "the SCIM request log")
    shots.take(d, "console", "scim-log")
    if "POST /scim/v2/Users" not in log.text or "refused" not in log.text:
        raise Failure(f"the SCIM log does not show the refused request: {log.text[:300]!r}")
    d.find_element(By.LINK_TEXT, "Sign-ins").click()
    wait_for(d, EC.visibility_of_element_located((By.ID, "log")), "the sign-in log")
    shots.take(d, "console", "sign-in-log")
    for _, url in b.requests_seen():
        local_only(url)
    return "Source Admin on iOS Prod given; the access check allows iOS Prod only"


def scenario_console_member(b: Browser, args, shots: Shots) -> str:
    """A member who is no owner (the SSO user) signs in and cannot open the console."""
    d = b.driver
    base = args.base_url
    target = f"/console/{args.workspace}"
    d.get(f"{base}/login?return_to={target}")
    wait_for(d, EC.visibility_of_element_located((By.ID, "email")), "the email field on /login").send_keys(args.sso_email)
    d.find_element(By.ID, "continue").click()

    def refused_or_picker(driver):
        if path_is(base, target)(driver) and driver.find_elements(By.TAG_NAME, "h1"):
            return "landed"
        if args.idp_url and driver.current_url.startswith(args.idp_url) and driver.find_elements(By.ID, "signin"):
            return "picker"
        return False

    if wait_for(d, refused_or_picker, f"the SSO round trip to end on {target}") == "picker":
        Select(d.find_element(By.ID, "user")).select_by_value(args.sso_email)
        d.find_element(By.ID, "signin").click()
        wait_for(d, path_is(base, target), target)
    heading = wait_for(d, EC.visibility_of_element_located((By.TAG_NAME, "h1")), "the refusal page")
    shots.take(d, "console-member", "refused")
    if heading.text != "Not an owner":
        raise Failure(f"a member opened the console: the page says {heading.text!r}")
    for _, url in b.requests_seen():
        local_only(url)
    return "refused: Not an owner"


SCENARIOS = {
    "invite": scenario_invite,
    "password": scenario_password,
    "sso": scenario_sso,
    "console": scenario_console,
    "console-member": scenario_console_member,
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-url", required=True, help="Gatehouse, http://127.0.0.1:PORT")
    ap.add_argument("--idp-url", default="", help="the test IdP, http://127.0.0.1:PORT (for the user picker)")
    ap.add_argument("--screenshots", required=True, type=Path)
    ap.add_argument("--log-dir", type=Path, default=None, help="chromedriver logs (default: --screenshots)")
    ap.add_argument("--password-email", default="pat@other.org")
    ap.add_argument("--password", default="a long enough password")
    ap.add_argument("--sso-email", default="alice@example.com")
    ap.add_argument("--invite-url", default="", help="the invitation link for --password-email")
    ap.add_argument("--workspace", default="acme")
    ap.add_argument("--owner-email", default="pat@other.org",
                    help="an owner who signs in with --password (the invitee: run after invite)")
    ap.add_argument("--service-token", default="", help="the workspace's service token (for the access check)")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    ap.add_argument("--verbose", action="store_true", help="print the SSO redirect chain")
    ap.add_argument("--only", choices=sorted(SCENARIOS), action="append", help="run only these scenarios")
    args = ap.parse_args()
    args.base_url = args.base_url.rstrip("/")
    args.idp_url = args.idp_url.rstrip("/")
    local_only(args.base_url)
    if args.idp_url:
        local_only(args.idp_url)
    args.screenshots.mkdir(parents=True, exist_ok=True)
    log_dir = args.log_dir or args.screenshots
    log_dir.mkdir(parents=True, exist_ok=True)

    shots = Shots(args.screenshots)
    passed = failed = 0
    for name in args.only or list(SCENARIOS):
        started = time.monotonic()
        browser = None
        ok = False
        try:
            browser = Browser(args.chromium, args.chromedriver, log_dir, name)
            text = SCENARIOS[name](browser, args, shots)
            ok = True
            print(f"PASS {name}: #who = {text!r} ({time.monotonic() - started:.1f} s)", flush=True)
        except Failure as err:
            print(f"FAIL {name}: {err}", flush=True)
        except Exception as err:  # noqa: BLE001 - any other error fails this scenario, not the run
            print(f"FAIL {name}: {type(err).__name__}: {err}", flush=True)
            traceback.print_exc(file=sys.stderr)
        finally:
            if browser is not None:
                if not ok:
                    try:
                        shots.take(browser.driver, name, "at-failure")
                    except Exception:  # noqa: BLE001 - the failure is already reported
                        pass
                browser.close()
        passed += ok
        failed += not ok
    print(f"screenshots: {args.screenshots.resolve()}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
