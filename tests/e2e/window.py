#!/usr/bin/env python3
# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""The shell in a real window, as a person uses it (under Xvfb, no test flags).

  1. Site A stores a file listing site B (headless, as in run.py).
  2. Site B's page asks for it in a window: the consent dialog appears; a
     screenshot is taken; Tab moves to Allow and Return presses it; the page
     reads the file; the store records site B's read and remembers the
     decision (a second visit reads without a dialog), and the toolbar's
     Cross-Origin Storage button lights up on site B.
  3. The management page, servo:cross-origin-storage, opened in a window
     (a screenshot is taken), its buttons found by their colour and clicked:
     Deny for site B (site B's next read is refused), a file added from disk
     (typed into the page; stored with no storing site), Forget for site A
     (its file is gone, so site B cannot read it even when allowed), and
     Delete (the added file goes; the store is empty).
  4. A denial: a third profile's dialog answered with Escape refuses the
     read, and the store records no read.

Screenshots go to OUT_DIR (docs/screenshots when refreshing the docs).

Usage: window.py SHELL_BINARY COS_STORE_BINARY OUT_DIR
Needs Xvfb, xdotool and Pillow. Prints one line per check and "N passed, N failed".
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from PIL import ImageGrab

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import run_shell, serve  # noqa: E402

WIDTH, HEIGHT = 1280, 1024
# The management page's buttons, by kind (page.rs's style sheet).
RED, ORANGE, BLUE, PURPLE = (0xbb, 0, 0), (0xb3, 0x59, 0), (0, 0x57, 0xb8), (0x6f, 0x2d, 0xa8)
GREEN = (0x1e, 0x7b, 0x34)
# The toolbar's Cross-Origin Storage button when the site shown reused files (gui.rs).
INDICATOR = (0xd6, 0xf0, 0xd8)


class Display:
    """An Xvfb display of its own."""

    def __init__(self):
        for number in range(91, 120):
            if not os.path.exists(f"/tmp/.X11-unix/X{number}") and not os.path.exists(
                    f"/tmp/.X{number}-lock"):
                break
        self.name = f":{number}"
        self.proc = subprocess.Popen(["Xvfb", self.name, "-screen", "0", f"{WIDTH}x{HEIGHT}x24",
                                      "-nolisten", "tcp", "-noreset"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(f"/tmp/.X11-unix/X{number}"):
                break
            time.sleep(0.05)
        time.sleep(0.3)

    def env(self):
        env = dict(os.environ, DISPLAY=self.name)
        env.pop("WAYLAND_DISPLAY", None)
        return env

    def screenshot(self, path=None):
        image = ImageGrab.grab(xdisplay=self.name)
        if path:
            image.save(path)
        return image

    def xdotool(self, *args):
        subprocess.run(["xdotool", *args], env=self.env(), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def focus(self):
        """Gives the shell's window the keyboard, as a window manager would
        when a person clicks it (Xvfb has none)."""
        self.xdotool("search", "--sync", "--name", "servo-cos", "windowfocus", "--sync")

    def close(self):
        self.proc.terminate()
        self.proc.wait()


class Window:
    """The shell in a window; its stderr is collected line by line."""

    def __init__(self, display, shell, profile, hosts, url, consent="ask"):
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log")
        self.proc = subprocess.Popen(
            [shell, "--profile", profile, "--host-file", hosts, "--cos-consent", consent,
             "--window-size", "1200x980", url],
            env=display.env(), stdout=self.log, stderr=subprocess.STDOUT, text=True)

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def wait_for(self, text, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.output():
                return True
            if self.proc.poll() is not None:
                return text in self.output()
            time.sleep(0.2)
        return False

    def wait_exit(self, timeout=60):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def entries(tool, profile):
    proc = subprocess.run([tool, "--profile", profile, "ls", "--json"],
                          capture_output=True, text=True, timeout=60)
    return json.loads(proc.stdout) if proc.returncode == 0 else {"error": proc.stderr}


def readers(listed):
    """Every origin that read an entry, from `cos-store ls --json`."""
    if not isinstance(listed, list):
        return []
    return [r["origin"] for e in listed for r in e.get("read_by", [])]


def find_colour(image, colour, top, tolerance=40, bottom=None):
    """The centre of the topmost run of pixels close to `colour` below `top`
    (and above `bottom`)."""
    pixels = image.convert("RGB").load()
    width, height = image.size
    for y in range(int(top), min(height, bottom or height)):
        xs = [x for x in range(width)
              if sum(abs(a - b) for a, b in zip(pixels[x, y], colour)) < tolerance]
        if len(xs) >= 3:
            # A button's top border: click a few pixels below its middle.
            return (xs[0] + xs[-1]) // 2, y + 8
    return None


def wait_for_colour(display, colour, top, timeout=60, bottom=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        image = display.screenshot()
        found = find_colour(image, colour, top, bottom=bottom)
        if found:
            return image, found
        time.sleep(0.5)
    return display.screenshot(), None


def main():
    shell, tool, out = (os.path.abspath(a) for a in sys.argv[1:4])
    os.makedirs(out, exist_ok=True)
    a = serve("127.0.0.1")
    b = serve("127.0.0.1")
    site_a = f"http://127.0.0.1:{a.server_address[1]}"
    site_b = f"http://localhost:{b.server_address[1]}"
    os.environ["COS_E2E_LISTED"] = site_b
    passed = failed = 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        print(f"{'PASS' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"), flush=True)
        passed, failed = passed + ok, failed + (not ok)

    display = Display()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            hosts = os.path.join(tmp, "hosts")
            with open(hosts, "w") as f:
                f.write("127.0.0.1 localhost\n")
            page = "cos-e2e.html"
            seed = os.path.join(tmp, "seed")
            r = run_shell(shell, seed, hosts, f"{site_a}/{page}?step=store&list={site_b}")
            check("setup: site A stores a file listing site B", r.get("read_back") is True, r)

            # Allow, with the keyboard.
            profile = os.path.join(tmp, "allow")
            shutil.copytree(seed, profile)
            window = Window(display, shell, profile, hosts, f"{site_b}/{page}?step=read")
            asked = window.wait_for("servo-cos: asking:")
            time.sleep(1.5)
            display.screenshot(os.path.join(out, "consent-dialog.png"))
            check("dialog: a page that wants another site's file makes the window ask", asked,
                  window.output()[-2000:])
            display.focus()
            display.xdotool("key", "Tab")
            time.sleep(0.3)
            display.xdotool("key", "Return")
            answered = window.wait_for("allowed to use a file other sites saved", 20)
            status = window.wait_exit(30)
            window.close()
            check("dialog: Tab, Return allows, and the page reads the file and closes",
                  answered and status == 0, window.output()[-2000:])
            listed = entries(tool, profile)
            check("dialog: the store records site B's read", site_b in readers(listed), listed)

            window = Window(display, shell, profile, hosts, f"{site_b}/{page}?step=read")
            status = window.wait_exit(60)
            window.close()
            check("dialog: the decision is remembered (no question the second time)",
                  status == 0 and "asking:" not in window.output(), window.output()[-2000:])

            # The toolbar tells the person that the site reused a file.
            window = Window(display, shell, profile, hosts, f"{site_b}/{page}?step=read&stay")
            _, lit = wait_for_colour(display, INDICATOR, 0, timeout=30, bottom=40)
            display.screenshot(os.path.join(out, "indicator.png"))
            window.close()
            check("toolbar: the Cross-Origin Storage button lights up on a site that reused a file",
                  lit is not None)

            # The management page, as a person uses it: each step opens it in a
            # window, clicks a button (found by its colour), closes the window,
            # and checks the store.
            def manage(colour, name, shot=None, typed=None):
                window = Window(display, shell, profile, hosts, "servo:cross-origin-storage")
                _, button = wait_for_colour(display, colour, 60)
                time.sleep(1)
                if shot:
                    display.screenshot(os.path.join(out, shot))
                if button:
                    display.focus()
                    display.xdotool("mousemove", str(button[0]), str(button[1]))
                    display.xdotool("click", "1")
                    if typed:
                        time.sleep(0.5)
                        display.xdotool("type", "--delay", "15", typed)
                        add = find_colour(display.screenshot(), GREEN, 60)
                        if add:
                            display.xdotool("mousemove", str(add[0]), str(add[1]))
                            display.xdotool("click", "1")
                    time.sleep(3)
                    display.screenshot(os.path.join(out, f"after-{name}.png"))
                else:
                    display.screenshot(os.path.join(out, f"missing-{name}.png"))
                    print(f"  ({name}: no button; the shell said: {window.output()[-1500:]!r})")
                window.close()
                return button is not None

            shown = manage(BLUE, "deny", shot="management-page.png")
            r = run_shell(shell, profile, hosts, f"{site_b}/{page}?step=read", consent="ask")
            check("management page: Deny changes the remembered decision (site B is refused)",
                  shown and r.get("error") == "NotFoundError", r)

            model = os.path.join(tmp, "model.bin")
            with open(model, "wb") as f:
                f.write(b"a model the person downloaded themselves\n" * 5000)
            added = manage(PURPLE, "add", typed=model)
            listed = entries(tool, profile)
            own = [e for e in listed if not e.get("stored_by")] if isinstance(listed, list) else []
            check("management page: a file added from disk is stored, attributed to no site",
                  added and len(own) == 1 and own[0].get("size") == os.path.getsize(model), listed)

            forgot = manage(ORANGE, "forget-site")
            listed = entries(tool, profile)
            by_a = [e for e in listed if any(s["origin"] == site_a for s in e.get("stored_by", []))] \
                if isinstance(listed, list) else None
            r = run_shell(shell, profile, hosts, f"{site_b}/{page}?step=read", consent="allow")
            check("management page: forgetting the storing site revokes its file for everyone",
                  forgot and by_a == [] and r.get("error") == "NotFoundError", {"store": listed, "read": r})

            deleted = manage(RED, "delete")
            left = entries(tool, profile)
            check("management page: Delete removes the file from the store",
                  deleted and left == [], left)

            # Deny, with Escape.
            profile = os.path.join(tmp, "deny")
            shutil.copytree(seed, profile)
            window = Window(display, shell, profile, hosts, f"{site_b}/{page}?step=read")
            asked = window.wait_for("servo-cos: asking:")
            time.sleep(1.5)
            display.focus()
            display.xdotool("key", "Escape")
            denied = window.wait_for("denied to use a file other sites saved", 20)
            window.wait_exit(30)
            window.close()
            listed = entries(tool, profile)
            check("dialog: Escape denies, and the store records no read",
                  asked and denied and isinstance(listed, list) and site_b not in readers(listed),
                  window.output()[-2000:])
    finally:
        display.close()

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
