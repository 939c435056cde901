# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""./mach build: fetch the pinned crates, apply the patch queue, build the shell."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import bootstrap
import patches
from common import SHELL_DIR, build_env, die, run, say, target_dir


def shell_patch_section():
    """The crates the shell's Cargo.toml takes from patched/."""
    with open(os.path.join(SHELL_DIR, "Cargo.toml"), encoding="utf-8") as f:
        text = f.read()
    section = re.search(r"^\[patch\.crates-io\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if not section:
        return set()
    return set(re.findall(r"^([A-Za-z0-9_-]+)\s*=", section.group(1), re.M))


def check_patch_section():
    needed = set(patches.crates_needed())
    listed = shell_patch_section()
    if needed != listed:
        die("components/shell/Cargo.toml's [patch.crates-io] must list exactly the crates the "
            f"queue patches.\n  patched: {sorted(needed)}\n  listed:  {sorted(listed)}")


def fetch():
    """Downloads every crate the shell locks, pristine servo-* included. The
    fetch runs on a copy of the manifest without the [patch] section (which
    points at patched/, made from what this fetches). Offline once cached."""
    with open(os.path.join(SHELL_DIR, "Cargo.toml"), encoding="utf-8") as f:
        manifest = re.sub(r"^\[patch\.crates-io\]\n.*?(?=^\[|\Z)", "", f.read(), flags=re.M | re.S)
    # The copy lives elsewhere: our own path dependencies must stay found.
    manifest = re.sub(r'path = "([^"/][^"]*)"',
                      lambda m: f'path = "{os.path.normpath(os.path.join(SHELL_DIR, m.group(1)))}"',
                      manifest)
    with tempfile.TemporaryDirectory() as scratch:
        with open(os.path.join(scratch, "Cargo.toml"), "w", encoding="utf-8") as f:
            f.write(manifest)
        shutil.copy2(os.path.join(SHELL_DIR, "Cargo.lock"), scratch)
        os.makedirs(os.path.join(scratch, "src"))
        shutil.copy2(os.path.join(SHELL_DIR, "src", "main.rs"), os.path.join(scratch, "src"))
        say("fetching the pinned crates")
        if run(["cargo", "fetch", "--quiet"], cwd=scratch, check=False) != 0:
            say("fetch failed; trying offline with what is cached")
            run(["cargo", "fetch", "--offline"], cwd=scratch)


def built_binary(release):
    return os.path.join(target_dir(), "release" if release else "debug", "servo-cos")


def quiet_cargo(args, env):
    """Runs cargo showing one progress line instead of its output, which on
    every build replays the warnings Servo's own crates have with our
    feature set. The whole output is printed if the build fails. Returns
    (status, number of warnings hidden)."""
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace")
    lines, compiled, warnings = [], 0, 0
    tty = sys.stdout.isatty()
    last_note = time.monotonic()
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("warning:") and "generated" not in line:
            warnings += 1
        match = re.match(r"\s+Compiling (\S+)", line)
        if not match:
            continue
        compiled += 1
        if tty:
            print(f"\r\033[Kmach: compiling {match.group(1)} ({compiled} crates so far)",
                  end="", flush=True)
        elif time.monotonic() - last_note > 60:
            # Logs get a line a minute, so a long build is seen to progress.
            say(f"still building: {compiled} crates compiled, now {match.group(1)}")
            last_note = time.monotonic()
    status = proc.wait()
    if tty and compiled:
        print("\r\033[K", end="", flush=True)
    if status != 0:
        sys.stdout.write("".join(lines))
    return status, warnings


def build(release=False, verbose=False):
    bootstrap.check()
    fetch()
    check_patch_section()
    patches.prepare()
    say(f"building the shell (target directory {target_dir()})")
    started = time.monotonic()
    args = ["cargo", "build", "--manifest-path", os.path.join(SHELL_DIR, "Cargo.toml")]
    if release:
        args.append("--release")
    if verbose:
        run(args, env=build_env())
        warnings = 0
    else:
        status, warnings = quiet_cargo(args, build_env())
        if status != 0:
            die(f"the build failed (status {status}); its output is above", status)
    minutes, seconds = divmod(int(time.monotonic() - started), 60)
    hidden = f"; {warnings} compiler warnings hidden (./mach build --verbose)" if warnings else ""
    say(f"built {built_binary(release)} in {minutes} min {seconds} s{hidden}")
    return built_binary(release)


def cmd_build(argv):
    """Build the patched Servo shell ([--release] [--verbose]); target dir in the cache."""
    p = argparse.ArgumentParser(prog="./mach build", description=cmd_build.__doc__)
    p.add_argument("--release", action="store_true", help="the release profile")
    p.add_argument("--verbose", action="store_true",
                   help="show cargo's whole output, warnings included")
    options = p.parse_args(argv)
    build(release=options.release, verbose=options.verbose)
    return 0
