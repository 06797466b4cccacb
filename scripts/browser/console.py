#!/usr/bin/env python3
"""Drives CoachSpool's web console (`coachspool serve`, under /console/) in headless Chromium, for
the test suite: the tests start the server and PostgreSQL, prepare data, run one scenario of this
script, read the JSON it prints, and check the database afterwards.

usage: console.py --base http://127.0.0.1:PORT --token TOKEN --screenshots DIR SCENARIO [args]

Scenarios and what each one checks on the page:
  signin           the login form works and sets `coachspool_session` HttpOnly, SameSite=Strict
  overview         the stage table #stages (ready/running/retrying/dead per kind), the
                   throughput chart svg#throughput, the live-worker count #workers-live
  screenshots      a screenshot and the load time of each page, and that every visible form
                   field has a label (a <label for>, a wrapping <label>, aria-label/-labelledby)
  review-keyboard  decides one review item with the keyboard alone (see below)
  jobs-retry       lists the dead jobs of a kind and retries them all with the bulk form #bulk
  forbidden        a reviewer gets 403 and #forbidden on the operator pages, not on /console/review
  csrf             a POST to /console/jobs/action without, or with a wrong, csrf field gets 403

Why keyboard-only: a reviewer works through a queue with shortcuts (c: focus the corrected
answer, r: focus the reason, a: approve, n: next; Ctrl+Enter in the answer submits the
correction, Enter in the reason rejects). review-keyboard proves those paths work without a
pointer: it signs in and decides with key presses only (Tab, Enter, typing, shortcuts; never
`.click()`, which is made to raise for that scenario), checks after each key that
document.activeElement is the element that key should focus, and counts the pointer events the
page itself receives (a listener installed before any page script runs; it must stay 0).

Output: ONE JSON object on stdout, as its last line (nothing else is printed there). It holds
`scenario`, `ok`, `failures` (messages), `screenshots` (file names), `timings_ms` and the
scenario's own fields. Exit status: 0 the scenario ran and every check passed; 1 the scenario ran
(or stopped early) and a check about the page failed, each one said on stderr too; 2 bad usage;
3 it could not run (the browser did not start, the server did not answer, WebDriver failed).
Every scenario saves a screenshot of its last page as SCENARIO.png in the screenshots folder
(`screenshots`, which saves one per page, only when it failed).

The browser reaches nothing but the console: every address but loopback and the base URL's host
goes to a proxy that is not there (127.0.0.1:9), so what Chromium still sends by itself with its
background services switched off (update and account checks) fails on this machine, and a page
that leaves the base URL's origin is a failure. The token is never printed, nor is page text beyond what a
scenario reports. Chromium and chromedriver are Debian's (/usr/bin); Selenium Manager is never
run. scripts/fetch-browser.sh installs all of it and prints the python to run this with.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlencode, urlsplit

from selenium import webdriver
from selenium.common.exceptions import (StaleElementReferenceException, TimeoutException,
                                        WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WINDOW = (1280, 900)
SESSION_COOKIE = "coachspool_session"
MAX_TABS = 40  # Tab presses allowed to reach one field before giving up

# Pages of the `screenshots` scenario: path -> file.
PAGES: list[tuple[str, str]] = [
    ("/console/", "overview.png"),
    ("/console/jobs", "jobs.png"),
    ("/console/review", "review.png"),
    ("/console/training", "training.png"),
    ("/console/retrieval?q=stress", "retrieval.png"),
]
OPERATOR_PAGES = ["/console/jobs", "/console/", "/console/training", "/console/retrieval"]
STAGE_COLUMNS = ["ready", "running", "retrying", "dead"]

# Installed before any page script (CDP): counts the pointer input a page receives, in
# sessionStorage so it survives navigations in the tab. A click with detail 0 is the one a
# browser synthesises for Enter/Space on a button or for implicit form submission: not a mouse.
POINTER_COUNTER_JS = """
(() => {
  const key = 'coachspool_pointer_events';
  const bump = () => { try { sessionStorage.setItem(key, String(Number(sessionStorage.getItem(key) || 0) + 1)); } catch (_) {} };
  for (const type of ['pointerdown', 'mousedown', 'mouseup', 'contextmenu', 'wheel', 'dblclick'])
    window.addEventListener(type, bump, true);
  window.addEventListener('click', e => { if (e.detail > 0) bump(); }, true);
})();
"""
POINTER_COUNT_JS = "return Number(sessionStorage.getItem('coachspool_pointer_events') || 0);"

# The visible form fields without a label; hidden fields and buttons (their label is their value).
UNLABELLED_JS = """
const skip = new Set(['hidden', 'submit', 'reset', 'button', 'image']);
const hasText = s => (s || '').trim().length > 0;
const out = [];
for (const el of document.querySelectorAll('input, textarea, select')) {
  const type = (el.getAttribute('type') || '').toLowerCase();
  if (el.tagName === 'INPUT' && skip.has(type)) continue;
  const style = getComputedStyle(el);
  if (el.getClientRects().length === 0 || style.visibility === 'hidden' || style.display === 'none') continue;
  let labelled = Array.from(el.labels || []).some(l => hasText(l.textContent)) || hasText(el.getAttribute('aria-label'));
  const by = el.getAttribute('aria-labelledby');
  if (!labelled && by) labelled = by.split(/\\s+/).some(id => { const r = document.getElementById(id); return r && hasText(r.textContent); });
  if (!labelled) out.push(el.id ? '#' + el.id : el.name ? 'name=' + el.name : el.tagName.toLowerCase() + (type ? '[type=' + type + ']' : ''));
}
return out;
"""

# The stage table: {kind: {column: text}}; the numbers are parsed in Python.
STAGES_JS = """
const table = document.querySelector('#stages');
if (!table) return null;
const out = {};
for (const row of table.querySelectorAll('tr[data-kind]')) {
  const cells = {};
  for (const col of arguments[0]) {
    const td = row.querySelector('td[data-col="' + col + '"]');
    cells[col] = td ? td.textContent.trim() : null;
  }
  out[row.getAttribute('data-kind')] = cells;
}
return out;
"""

# Real HTTP statuses, from the page's own origin with its cookies (the promise is awaited).
FETCH_STATUS_JS = """
const [url, init] = arguments;
return fetch(url, Object.assign({credentials: 'same-origin'}, init || {}))
  .then(r => ({status: r.status, redirected: r.redirected}))
  .catch(e => ({status: -1, error: String(e)}));
