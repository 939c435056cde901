# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""Paths and helpers shared by the mach commands."""

import glob
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHELL_DIR = os.path.join(ROOT, "components", "shell")
PATCHES_DIR = os.path.join(ROOT, "patches")
WEBIDL_DIR = os.path.join(ROOT, "webidl")
# The patched crates, editable in place (see docs/patches.md).
PATCHED_DIR = os.path.join(ROOT, "patched")
SERVO_VERSION = "0.7.0"


def cache_dir():
    """Where builds keep what survives a fresh clone: $COS_CACHE_DIR, else
    $XDG_CACHE_HOME/servo-cos, else ~/.cache/servo-cos."""
    if os.environ.get("COS_CACHE_DIR"):
        return os.path.abspath(os.environ["COS_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "servo-cos")


def target_dir():
    """Servo's build output (about 10 GB): $COS_TARGET_DIR, else in the cache."""
    if os.environ.get("COS_TARGET_DIR"):
        return os.path.abspath(os.environ["COS_TARGET_DIR"])
    return os.path.join(cache_dir(), "target")


def workspace_env():
    """The environment for cargo commands on our own workspace: its target
    directory lives in the cache too, so a fresh clone does not rebuild the
    store's dependencies ($COS_WORKSPACE_TARGET_DIR overrides)."""
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", os.environ.get("COS_WORKSPACE_TARGET_DIR")
                   or os.path.join(cache_dir(), "workspace-target"))
    return env


def cargo_home():
    return os.environ.get("CARGO_HOME") or os.path.join(os.path.expanduser("~"), ".cargo")


def registry_crate(name, version=SERVO_VERSION):
    """The pristine source of a crate from the cargo registry, after a fetch."""
    pattern = os.path.join(cargo_home(), "registry", "src", "*", f"{name}-{version}")
    found = sorted(glob.glob(pattern))
    if not found:
        die(f"{name}-{version} is not in the cargo registry; run `./mach build` (it fetches) "
            f"or `cargo fetch --manifest-path {os.path.relpath(SHELL_DIR, ROOT)}/Cargo.toml`")
    return found[-1]


def build_env():
    """The environment Servo's build needs: SpiderMonkey from source with clang 19."""
    env = dict(os.environ)
    llvm = "/usr/lib/llvm-19"
    if os.path.isdir(llvm):
        env["PATH"] = f"{llvm}/bin:" + env.get("PATH", "")
        env.setdefault("LIBCLANG_PATH", f"{llvm}/lib")
    env.setdefault("CC", "clang")
    env.setdefault("CXX", "clang++")
    env["MOZJS_FROM_SOURCE"] = "1"
    env["CARGO_TARGET_DIR"] = target_dir()
    return env


def say(message):
    print(f"mach: {message}", flush=True)


def die(message, status=1):
    print(f"mach: error: {message}", file=sys.stderr, flush=True)
    sys.exit(status)


def run(args, cwd=ROOT, env=None, check=True):
    print("+ " + " ".join(args), flush=True)
    status = subprocess.call(args, cwd=cwd, env=env)
    if check and status != 0:
        die(f"`{' '.join(args)}` failed with status {status}", status)
    return status


def output(args, cwd=ROOT):
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True).stdout


def pinned_venv(venv, requirement):
    """A virtual environment at `venv` holding `requirement` (a pinned
    `name==version` from PyPI), made once and remade when the pin changes;
    returns its python."""
    python = os.path.join(venv, "bin", "python")
    marker = os.path.join(venv, ".installed")
    if not os.path.exists(marker) or open(marker).read() != requirement:
        say(f"installing {requirement} in {venv}")
        subprocess.check_call([sys.executable, "-m", "venv", venv])
        subprocess.check_call([python, "-m", "pip", "install", "-q", requirement])
        with open(marker, "w") as f:
            f.write(requirement)
    return python
