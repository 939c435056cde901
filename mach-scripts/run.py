# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""./mach run [URL]: build if needed and browse."""

import os
import shutil
import subprocess
import sys

import build
from common import cache_dir, die, say

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo"))


def has_display():
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def shell_env():
    env = dict(os.environ)
    # Servo's software rendering wants a runtime directory.
    if not env.get("XDG_RUNTIME_DIR"):
        runtime = os.path.join(cache_dir(), "runtime")
        os.makedirs(runtime, mode=0o700, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = runtime
    return env


def cmd_run(argv):
    """Build if needed and browse URL (no URL: the two-site demo); --headless, --release."""
    release = "--release" in argv
    headless = "--headless" in argv or not has_display()
    rest = [a for a in argv if a not in ("--release", "--headless")]
    urls = [a for a in rest if not a.startswith("-")]
    options = [a for a in rest if a.startswith("-")]
    binary = build.build(release=release)
    mode = ["--headless"] if headless else []
    env = shell_env()
    if urls:
        profile = [] if any(o.startswith("--profile") for o in options) else [
            "--profile", os.path.join(cache_dir(), "profile")]
        return subprocess.call([binary] + mode + profile + options + urls, env=env)

    import server
    sites = server.start()
    profile = os.path.join(cache_dir(), "demo-profile")
    # Every demo starts with an empty store, so the first site downloads.
    shutil.rmtree(profile, ignore_errors=True)
    # The consent prompt is not built yet; the demo allows cross-site reuse.
    common = [binary] + mode + ["--profile", profile, "--cos-consent", "allow"] + options
    say(f"demo sites: {sites[0]} and {sites[1]} (different sites, both secure contexts)")
    if not headless:
        say(f"opening {sites[0]}/ — follow its link to {sites[1]}/")
        return subprocess.call(common + [f"{sites[0]}/"], env=env)
    for site in sites:
        say(f"headless: {site}/")
        status = subprocess.call(common + ["--timeout", "120", f"{site}/?close"], env=env)
        if status != 0:
            die(f"the shell exited with status {status} on {site}/", status)
    return 0