"""

LOAD_TIME_JS = """
const t = performance.timing;
return t.loadEventEnd > 0 ? t.loadEventEnd - t.navigationStart : null;
"""
NAV_STATUS_JS = """
const e = performance.getEntriesByType('navigation')[0];
return e && typeof e.responseStatus === 'number' ? e.responseStatus : null;
"""
ACTIVE_JS = """
const a = document.activeElement;
return a ? {tag: a.tagName.toLowerCase(), id: a.id || null, name: a.getAttribute('name')} : null;
"""


class PageFailure(Exception):
    """A check about the page failed and the scenario cannot go on."""


class CannotRun(Exception):
    """The scenario could not run at all (browser, server, WebDriver)."""


class MouseUsed(Exception):
    """Raised by any pointer API while a keyboard-only scenario runs."""


class Console:
    """One headless Chromium on the console: navigation, checks, failures, screenshots."""

    def __init__(self, base: str, token: str, shots: Path, timeout: float) -> None:
        self.base = base.rstrip("/")
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.base))
        self.token = token
        self.shots = shots
        self.timeout = timeout
        self.failures: list[str] = []
        self.screenshots: list[str] = []
        self.timings: dict[str, int] = {}
        self.driver: webdriver.Chrome | None = None

    # -- the browser --------------------------------------------------------------------------

    def start(self) -> None:
        started = time.monotonic()
        try:
            self.driver = webdriver.Chrome(service=self._service(), options=self._options())
        except WebDriverException as err:
            raise CannotRun(f"Chromium did not start: {short(err)}") from err
        self.driver.set_page_load_timeout(self.timeout * 2)
        self.driver.set_script_timeout(self.timeout)
        self.timings["browser_start"] = ms_since(started)

    def _service(self) -> Service:
        for path in (CHROMIUM, CHROMEDRIVER):
            if not os.access(path, os.X_OK):
                raise CannotRun(f"{path} is missing; run scripts/fetch-browser.sh")
        return Service(executable_path=CHROMEDRIVER, log_output=subprocess.DEVNULL)

    def _options(self) -> webdriver.ChromeOptions:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        host = urlsplit(self.base).netloc
        for arg in [
            "--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            # Nothing but the console: every other address goes to a proxy that is not there
            # (loopback is never proxied). Chromium's own background traffic is switched off as
            # far as flags go; what is left (update.googleapis.com, accounts.google.com) dies there.
            "--proxy-server=http://127.0.0.1:9", f"--proxy-bypass-list={host}",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability",
            "--disable-client-side-phishing-detection", "--no-first-run", "--no-pings",
            "--no-default-browser-check", "--metrics-recording-only", "--mute-audio",
            "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,"
            "NetworkTimeServiceQuerying",
            "--password-store=basic",
        ]:
            options.add_argument(arg)
        return options

    def quit(self) -> None:
        if self.driver is not None:
            try:
                self.driver.quit()
            except WebDriverException:
                pass
            self.driver = None

    @property
    def d(self) -> webdriver.Chrome:
        assert self.driver is not None, "the browser is not started"
        return self.driver

    # -- checks -------------------------------------------------------------------------------

    def fail(self, message: str) -> None:
        """A failed check that lets the scenario go on."""
        self.failures.append(message)

    def check(self, condition: bool, message: str) -> bool:
        if not condition:
            self.fail(message)
        return condition

    # -- pages --------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base + path

    def open(self, path: str) -> None:
        """Navigates to a console path and waits for its load event."""
        try:
            self.d.get(self.url(path))
        except TimeoutException as err:
            raise PageFailure(f"{path} did not load within {self.timeout * 2:.0f} s") from err
        except WebDriverException as err:
            if "net::ERR_" in str(err):
                raise CannotRun(f"{path}: the server at {self.base} did not answer ({short(err)})") from err
            raise
        self.after_navigation(path)

    def after_navigation(self, what: str) -> None:
        current = self.d.current_url
        if current.startswith("chrome-error://"):
            raise CannotRun(f"{what}: the server at {self.base} did not answer")
        if not (current == self.origin or current.startswith(self.origin + "/")):
            raise PageFailure(f"{what}: the page left {self.origin} (for {urlsplit(current).netloc})")

    def path(self) -> str:
        parts = urlsplit(self.d.current_url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def one(self, css: str) -> WebElement | None:
        found = self.d.find_elements(By.CSS_SELECTOR, css)
        return found[0] if found else None

    def need(self, css: str, what: str) -> WebElement:
        element = self.one(css)
        if element is None:
            raise PageFailure(f"{self.path()}: {what} ({css}) is missing")
        return element

    @contextmanager
    def navigation(self, what: str) -> Iterator[None]:
        """Wraps an action that must make the browser load a new page, and waits for that page."""
        old = self.d.find_element(By.TAG_NAME, "html")
        yield
        try:
            WebDriverWait(self.d, self.timeout).until(lambda _: is_stale(old))
            WebDriverWait(self.d, self.timeout).until(
                lambda d: d.execute_script("return document.readyState") == "complete")
        except TimeoutException as err:
            raise PageFailure(f"{what}: no new page within {self.timeout:.0f} s") from err
        self.after_navigation(what)

    def load_ms(self) -> int | None:
        """performance.timing.loadEventEnd - navigationStart of the current page."""
        deadline = time.monotonic() + 5
        while True:
            value = self.d.execute_script(LOAD_TIME_JS)
            if value is not None or time.monotonic() > deadline:
                return value
            time.sleep(0.05)

    def nav_status(self) -> int | None:
        return self.d.execute_script(NAV_STATUS_JS)

    def fetch_status(self, path: str, init: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.d.execute_script(FETCH_STATUS_JS, path, init or {})

    def active(self) -> dict[str, Any] | None:
        return self.d.execute_script(ACTIVE_JS)

    def screenshot(self, name: str) -> None:
        self.shots.mkdir(parents=True, exist_ok=True)
        if self.d.save_screenshot(str(self.shots / name)) and name not in self.screenshots:
            self.screenshots.append(name)

    # -- the keyboard -------------------------------------------------------------------------

    def keys(self, *keys: str) -> None:
        """Key presses (and typed text) sent to whatever has the focus, as a person would. The
        WebDriver actions carry a keyboard input source alone: no pointer, not even its pauses."""
        builder = ActionBuilder(self.d)
        for text in keys:
            builder.key_action.send_keys(text)
        builder.perform()

    def chord(self, modifier: str, key: str) -> None:
        """A key pressed while a modifier is held (Ctrl+Enter, Ctrl+A)."""
        builder = ActionBuilder(self.d)
        builder.key_action.key_down(modifier).key_down(key).key_up(key).key_up(modifier)
        builder.perform()

    def expect_focus(self, element_id: str, after: str, tag: str | None = None) -> None:
        """The keyboard proof: after a key, the focus must be on that element."""
        active = self.active() or {}
        if active.get("id") != element_id or (tag and active.get("tag") != tag):
            raise PageFailure(f"after {after} the focus is on {describe(active)}, not "
                              f"{tag or ''}#{element_id}")

    def tab_to(self, element_id: str) -> int:
        """Presses Tab until #element_id has the focus; returns the presses it took."""
        for presses in range(MAX_TABS + 1):
            if (self.active() or {}).get("id") == element_id:
                return presses
            self.keys(Keys.TAB)
        raise PageFailure(f"{self.path()}: #{element_id} is not reached with {MAX_TABS} Tab presses")

    # -- sign-in ------------------------------------------------------------------------------

    def sign_in(self) -> None:
        """Signs in with the keyboard alone: Tab to #token, type, Tab to the button, Enter."""
        started = time.monotonic()
        self.open("/console/login")
        self.need("form#signin", "the sign-in form")
        self.need("label[for=token]", "the token's label")
        field = self.need("form#signin input#token", "the token field")
        self.check(field.get_attribute("type") == "password", "the token field is not type=password")
        self.check(field.get_attribute("name") == "token", "the token field is not named 'token'")
        self.need("form#signin button#signin-submit", "the sign-in button")
        self.tab_to("token")
        self.keys(self.token)
        self.tab_to("signin-submit")
        with self.navigation("signing in"):
            self.keys(Keys.ENTER)
        if self.session_cookie() is None:
            raise PageFailure(f"signing in did not set {SESSION_COOKIE} (now on {self.path()})")
        self.timings["sign_in"] = ms_since(started)

    def session_cookie(self) -> dict[str, Any] | None:
        for cookie in self.d.get_cookies():
            if cookie.get("name") == SESSION_COOKIE:
                return cookie
        return None


