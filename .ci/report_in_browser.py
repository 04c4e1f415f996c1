#!/usr/bin/env python3
"""Opens a cachegate report.html in headless Chromium and fails on what a reader would
hit: a console error, an image or link that does not resolve, an element wider than a
1280-pixel viewport. Talks to Chromium over the DevTools protocol (on a pipe, so it needs
nothing beyond the standard library) and keeps full-page screenshots at 1280 and 390
pixels wide.

usage: report_in_browser.py REPORT.html SCREENSHOT_DIR [CHROMIUM]
exit: 0 clean, 1 problems found (listed), 2 could not run
"""

import base64
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import urllib.parse

WIDE = 1280
NARROW = 390
TIMEOUT_S = 60

# Run in the page: elements wider than the viewport, images that did not load, and
# every link, for the caller to resolve.
CHECK_JS = r"""
(() => {
  const vw = document.documentElement.clientWidth;
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    const cls = el.getAttribute('class');
    if (cls) s += '.' + cls.trim().split(/\s+/).join('.');
    return s;
  };
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width > vw + 0.5 || r.right > vw + 0.5) {
      wide.push(describe(el) + ': ' + Math.round(r.width) + ' px wide, right edge at ' +
                Math.round(r.right) + ' px');
    }
  }
  const images = [...document.images]
    .filter((i) => !(i.complete && i.naturalWidth > 0))
    .map((i) => i.getAttribute('src'));
  const links = [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href'));
  const anchors = links.filter((h) => h.startsWith('#') && h.length > 1 &&
    !document.getElementById(decodeURIComponent(h.slice(1))));
  return { viewport: vw, wide, images, links, anchors };
})()
"""


class Chromium:
    """A headless Chromium driven over --remote-debugging-pipe (fd 3 in, fd 4 out)."""

    def __init__(self, binary):
        self.profile = tempfile.TemporaryDirectory()
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():
            # Out of the way first: either end may itself be 3 or 4.
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)
            r, w = os.dup2(r, 100), os.dup2(w, 101)
            os.dup2(r, 3)
            os.dup2(w, 4)

        args = [
            binary,
            "--headless=new",
            "--remote-debugging-pipe",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--user-data-dir=" + self.profile.name,
            "about:blank",
        ]
        # Not close_fds: the pipe ends are moved to 3 and 4 in the child, after which the
        # standard library would close them as not passed.
        self.proc = subprocess.Popen(
            args,
            close_fds=False,
            preexec_fn=fds,
            stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("CHROMIUM_LOG") else subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        want = self.next_id
        while True:
            reply = self.read()
            if reply.get("id") == want:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def read(self):
        deadline = time.monotonic() + TIMEOUT_S
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise RuntimeError("chromium did not answer in time")
            chunk = os.read(self.from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, method, session):
        for i, e in enumerate(self.events):
            if e.get("method") == method and e.get("sessionId") == session:
                del self.events[i]
                return e
        while True:
            e = self.read()
            if e.get("method") == method and e.get("sessionId") == session:
                return e
            self.events.append(e)

    def close(self):
        try:
            self.send("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.profile.cleanup()


def console_errors(events, session):
    """Console errors, uncaught exceptions and failed loads among `events`."""
    out = []
    for e in events:
        if e.get("sessionId") != session:
            continue
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            out.append("console error: " + text)
        elif method == "Runtime.exceptionThrown":
            out.append("uncaught exception: " + p.get("exceptionDetails", {}).get("text", ""))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            entry = p["entry"]
            out.append(f"console error ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".strip())
    return out


def unresolved_links(links, report):
    """Links that lead nowhere: a relative path to no file, or a scheme a report never uses."""
    out = []
    for href in links:
        if href.startswith("#"):
            continue
        parsed = urllib.parse.urlparse(href)
        if parsed.scheme in ("http", "https", "mailto"):
            continue
        if parsed.scheme in ("", "file"):
            target = (report.parent / urllib.parse.unquote(parsed.path)).resolve()
            if not target.exists():
                out.append(f"link to {href}: no such file")
        else:
            out.append(f"link to {href}: a scheme a report should not use")
    return out


def screenshot(chrome, session, width, path):
    """A full-page screenshot at `width` CSS pixels."""
    chrome.send("Emulation.setDeviceMetricsOverride",
                {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
                session)
    metrics = chrome.send("Page.getLayoutMetrics", session=session)
    height = int(metrics.get("cssContentSize", metrics.get("contentSize"))["height"])
    chrome.send("Emulation.setDeviceMetricsOverride",
                {"width": width, "height": max(height, 1), "deviceScaleFactor": 1,
                 "mobile": width < 600}, session)
    shot = chrome.send("Page.captureScreenshot", {"format": "png"}, session)
    path.write_bytes(base64.b64decode(shot["data"]))


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    report = pathlib.Path(sys.argv[1]).resolve()
    shots = pathlib.Path(sys.argv[2])
    binary = sys.argv[3] if len(sys.argv) == 4 else "chromium"
    if not report.is_file():
        print(f"{report}: no such report", file=sys.stderr)
        return 2
    shots.mkdir(parents=True, exist_ok=True)
    try:
        chrome = Chromium(binary)
    except OSError as e:
        print(f"cannot start {binary}: {e}", file=sys.stderr)
        return 2
    problems = []
    try:
        target = chrome.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = chrome.send("Target.attachToTarget",
                              {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            chrome.send(domain, session=session)
        chrome.send("Emulation.setDeviceMetricsOverride",
                    {"width": WIDE, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                    session)
        chrome.send("Page.navigate", {"url": report.as_uri()}, session)
        chrome.wait_for("Page.loadEventFired", session)
        found = chrome.send("Runtime.evaluate",
                            {"expression": CHECK_JS, "returnByValue": True}, session)
        value = found["result"]["value"]
        problems += [f"wider than the {WIDE}-pixel viewport: {w}" for w in value["wide"]]
        problems += [f"image that did not load: {src}" for src in value["images"]]
        problems += [f"link to a missing anchor: {a}" for a in value["anchors"]]
        problems += unresolved_links(value["links"], report)
        screenshot(chrome, session, WIDE, shots / f"report-{WIDE}.png")
        screenshot(chrome, session, NARROW, shots / f"report-{NARROW}.png")
        problems += console_errors(chrome.events, session)
    except (RuntimeError, KeyError) as e:
        print(f"{report}: the browser check could not run: {e}", file=sys.stderr)
        return 2
    finally:
        chrome.close()
    for p in problems:
        print(f"{report}: {p}")
    print(f"{report}: {len(problems)} problem(s); screenshots in {shots}/report-{WIDE}.png "
          f"and report-{NARROW}.png")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
