# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""./mach run [URL]: build if needed and browse."""

import argparse
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


# The shell's own options (`servo-cos --help`), declared here so that a
# value is never mistaken for the URL: `--profile DIR --timeout 30 URL`.
SHELL_OPTIONS = {
    "--profile": "DIR",
    "--cos-consent": "POLICY",
    "--timeout": "SECONDS",
    "--screenshot": "FILE.png",
    "--host-file": "FILE",
    "--pref": "NAME=VALUE",
    "--test-driver": "TOKEN",
    "--window-size": "WxH",
}
SHELL_FLAGS = ["--exit-after-load", "--ignore-certificate-errors"]


def parser():
    p = argparse.ArgumentParser(
        prog="./mach run",
        description="Build if needed, then browse URL in the Cross-Origin Storage shell. "
                    "Without a URL, serve and open the two-site demo.",
        epilog="Other options go to the shell unchanged, in order; give their values as "
               "--option=value.")
    build_profile = p.add_mutually_exclusive_group()
    build_profile.add_argument(
        "--release", dest="debug", action="store_false",
        help="build and run the optimized (release) profile: the default")
    build_profile.add_argument(
        "--debug", dest="debug", action="store_true",
        help="run the unoptimized build ./mach test makes (quicker to build, slow to read "
             "and hash large files)")
    p.set_defaults(debug=False)
    p.add_argument("--headless", action="store_true",
                   help="no window (the default where there is no display)")
    for option, metavar in SHELL_OPTIONS.items():
        p.add_argument(option, action="append", metavar=metavar, help="passed to the shell")
    for flag in SHELL_FLAGS:
        p.add_argument(flag, action="store_true", help="passed to the shell")
    p.add_argument("url", nargs="?", help="a URL or a file to open")
    return p


def parse(argv):
    """(options, shell arguments other than mode and URL) for `argv`."""
    p = parser()
    options, unknown = p.parse_known_args(argv)
    stray = [a for a in unknown if not a.startswith("-")]
    if stray:
        p.error(f"one URL only; also got {' '.join(stray)} (give values of options mach does "
                "not know as --option=value)")
    shell_args = []
    for option in SHELL_OPTIONS:
        for value in getattr(options, option[2:].replace("-", "_")) or []:
            shell_args += [option, value]
    for flag in SHELL_FLAGS:
        if getattr(options, flag[2:].replace("-", "_")):
            shell_args.append(flag)
    return options, shell_args + unknown


def cmd_run(argv):
    """Build if needed and browse URL (no URL: the two-site demo); --headless, --debug."""
    options, shell_args = parse(argv)
    headless = options.headless or not has_display()
    binary = build.build(release=not options.debug)
    mode = ["--headless"] if headless else []
    env = shell_env()
    if options.url:
        profile = [] if options.profile else ["--profile", os.path.join(cache_dir(), "profile")]
        return subprocess.call([binary] + mode + profile + shell_args + [options.url], env=env)

    import server
    sites = server.start()
    profile = os.path.join(cache_dir(), "demo-profile")
    # Every demo starts with an empty store, so the first site downloads.
    shutil.rmtree(profile, ignore_errors=True)
    # In a window the second site's reuse asks the person (the consent
    # dialog); headless there is no one to ask, so the demo allows it.
    consent = [] if "--cos-consent" in shell_args else [
        "--cos-consent", "allow" if headless else "ask"]
    common = [binary] + mode + ["--profile", profile] + consent + shell_args
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