# -- scenarios ----------------------------------------------------------------------------------

def signin(c: Console, _: argparse.Namespace) -> dict[str, Any]:
    c.sign_in()
    cookie = c.session_cookie() or {}
    flags = {
        "http_only": bool(cookie.get("httpOnly")),
        "same_site": cookie.get("sameSite"),
        "secure": bool(cookie.get("secure")),
        "path": cookie.get("path"),
        "session": "expiry" not in cookie,
    }
    c.check(flags["http_only"], f"{SESSION_COOKIE} is not HttpOnly")
    c.check(flags["same_site"] == "Strict", f"{SESSION_COOKIE} is SameSite={flags['same_site']}, not Strict")
    return {"signed_in": True, "landed_on": c.path(), "cookie": flags}


def overview(c: Console, _: argparse.Namespace) -> dict[str, Any]:
    c.sign_in()
    c.open("/console/")
    raw = c.d.execute_script(STAGES_JS, STAGE_COLUMNS)
    if raw is None:
        raise PageFailure("/console/: the stage table #stages is missing")
    stages: dict[str, dict[str, int | None]] = {}
    for kind, cells in raw.items():
        stages[kind] = {}
        for col in STAGE_COLUMNS:
            stages[kind][col] = as_int(cells.get(col))
            c.check(stages[kind][col] is not None,
                    f"#stages row {kind}: td[data-col={col}] is missing or not an integer")
    live = c.one("#workers-live")
    workers_live = as_int(live.get_attribute("textContent")) if live else None
    c.check(workers_live is not None, "#workers-live is missing or not an integer")
    c.screenshot("overview.png")
    return {"stages": stages, "has_chart": c.one("svg#throughput") is not None,
            "workers_live": workers_live}


