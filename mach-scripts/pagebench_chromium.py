# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""The other side of `./mach bench --page`: Chromium with the Cross-Origin
Storage extension (web-ai-community/cross-origin-storage-extension, its
unpacked source given with --extension DIR), driving the same bench.html.

What this module does, and why:

- Chromium is Debian's `chromium` package: installed here with apt-get when
  it is missing and we are root (said so on the way), otherwise the bench
  says how to install it and runs our shell alone.
- It is driven by `playwright-core` from npm at a pinned version, installed
  into the cache (`pagebench-node/`, its package.json written here; nothing
  lands in the repository), by mach-scripts/pagebench/chromium-driver.cjs.
  Extensions need a persistent context with --load-extension and
  --disable-extensions-except, and Chromium's own (new) headless mode; the
  driver says which flags and why.
- The extension is a content script on every https:// page and on
  http://localhost:*, so the bench serves Chromium its pages on localhost
  (so does it our shell, so both see the same URLs). It defines
  `navigator.crossOriginStorage.requestFileHandle()` (the older name; it has
  no getFileHandle()), asks no consent, and reads need no click. The page
  feature-detects the method name.
- Its same-site check uses the Public Suffix List, which it downloads on
  first use from a host this machine cannot reach; without it a read from a
  same-site origin that did not store the file fails. The driver puts the
  list from Debian's `publicsuffix` package where the extension keeps its
  downloaded copy (chrome.storage.local), dated now, before any page loads.
  That is the only thing done to the extension; its code is used as given.
"""

import json
import os
import shutil
import subprocess

from common import cache_dir, say

CHROMIUM = "/usr/bin/chromium"
DEBIAN_PACKAGES = ["chromium", "publicsuffix"]
PUBLIC_SUFFIX_LIST = "/usr/share/publicsuffix/public_suffix_list.dat"
PLAYWRIGHT = ("playwright-core", "1.65.1")
DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pagebench",
                      "chromium-driver.cjs")


def ensure_chromium(path=CHROMIUM):
    """The Chromium executable to drive, installing Debian's package as root
    when the default one is missing; None (having said why) if there is none."""
    if os.path.exists(path) and os.path.exists(PUBLIC_SUFFIX_LIST):
        return path
    if path != CHROMIUM:
        if not os.path.exists(path):
            say(f"no Chromium at {path}: running our shell alone")
            return None
    elif os.path.exists("/etc/debian_version") and shutil.which("apt-get") and os.geteuid() == 0:
        say("installing Debian's " + " and ".join(DEBIAN_PACKAGES) + " with apt-get "
            "(Chromium for the extension side of the bench)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + DEBIAN_PACKAGES
        if subprocess.call(install, env=env) != 0:
            # The package lists may be missing or stale on a fresh machine.
            if subprocess.call(["apt-get", "update", "-qq"], env=env) != 0 or \
                    subprocess.call(install, env=env) != 0:
                say("apt-get failed: running our shell alone")
                return None
    if not os.path.exists(path):
        say(f"Chromium is not installed ({path}): as root, `apt-get install "
            + " ".join(DEBIAN_PACKAGES) + "` (Debian/Ubuntu); running our shell alone")
        return None
    if not os.path.exists(PUBLIC_SUFFIX_LIST):
        say(f"{PUBLIC_SUFFIX_LIST} is missing (`apt-get install publicsuffix`): the extension "
            "cannot tell same-site origins apart without it; running our shell alone")
        return None
    return path


def node_dir():
    return os.path.join(cache_dir(), "pagebench-node")


def ensure_playwright():
    """The node_modules directory holding the pinned playwright-core,
    installing it there with npm first if needed; None if node or npm is
    missing."""
    if not (shutil.which("node") and shutil.which("npm")):
        say("node and npm are needed to drive Chromium (`apt-get install nodejs npm`): "
            "running our shell alone")
        return None
    name, version = PLAYWRIGHT
    root = node_dir()
    modules = os.path.join(root, "node_modules")
    installed = os.path.join(modules, name, "package.json")
    if os.path.exists(installed):
        with open(installed) as f:
            if json.load(f).get("version") == version:
                return modules
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "package.json"), "w") as f:
        json.dump({"name": "servo-cos-pagebench", "private": True,
                   "description": "written by ./mach bench --page; drives Chromium",
                   "dependencies": {name: version}}, f, indent=2)
        f.write("\n")
    say(f"installing {name}@{version} from npm in {root}")
    if subprocess.call(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=root) != 0:
        say("npm install failed: running our shell alone")
        return None
    return modules


def check_extension(directory):
    """The extension's directory if it looks like the unpacked extension
    (a manifest declaring a content script); otherwise None, having said why."""
    manifest = os.path.join(directory, "manifest.json")
    try:
        with open(manifest) as f:
            scripts = json.load(f).get("content_scripts")
    except (OSError, ValueError) as e:
        say(f"--extension {directory}: no readable manifest.json ({e}): running our shell alone")
        return None
    if not scripts:
        say(f"--extension {directory}: its manifest declares no content script: "
            "running our shell alone")
        return None
    return os.path.abspath(directory)


class Chromium:
    """One Chromium with the extension and a fresh profile, opening the bench
    page's URLs one after another through the driver. The processes whose
    memory counts are the driver's descendants (Chromium's browser, zygote,
    renderer, GPU, network, storage and extension processes), not the driver.
    Chromium's two crash handlers (about 4 MiB each) detach from the tree at
    start and are not counted."""

    name = "chromium+ext"

    def __init__(self, executable, extension, modules, profile, log):
        self.proc = subprocess.Popen(
            ["node", DRIVER, "--executable", executable, "--extension", extension,
             "--profile", profile, "--public-suffix-list", PUBLIC_SUFFIX_LIST],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
            env=dict(os.environ, PAGEBENCH_NODE_MODULES=modules))
        self.expect("ready")

    def expect(self, word):
        line = self.proc.stdout.readline()
        if not line.startswith(word):
            self.proc.kill()
            raise RuntimeError(f"the Chromium driver said {line.strip()!r}, not {word!r} "
                               "(its messages are in the log)")
        return line[len(word):].strip()

    def memory_root(self):
        return self.proc.pid, False

    def open(self, url, timeout):
        """Opens url in a new tab; `finish` waits until the page reported and
        the tab is closed."""
        self.proc.stdin.write(json.dumps({"url": url, "timeout": timeout}) + "\n")
        self.proc.stdin.flush()

    def finish(self):
        self.expect("done")

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
