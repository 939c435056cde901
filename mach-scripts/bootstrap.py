# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""./mach bootstrap: install (Debian/Ubuntu) or check what building Servo needs."""

import os
import shutil
import subprocess
import sys

from common import die, say

# What Servo 0.7.0 needs on Debian 12, and how to tell it is there.
DEBIAN_PACKAGES = {
    "clang-19": lambda: os.path.exists("/usr/lib/llvm-19/bin/clang"),
    "libclang-19-dev": lambda: os.path.exists("/usr/lib/llvm-19/lib/libclang.so"),
    "lld-19": lambda: os.path.exists("/usr/lib/llvm-19/bin/ld.lld"),
    "llvm-19-dev": lambda: os.path.exists("/usr/lib/llvm-19/bin/llvm-config"),
    "pkg-config": lambda: shutil.which("pkg-config") is not None,
    "libfontconfig1-dev": lambda: pkg_config("fontconfig"),
    "libfreetype6-dev": lambda: pkg_config("freetype2"),
    "libegl1-mesa-dev": lambda: pkg_config("egl"),
    "libgles2-mesa-dev": lambda: pkg_config("glesv2"),
    "libgl1-mesa-dri": lambda: os.path.isdir("/usr/lib/x86_64-linux-gnu/dri")
    or os.path.isdir("/usr/lib/aarch64-linux-gnu/dri"),
    "libssl-dev": lambda: pkg_config("openssl"),
    "libdbus-1-dev": lambda: pkg_config("dbus-1"),
    "libudev-dev": lambda: pkg_config("libudev"),
    "libxkbcommon-dev": lambda: pkg_config("xkbcommon"),
    "python3-venv": lambda: python_venv_works(),
    # The window tests (tests/e2e/window.py): a virtual display, and keys and
    # clicks sent to it as a person's.
    "xvfb": lambda: shutil.which("Xvfb") is not None,
    "xdotool": lambda: shutil.which("xdotool") is not None,
}


def pkg_config(name):
    if shutil.which("pkg-config") is None:
        return False
    return subprocess.call(["pkg-config", "--exists", name]) == 0


def python_venv_works():
    return subprocess.call([sys.executable, "-c", "import ensurepip, venv"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0


def missing():
    """Everything missing, as (what, how to get it) pairs."""
    gaps = []
    if sys.version_info < (3, 11):
        gaps.append(("python >= 3.11 (for the WebIDL codegen)", "install python 3.11 or newer"))
    if shutil.which("cargo") is None:
        gaps.append(("cargo", "install Rust with rustup"))
    for package, present in DEBIAN_PACKAGES.items():
        if not present():
            gaps.append((package, f"apt-get install {package}"))
    return gaps


def is_debian():
    return os.path.exists("/etc/debian_version") and shutil.which("apt-get") is not None


def check():
    """Fail, naming what is missing, unless the build can run."""
    gaps = missing()
    if gaps:
        lines = "\n".join(f"  - {what}: {how}" for what, how in gaps)
        die(f"the build needs:\n{lines}\nRun `./mach bootstrap` to install them (Debian/Ubuntu).")


def cmd_bootstrap(argv):
    """Install (Debian/Ubuntu, as root) or list what building Servo needs."""
    gaps = missing()
    if not gaps:
        say("everything the build needs is installed")
        return 0
    packages = [what for what, _ in gaps if what in DEBIAN_PACKAGES]
    others = [(what, how) for what, how in gaps if what not in DEBIAN_PACKAGES]
    if packages and is_debian() and os.geteuid() == 0 and "--check" not in argv:
        say("installing " + " ".join(packages))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if subprocess.call(["apt-get", "update", "-qq"], env=env) != 0 or subprocess.call(
                ["apt-get", "install", "-y", "-qq"] + packages, env=env) != 0:
            die("apt-get failed")
        gaps = missing()
    if gaps:
        for what, how in gaps:
            print(f"missing: {what} ({how})")
        if packages and not is_debian():
            print("This is not a Debian/Ubuntu system: install the equivalents of the packages "
                  "above with your package manager.")
        return 1
    for what, how in others:
        print(f"missing: {what} ({how})")
    say("everything the build needs is installed")
    return 0