TRAINING_JS = """
const out = {};
for (const row of document.querySelectorAll('#runs tr[data-run-id]')) {
  const id = row.getAttribute('data-run-id');
  const svg = document.getElementById('loss-' + id);
  const erased = row.querySelector('td[data-col="contains_erased_data"]');
  out[id] = {
    erased: erased ? erased.textContent.trim() : null,
    curves: svg ? Array.from(svg.querySelectorAll('polyline')).map(p => p.getAttribute('points').trim().split(/\\s+/).length) : null,
  };
}
return out;
"""


def training(c: Console, _: argparse.Namespace) -> dict[str, Any]:
    """The Training page: each run's row, its `contains_erased_data` cell, and the number of
    points of each line of its loss chart (`svg#loss-ID`: train, then validation)."""
    c.sign_in()
    c.open("/console/training")
    runs = c.d.execute_script(TRAINING_JS) or {}
    c.check(bool(runs), "/console/training: no run in #runs")
    c.screenshot("training.png")
    return {"runs": runs}


def screenshots(c: Console, _: argparse.Namespace) -> dict[str, Any]:
    c.sign_in()
    files: list[str] = []
    load_ms: dict[str, int | None] = {}
    status: dict[str, int | None] = {}
    unlabelled: list[str] = []
    for path, name in PAGES:
        c.open(path)
        load_ms[path] = c.load_ms()
        status[path] = c.nav_status()
        c.check(status[path] is None or status[path] < 400, f"{path} answered {status[path]}")
        c.screenshot(name)
        files.append(name)
        unlabelled += [f"{path} {field}" for field in c.d.execute_script(UNLABELLED_JS)]
    for entry in unlabelled:
        c.fail(f"form field without a label: {entry}")
    return {"files": files, "load_ms": load_ms, "status": status, "unlabelled": unlabelled}


