# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""The patch queue over the pinned servo-* crates (see docs/patches.md).

patches/NNNN-what.patch are `git format-patch` files whose paths start with
the crate name (`servo-script/dom/...`). `patched/` is a git repository
holding the pristine crates as its first commit ("pristine"), then one
commit per patch: edit there, commit, `./mach patches export`.
"""

import glob
import hashlib
import os
import re
import shutil
import subprocess
import tempfile

from common import (PATCHED_DIR, PATCHES_DIR, WEBIDL_DIR, die, output, registry_crate,
                    say)

# The crates patched/ holds, whether or not a patch touches them yet: the
# pristine base commit must contain every crate a patch may edit. To patch
# another crate, export, add it here and to the shell's [patch.crates-io],
# and re-import (docs/patches.md).
PATCHABLE = [
    "servo",
    "servo-config",
    "servo-constellation",
    "servo-constellation-traits",
    "servo-script",
    "servo-script-bindings",
    "servo-storage-traits",
]
BASE_TAG = "pristine"
STAMP = ".cos-queue-stamp"
GIT = ["git", "-c", "user.name=mach", "-c", "user.email=mach@localhost",
       "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"]


def queue():
    return sorted(glob.glob(os.path.join(PATCHES_DIR, "*.patch")))


def crates_in(patch):
    """The crate directories a patch touches."""
    crates = set()
    with open(patch, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^(?:---|\+\+\+) [ab]/([^/]+)/", line)
            if m:
                crates.add(m.group(1))
    return crates


def crates_needed():
    crates = set(PATCHABLE)
    for patch in queue():
        crates |= crates_in(patch)
    return sorted(crates)


def queue_stamp():
    """A digest of the queue: `patched/` is rebuilt when it changes."""
    h = hashlib.sha256()
    for patch in queue():
        h.update(os.path.basename(patch).encode())
        with open(patch, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def crate_name(directory):
    """`servo-script` for `servo-script-0.7.0`."""
    return re.sub(r"-\d+\.\d+\.\d+$", "", directory)


def apply_queue(tree, commit):
    """Copies the pristine crates into `tree` and applies the queue, one
    commit per patch when `commit`. Fails naming the patch and hunk."""
    os.makedirs(tree)
    for crate in crates_needed():
        src = registry_crate(crate)
        shutil.copytree(src, os.path.join(tree, crate), symlinks=True)
        # cargo's marker of an unpacked registry crate; not part of the source.
        for marker in (".cargo-ok",):
            path = os.path.join(tree, crate, marker)
            if os.path.exists(path):
                os.remove(path)
    git = GIT + ["-C", tree]
    subprocess.run(git + ["init", "-q"], check=True)
    with open(os.path.join(tree, ".git", "info", "exclude"), "a") as f:
        # Our WebIDL files are copied in by every build, not patched.
        f.write("/servo-script-bindings/webidls/CrossOriginStorage*.webidl\n")
        f.write("/servo-script-bindings/webidls/FileSystem*Handle.webidl\n")
        f.write("/servo-script-bindings/webidls/FileSystemWritableFileStream.webidl\n")
        f.write(f"/{STAMP}\n")
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", f"pristine servo crates {', '.join(crates_needed())}"],
                   check=True)
    subprocess.run(git + ["tag", BASE_TAG], check=True)
    for patch in queue():
        name = os.path.basename(patch)
        if commit:
            result = subprocess.run(git + ["am", "-q", "--keep-cr", "--whitespace=nowarn", patch],
                                    capture_output=True, text=True)
        else:
            result = subprocess.run(git + ["apply", "--whitespace=nowarn", patch],
                                    capture_output=True, text=True)
        if result.returncode != 0:
            die(f"patch {name} does not apply:\n{result.stdout}{result.stderr}".rstrip())
    with open(os.path.join(tree, STAMP), "w") as f:
        f.write(queue_stamp())


def copy_webidl(tree):
    dest = os.path.join(tree, "servo-script-bindings", "webidls")
    for path in sorted(glob.glob(os.path.join(WEBIDL_DIR, "*.webidl"))):
        shutil.copy2(path, dest)


def unexported_changes():
    """What in `patched/` is not in the queue: uncommitted edits, or commits
    that `export` has not written out."""
    if not os.path.isdir(os.path.join(PATCHED_DIR, ".git")):
        return ""
    status = output(GIT + ["-C", PATCHED_DIR, "status", "--porcelain"])
    if status.strip():
        return "uncommitted edits:\n" + status
    exported = stamp_of(PATCHED_DIR) == queue_stamp()
    if not exported:
        return "commits not exported to patches/ (or patches/ changed since)"
    return ""


def stamp_of(tree):
    try:
        with open(os.path.join(tree, STAMP)) as f:
            return f.read().strip()
    except OSError:
        return None


def prepare():
    """Makes `patched/` match the queue (rebuilding it if the queue changed
    and nothing there would be lost), copies our WebIDL in, and returns the
    patched crates' {name: path}."""
    if os.path.isdir(PATCHED_DIR) and stamp_of(PATCHED_DIR) != queue_stamp():
        status = output(GIT + ["-C", PATCHED_DIR, "status", "--porcelain"]) if os.path.isdir(
            os.path.join(PATCHED_DIR, ".git")) else ""
        local = bool(status.strip()) or commits_since_import()
        if local:
            die("patched/ has work that is not in patches/ and patches/ changed too.\n"
                "Run `./mach patches export` to keep your edits (then re-check the queue), "
                "or remove patched/ to take the queue as it is.")
        say("patches/ changed: re-creating patched/")
        shutil.rmtree(PATCHED_DIR)
    if not os.path.isdir(PATCHED_DIR):
        say(f"applying {len(queue())} patches to {', '.join(crates_needed())}")
        apply_queue(PATCHED_DIR, commit=True)
    elif unexported_changes():
        say("building with edits in patched/ that are not exported to patches/ yet")
    copy_webidl(PATCHED_DIR)
    return {crate_name(d): os.path.join(PATCHED_DIR, d) for d in sorted(os.listdir(PATCHED_DIR))
            if os.path.isfile(os.path.join(PATCHED_DIR, d, "Cargo.toml"))}


