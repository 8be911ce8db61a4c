"""Headless Chromium for the report's browser tests, and for the README's screenshot.

No driver and no extra package: Chromium's own command line does the work, one short-lived
browser per call, each with a new empty profile.

* :func:`probe` loads a copy of a page to which two small scripts are added: one at the top of
  ``<head>`` that records every error (uncaught exceptions, unhandled promise rejections,
  ``console.error`` and resources that fail to load) and runs ``requestAnimationFrame`` on
  timers (a headless browser on virtual time draws no frames, so animations would never end),
  one at the end of ``<body>`` that, once
  the page has loaded, runs a JavaScript function given by the test and writes its JSON result
  (with the errors and every resource the page fetched) into the document.  ``--dump-dom``
  prints the document when the page is idle (``--virtual-time-budget``), and the result is read
  back from it.  The page itself is not changed otherwise.
* :func:`screenshot` takes a PNG of the page as a window of the given size would show it, or of
  one section of the page only (``only="sankey"`` hides everything else).

From the command line (the README's image of the flagship's Sankey)::

    python -m tests.browser /tmp/fb/report.html docs/img/sankey.png --size 1400x900 --only sankey

Set ``M2M_CHROMIUM`` to use a browser other than the first of chromium, chromium-browser,
google-chrome found on the PATH.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# --no-sandbox: the tests may run as root (in a container); the background-networking flags keep
# the browser from calling home, which a closed network refuses.
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
)
TIMEOUT = 120  # seconds for one browser run

HEAD = """<script>
window.__m2m = {errors: []};
(function () {
  // Under --virtual-time-budget headless Chromium draws no frames, so requestAnimationFrame
  // never fires and animated transitions (plotly's Sankey, on a change of year) would stop
  // half-way; timers do run, so frames are made of them.
  window.requestAnimationFrame = function (cb) { return setTimeout(function () { cb(performance.now()); }, 16); };
  window.cancelAnimationFrame = function (id) { clearTimeout(id); };
  function record(m) { window.__m2m.errors.push(String(m)); }
  window.addEventListener("error", function (e) {
    var t = e.target;
    if (t && t !== window && (t.src || t.href)) record("failed to load " + (t.src || t.href));
    else record((e.message || "error") + (e.filename ? " (" + e.filename + ":" + e.lineno + ")" : ""));
  }, true);
  window.addEventListener("unhandledrejection", function (e) {
    record("unhandled rejection: " + (e.reason && e.reason.stack ? e.reason.stack : e.reason));
  });
  var error = console.error;
  console.error = function () { record(Array.prototype.join.call(arguments, " ")); return error.apply(console, arguments); };
  window.__m2m.sleep = function (ms) { return new Promise(function (r) { setTimeout(r, ms); }); };
  window.__m2m.click = function (el) {
    ["mousedown", "mouseup", "click"].forEach(function (k) {
      el.dispatchEvent(new MouseEvent(k, {bubbles: true, cancelable: true, view: window}));
    });
  };
})();
</script>
"""

TAIL = """<script>
window.addEventListener("load", function () {
  function out(o) {
    o.errors = window.__m2m.errors;
    o.resources = performance.getEntriesByType("resource").map(function (e) { return e.name; });
    var pre = document.createElement("pre");
    pre.id = "m2m-probe";
    pre.textContent = JSON.stringify(o);
    document.body.appendChild(pre);
  }
  setTimeout(function () {
    Promise.resolve().then(function () { return (%s)(window.__m2m); })
      .then(function (r) { out({result: r}); }, function (e) { out({exception: String(e && e.stack ? e.stack : e)}); });
  }, 300);
});
</script>
"""

FOCUS = """<style>
body > h1, body > header, body > nav, body > section:not(#%(id)s) { display: none !important; }
#%(id)s > :not(.figure):not(.legend):not(.controls) { display: none !important; }
#%(id)s { border: 0 !important; padding: 0 !important; }
body { padding: 4px 10px !important; }
</style>
"""


class BrowserError(RuntimeError):
    pass


def find_chromium() -> str | None:
    """Path of a Chromium-like browser, or None."""
    env = os.environ.get("M2M_CHROMIUM")
    if env:
        return env if Path(env).exists() or shutil.which(env) else None
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def require_chromium() -> str:
    """The browser, else fail (in CI, where it must be installed: see .ci/run) or skip the test."""
    import pytest

    binary = find_chromium()
    if binary is None:
        message = ("headless Chromium not found (looked for " + ", ".join(NAMES)
                   + " on the PATH and M2M_CHROMIUM): install Debian's `chromium` package to run the report's browser tests")
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return binary


def _run(binary: str, args: list[str], url: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="m2m-chromium-") as profile:
        cmd = [binary, *FLAGS, f"--user-data-dir={profile}", *args, url]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            raise BrowserError(f"{binary} did not finish in {TIMEOUT}s") from exc
    if done.returncode != 0:
        raise BrowserError(f"{binary} exited with {done.returncode}: {done.stderr[-2000:]}")
    return done


def _inject(text: str, head: str = "", tail: str = "") -> str:
    if head:
        m = re.search(r"<head[^>]*>", text, flags=re.IGNORECASE)
        text = text[:m.end()] + "\n" + head + text[m.end():] if m else head + text
    if tail:
        i = text.lower().rfind("</body>")
        text = text[:i] + tail + text[i:] if i >= 0 else text + tail
    return text


def probe(page: Path, script: str, binary: str | None = None, budget_ms: int = 30000) -> dict[str, Any]:
    """Load ``page`` in headless Chromium, run ``script`` once it has loaded, and return what it saw.

    ``script`` is a JavaScript function expression taking a helper object (``sleep(ms)`` and
    ``click(element)``); it may return a promise.  The result is a dict: ``result`` (the
    function's value, through JSON) or ``exception``, ``errors`` (every error the page raised,
    from its first script on) and ``resources`` (the URLs it fetched: none for a self-contained page).
    """
    binary = binary or find_chromium()
    if binary is None:
        raise BrowserError("no Chromium found")
    page = Path(page)
    with tempfile.TemporaryDirectory(prefix="m2m-probe-") as tmp:
        copy = Path(tmp) / page.name
        copy.write_text(_inject(page.read_text(encoding="utf-8"), HEAD, TAIL % script), encoding="utf-8")
        done = _run(binary, ["--dump-dom", f"--virtual-time-budget={budget_ms}"], copy.as_uri())
    m = re.search(r'<pre id="m2m-probe">(.*?)</pre>', done.stdout, flags=re.DOTALL)
    if m is None:
        raise BrowserError(f"the page did not report back (did it load?); browser log: {done.stderr[-2000:]}")
    return json.loads(html.unescape(m.group(1)))


def screenshot(page: Path, png: Path, size: tuple[int, int] = (1400, 900), only: str | None = None,
               binary: str | None = None, budget_ms: int = 5000) -> Path:
    """A PNG of ``page`` in a window of ``size``; with ``only``, of the element with that id alone."""
    binary = binary or find_chromium()
    if binary is None:
        raise BrowserError("no Chromium found")
    page, png = Path(page), Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="m2m-shot-") as tmp:
        url = page.resolve().as_uri()
        if only:
            copy = Path(tmp) / page.name
            copy.write_text(_inject(page.read_text(encoding="utf-8"), FOCUS % {"id": only}), encoding="utf-8")
            url = copy.as_uri()
        _run(binary, [f"--screenshot={png}", f"--window-size={size[0]},{size[1]}",
                      f"--virtual-time-budget={budget_ms}"], url)
    if not png.is_file():
        raise BrowserError(f"no screenshot written to {png}")
    return png


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's header."""
    data = Path(path).read_bytes()[:24]
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    return struct.unpack(">II", data[16:24])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.browser", description="Screenshot an HTML page in headless Chromium.")
    ap.add_argument("page", type=Path)
    ap.add_argument("png", type=Path)
    ap.add_argument("--size", default="1400x900", help="window size, WIDTHxHEIGHT (default 1400x900)")
    ap.add_argument("--only", help="id of the one section to show (e.g. sankey)")
    a = ap.parse_args(argv)
    w, h = (int(v) for v in a.size.lower().split("x"))
    out = screenshot(a.page, a.png, (w, h), a.only)
    print(f"{out} ({w}x{h})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