def review_keyboard(c: Console, args: argparse.Namespace) -> dict[str, Any]:
    c.d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": POINTER_COUNTER_JS})
    with no_pointer():
        c.sign_in()
        c.open("/console/review")
        item = c.one("#review-item")
        if item is None:
            raise PageFailure("/console/review shows no #review-item"
                              + (" (#queue-empty: nothing to review)" if c.one("#queue-empty") else ""))
        interaction_id = as_int(item.get_attribute("data-interaction-id"))
        if interaction_id is None:
            raise PageFailure("#review-item has no integer data-interaction-id")
        focus = c.active() or {}
        if focus.get("tag") in ("input", "textarea", "select"):
            raise PageFailure(f"/console/review opens with the focus in {describe(focus)}, "
                              "where the shortcut keys would be typed as text")
        decide_by_keyboard(c, args)
        next_id = next_item(c, interaction_id)
        pointer_events = c.d.execute_script(POINTER_COUNT_JS)
    c.check(pointer_events == 0, f"the pages received {pointer_events} pointer events")
    return {"interaction_id": interaction_id, "decision": args.decision, "next": next_id,
            "keyboard_only": True, "pointer_events": pointer_events}


def decide_by_keyboard(c: Console, args: argparse.Namespace) -> None:
    """The decision's keys, checking the focus after each one; the last key leaves the page."""
    if args.decision == "correct":
        c.keys("c")
        c.expect_focus("corrected_answer", "'c'", "textarea")
        replace_text(c, args.answer, "corrected_answer")
        with c.navigation("Ctrl+Enter in #corrected_answer"):
            c.chord(Keys.CONTROL, Keys.ENTER)
    elif args.decision == "reject":
        c.keys("r")
        c.expect_focus("reason", "'r'")
        replace_text(c, args.reason, "reason")
        with c.navigation("Enter in #reason"):
            c.keys(Keys.ENTER)
    else:
        with c.navigation("'a'"):
            c.keys("a")


def replace_text(c: Console, text: str, element_id: str) -> None:
    """Ctrl+A then typing, so a pre-filled field ends up holding exactly `text`."""
    c.chord(Keys.CONTROL, "a")
    c.keys(text)
    c.expect_focus(element_id, "typing")
    value = c.d.execute_script("return document.activeElement.value")
    if value != text:
        raise PageFailure(f"#{element_id} holds {len(value or '')} characters after typing, not the {len(text)} typed")


def next_item(c: Console, decided: int) -> int | None:
    """The item the page shows after a decision: its id, or None for #queue-empty."""
    if c.one("#queue-empty") is not None:
        return None
    item = c.one("#review-item")
    if item is None:
        raise PageFailure(f"after the decision {c.path()} shows neither #review-item nor #queue-empty")
    next_id = as_int(item.get_attribute("data-interaction-id"))
    c.check(next_id != decided, f"after the decision the page still shows interaction {decided}")
    return next_id