def commits_since_import():
    """Whether patched/ has commits beyond the ones `import` made."""
    count = int(output(GIT + ["-C", PATCHED_DIR, "rev-list", "--count", f"{BASE_TAG}..HEAD"]))
    return count != len(queue())


def cmd_import(argv):
    """(Re)create patched/ from the pristine crates and the queue, to edit in place."""
    if os.path.isdir(PATCHED_DIR):
        if "--force" not in argv:
            if unexported_changes():
                die("patched/ has work not in patches/: export it, or pass --force to discard it")
        shutil.rmtree(PATCHED_DIR)
    apply_queue(PATCHED_DIR, commit=True)
    copy_webidl(PATCHED_DIR)
    say(f"patched/ holds {', '.join(crates_needed())} with {len(queue())} patches as commits "
        f"on top of the tag '{BASE_TAG}'")
    return 0


def cmd_export(argv):
    """Write patched/'s commits back to patches/ (one patch per commit)."""
    if not os.path.isdir(os.path.join(PATCHED_DIR, ".git")):
        die("no patched/ to export: run `./mach patches import` first")
    status = output(GIT + ["-C", PATCHED_DIR, "status", "--porcelain"])
    if status.strip():
        die("patched/ has uncommitted edits; commit them (one commit per concern):\n" + status)
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(GIT + ["-C", PATCHED_DIR, "format-patch", "-q", "--no-signature",
                              "--zero-commit", "--no-stat", "-N", "-o", out, f"{BASE_TAG}..HEAD"],
                       check=True)
        for old in queue():
            os.remove(old)
        os.makedirs(PATCHES_DIR, exist_ok=True)
        for name in sorted(os.listdir(out)):
            shutil.copy2(os.path.join(out, name), os.path.join(PATCHES_DIR, name))
    with open(os.path.join(PATCHED_DIR, STAMP), "w") as f:
        f.write(queue_stamp())
    say(f"exported {len(queue())} patches to patches/")
    return 0


def cmd_check(argv):
    """Apply the queue to the pristine crates in a scratch directory."""
    with tempfile.TemporaryDirectory() as scratch:
        apply_queue(os.path.join(scratch, "tree"), commit=False)
    for patch in queue():
        with open(patch, encoding="utf-8") as f:
            subject = next((l[len("Subject: "):].strip() for l in f if l.startswith("Subject: ")),
                           None)
        if not subject:
            die(f"{os.path.basename(patch)} has no Subject: header line saying what it does")
    say(f"all {len(queue())} patches apply cleanly to the pinned crates")
    return 0


def cmd_patches(argv):
    """Manage the patch queue: import | export | check."""
    actions = {"import": cmd_import, "export": cmd_export, "check": cmd_check}
    if not argv or argv[0] not in actions:
        die("usage: ./mach patches import [--force] | export | check", 2)
    return actions[argv[0]](argv[1:])
