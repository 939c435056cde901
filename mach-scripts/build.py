# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""./mach build: fetch the pinned crates, apply the patch queue, build the shell."""

import os
import re
import shutil
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


def build(release=False, quiet=False):
    bootstrap.check()
    fetch()
    check_patch_section()
    patches.prepare()
    say(f"building the shell (target directory {target_dir()})")
    started = time.monotonic()
    args = ["cargo", "build", "--manifest-path", os.path.join(SHELL_DIR, "Cargo.toml")]
    if release:
        args.append("--release")
    run(args, env=build_env())
    minutes, seconds = divmod(int(time.monotonic() - started), 60)
    say(f"built {built_binary(release)} in {minutes} min {seconds} s")
    return built_binary(release)


def cmd_build(argv):
    """Build the patched Servo shell ([--release]); target dir in the cache."""
    unknown = [a for a in argv if a not in ("--release",)]
    if unknown:
        die(f"build: unknown arguments {unknown}", 2)
    build(release="--release" in argv)
    return 0