def jobs_retry(c: Console, args: argparse.Namespace) -> dict[str, Any]:
    c.sign_in()
    c.open("/console/jobs?" + urlencode({"state": "dead", "kind": args.kind}))
    dead_before, errors = job_rows(c)
    c.check(bool(dead_before), f"no dead jobs of kind {args.kind} are listed")
    form = c.need("form#bulk", "the bulk form")
    confirm = c.need("form#bulk #confirm", "the confirm checkbox")
    c.check(confirm.get_attribute("type") == "checkbox", "#confirm is not a checkbox")
    c.check(bool(c.d.execute_script(
        "return Array.from(arguments[0].labels || []).some(l => l.textContent.trim())", confirm)),
        "#confirm has no label")
    has_csrf = bool(form.find_elements(By.CSS_SELECTOR, "input[name=csrf]"))
    button = c.need("form#bulk button[name=action][value=retry]", "the retry button")
    if not confirm.is_selected():
        confirm.click()
    c.check(confirm.is_selected(), "#confirm did not tick")
    with c.navigation("the bulk retry"):
        button.click()
    flash = c.one("#flash")
    c.check(flash is not None, f"{c.path()} shows no #flash after the bulk retry")
    dead_after, _ = job_rows(c)
    return {"kind": args.kind, "dead_before": dead_before, "errors": errors,
            "after_status": flash.get_attribute("textContent").strip() if flash else None,
            "after_path": c.path(), "rows_after": dead_after, "form_has_csrf": has_csrf}


def job_rows(c: Console) -> tuple[list[int | str], list[str]]:
    rows = c.d.execute_script("""
        return Array.from(document.querySelectorAll('tr[data-job-id]')).map(r => {
          const e = r.querySelector('td.error');
          return [r.getAttribute('data-job-id'), e ? e.textContent.trim() : null];
        });""")
    ids = [as_int(i) if as_int(i) is not None else i for i, _ in rows]
    return ids, [e for _, e in rows]


def forbidden(c: Console, _: argparse.Namespace) -> dict[str, Any]:
    c.sign_in()
    status: dict[str, int] = {}
    shown: dict[str, bool] = {}
    for path in OPERATOR_PAGES + ["/console/review"]:
        c.open(path)
        answer = c.fetch_status(path)
        status[path] = answer["status"]
        element = c.one("#forbidden")
        shown[path] = element is not None and element.is_displayed()
        if path == "/console/review":
            c.check(not shown[path], "/console/review shows #forbidden to a reviewer")
            c.check(0 < status[path] < 400, f"/console/review answered {status[path]}")
        else:
            c.check(status[path] == 403, f"{path} answered {status[path]}, not 403")
            c.check(shown[path], f"{path} does not show #forbidden")
    return {"status": status, "forbidden_shown": shown}


def csrf(c: Console, _: argparse.Namespace) -> dict[str, Any]:
    c.sign_in()
    body = "action=retry&job_id=1"
    attempts = {"missing": body, "wrong": body + "&csrf=deadbeef"}
    status: dict[str, int] = {}
    for name, payload in attempts.items():
        answer = c.fetch_status("/console/jobs/action", {
            "method": "POST", "body": payload,
            "headers": {"Content-Type": "application/x-www-form-urlencoded"}})
        status[name] = answer["status"]
        c.check(status[name] == 403, f"a POST with the csrf field {name} answered {status[name]}, not 403")
    return {"status": status}


SCENARIOS: dict[str, Callable[[Console, argparse.Namespace], dict[str, Any]]] = {
    "signin": signin, "overview": overview, "screenshots": screenshots,
    "review-keyboard": review_keyboard, "jobs-retry": jobs_retry,
    "forbidden": forbidden, "csrf": csrf, "training": training,
}


# -- helpers ------------------------------------------------------------------------------------

@contextmanager
def no_pointer() -> Iterator[None]:
    """Makes every pointer API of Selenium raise while the block runs."""
    def refuse(*_: Any, **__: Any) -> None:
        raise MouseUsed("a pointer action was attempted in a keyboard-only scenario")
    patched = [(WebElement, "click"), (WebElement, "submit")] + [
        (ActionChains, name) for name in ("click", "click_and_hold", "context_click", "double_click",
                                          "drag_and_drop", "drag_and_drop_by_offset", "move_by_offset",
                                          "move_to_element", "move_to_element_with_offset", "release",
                                          "scroll_by_amount", "scroll_from_origin", "scroll_to_element")]
    saved = [(owner, name, getattr(owner, name)) for owner, name in patched]
    for owner, name in patched:
        setattr(owner, name, refuse)
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def is_stale(element: WebElement) -> bool:
    """Selenium's `staleness_of`, but also taking Chromium's other answer for a node of a page
    that is gone: chromedriver sometimes reports it as an "unknown error" ("Node with given id
    does not belong to the document", SeleniumHQ/selenium#15401) instead of a stale element,
    which made a navigation that had happened look like a WebDriver failure."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as err:
        if "does not belong to the document" in str(err) or "No node with given id" in str(err):
            return True
        raise


def as_int(text: Any) -> int | None:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


def describe(active: dict[str, Any] | None) -> str:
    if not active:
        return "nothing"
    return active.get("tag", "?") + (f"#{active['id']}" if active.get("id") else "") + \
        (f"[name={active['name']}]" if active.get("name") and not active.get("id") else "")


def ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def short(err: BaseException) -> str:
    text = getattr(err, "msg", None) or str(err) or type(err).__name__
    return text.strip().splitlines()[0][:300]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the server, e.g. http://127.0.0.1:8080")
    parser.add_argument("--token", default=os.environ.get("COACHSPOOL_CONSOLE_TOKEN"),
                        help="the sign-in token (default: $COACHSPOOL_CONSOLE_TOKEN)")
    parser.add_argument("--screenshots", required=True, type=Path, help="folder for the PNGs")
    parser.add_argument("--timeout", type=float, default=15, help="seconds to wait for a page (15)")
    sub = parser.add_subparsers(dest="scenario", required=True, metavar="SCENARIO")
    for name in SCENARIOS:
        sub.add_parser(name)
    review = sub.choices["review-keyboard"]
    review.add_argument("--decision", required=True, choices=["correct", "approve", "reject"])
    review.add_argument("--answer", help="the corrected answer (for --decision correct)")
    review.add_argument("--reason", help="the rejection reason (for --decision reject)")
    sub.choices["jobs-retry"].add_argument("--kind", required=True)
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("--token (or $COACHSPOOL_CONSOLE_TOKEN) is needed")
    if args.scenario == "review-keyboard":
        if args.decision == "correct" and not args.answer:
            parser.error("review-keyboard --decision correct needs --answer TEXT")
        if args.decision == "reject" and not args.reason:
            parser.error("review-keyboard --decision reject needs --reason TEXT")
    return args


def terminated(signum: int, _: Any) -> None:
    """SIGTERM/SIGINT (a test's timeout): stop the scenario so the browser is still quit."""
    raise CannotRun(f"stopped by signal {signum}")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, terminated)
    signal.signal(signal.SIGINT, terminated)
    os.environ["SE_OFFLINE"] = "true"  # belt and braces: Selenium Manager must not download
    console = Console(args.base, args.token, args.screenshots, args.timeout)
    result: dict[str, Any] = {"scenario": args.scenario}
    code = 0
    started = time.monotonic()
    try:
        console.start()
        result.update(SCENARIOS[args.scenario](console, args))
    except (PageFailure, MouseUsed) as err:
        console.fail(str(err))
    except CannotRun as err:
        result["error"] = str(err)
        code = 3
    except WebDriverException as err:
        result["error"] = f"WebDriver: {short(err)}"
        code = 3
    finally:
        # `screenshots` names each page's file itself; its last page needs no second copy.
        if console.driver is not None and (args.scenario != "screenshots" or code != 0 or console.failures):
            try:
                console.screenshot(f"{args.scenario}.png")
            except WebDriverException:
                pass
        console.quit()
    console.timings["scenario"] = ms_since(started)
    if code == 0 and console.failures:
        code = 1
    result.update(ok=code == 0, failures=console.failures, screenshots=console.screenshots,
                  timings_ms=console.timings)
    for message in console.failures + ([result["error"]] if "error" in result else []):
        print(f"console.py {args.scenario}: {scrub(message, args.token)}", file=sys.stderr)
    print(scrub(json.dumps(result, sort_keys=True), args.token), flush=True)
    return code


def scrub(text: str, token: str) -> str:
    """The token never leaves this process, whatever a message quotes."""
    return text.replace(token, "<token>") if token else text


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
