#!/usr/bin/env python3
# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""End-to-end checks of the patched Servo shell, headless.

Serves cos-e2e.html on several loopback origins that are different sites
(http://127.0.0.1:P, http://localhost:Q, http://127.0.0.2:P) and on a
non-loopback host name (resolved to 127.0.0.1 through a hosts file, so not
a secure context), then runs the shell once per step with one profile:

  1. 127.0.0.1 stores the file, listing localhost (TypeError for a malformed
     hash, DataError for wrong bytes, getFile() before writing refused);
  2. localhost reads it back;
  3. 127.0.0.2 (unlisted) gets NotFoundError;
  4. the file is still there in a new run with the same profile, and a byte
     changed on disk fails the read (NotReadableError) instead of being served;
  5. a dedicated worker reads it and stores a file of its own;
  6. a page may list only origins its Cross-Origin-Storage-Allow-Origin
     response header authorizes;
  7. over http on a non-loopback host the API is not exposed;
  8. a page cannot drive the shell through test-driver console lines: not
     without --test-driver, and not with it unless it knows the token (a
     page given the token shows that the check would see a forged grant);
  9. a file named by its SHA-1 hash stays same-site (its listed origin is
     dropped with a console warning);
 10. the browser's own page, servo:cross-origin-storage, loads when the
     browser opens it, and a web page can neither fetch it, frame it nor
     navigate to it (so it cannot make it act: the store is untouched).

Usage: run.py SHELL_BINARY COS_STORE_BINARY
Prints one line per check and "N passed, N failed".
"""

import glob
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "mach-scripts"))
import siteserver  # noqa: E402


class Handler(siteserver.Handler):
    def allow_origin(self):
        # The storing page authorizes the origin it lists (the spec's ceiling
        # on a document's origins list).
        return os.environ.get("COS_E2E_LISTED")


def serve(host):
    """Serves this directory (cos-e2e.html and its worker) on `host`."""
    return siteserver.serve(host, HERE, Handler)


def run_shell(shell, profile, hosts, url, timeout=60, consent="allow", extra=()):
    args = [shell, "--headless", "--profile", profile, "--host-file", hosts,
            "--cos-consent", consent, "--timeout", str(timeout), *extra, url]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout + 30)
    for line in proc.stdout.splitlines():
        if line.startswith("console: result: "):
            result = json.loads(line[len("console: result: "):])
            result["_console"] = proc.stdout.splitlines()
            result["_stderr"] = proc.stderr.splitlines()
            return result
    sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
    return {"error": f"no result (exit status {proc.returncode})"}


def store_listing(tool, profile):
    """What `cos-store ls` says about the profile's store."""
    proc = subprocess.run([tool, "--profile", profile, "ls"],
                          capture_output=True, text=True, timeout=60)
    return proc.stdout + proc.stderr


def main():
    shell = os.path.abspath(sys.argv[1])
    tool = os.path.abspath(sys.argv[2])
    a = serve("127.0.0.1")
    c = serve("127.0.0.2")
    b = serve("127.0.0.1")
    pa, pb, pc = a.server_address[1], b.server_address[1], c.server_address[1]
    site_a = f"http://127.0.0.1:{pa}"
    site_b = f"http://localhost:{pb}"
    site_c = f"http://127.0.0.2:{pc}"
    insecure = f"http://cos-e2e.test:{pa}"
    os.environ["COS_E2E_LISTED"] = site_b
    passed = failed = 0

    def check(name, ok, detail):
        nonlocal passed, failed
        if isinstance(detail, dict):
            detail = {k: v for k, v in detail.items() if k != "_console"}
        print(f"{'PASS' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"), flush=True)
        passed, failed = passed + ok, failed + (not ok)

    with tempfile.TemporaryDirectory() as tmp:
        profile = os.path.join(tmp, "profile")
        hosts = os.path.join(tmp, "hosts")
        with open(hosts, "w") as f:
            f.write("127.0.0.1 localhost cos-e2e.test\n")
        page = "cos-e2e.html"

        r = run_shell(shell, profile, hosts, f"{site_a}/{page}?step=store&list={site_b}")
        check("store: malformed hash is a TypeError", r.get("malformed") == "TypeError", r)
        check("store: wrong bytes are a DataError", r.get("mismatch") == "DataError", r)
        check("store: a create handle reads nothing before its write",
              r.get("read_before_write") == "NotAllowedError", r)
        check("store: the handle is a file named by its hash",
              r.get("kind") == "file" and r.get("name_is_hash") is True, r)
        check("store: createWritable() gives a WritableStream", r.get("is_writable_stream") is True, r)
        check("store: the writer reads its bytes back", r.get("read_back") is True, r)
        check("store: the writer looks the hash up", r.get("lookup_after_store") == "file", r)

        r = run_shell(shell, profile, hosts, f"{site_b}/{page}?step=read")
        check("read: a listed site reads the file", r.get("contents_match") is True, r)

        r = run_shell(shell, profile, hosts, f"{site_c}/{page}?step=read")
        check("read: an unlisted site gets NotFoundError", r.get("error") == "NotFoundError", r)

        r = run_shell(shell, profile, hosts, f"{site_a}/{page}?step=read")
        check("persist: the file is there in a new run", r.get("contents_match") is True, r)

        # The File getFile() gives is read from the store piece by piece as
        # the page consumes it, each piece checked against the hash: a byte
        # changed on disk fails the read and is never served.
        rotted = os.path.join(tmp, "rotted")
        shutil.copytree(profile, rotted)
        text = "Cross-Origin Storage end-to-end test file : model weights go here.\n" * 64
        digest = hashlib.sha256(text.encode()).hexdigest()
        found = glob.glob(os.path.join(rotted, "**", digest), recursive=True)
        for path in found:
            os.chmod(path, 0o644)
            with open(path, "r+b") as f:
                f.seek(100)
                byte = f.read(1)
                f.seek(100)
                f.write(bytes([byte[0] ^ 0x20]))
        r = run_shell(shell, rotted, hosts, f"{site_a}/{page}?step=read")
        check("rot: a byte changed on disk fails the read with NotReadableError",
              len(found) == 1 and r.get("error") == "NotReadableError", dict(r, found=found))

        r = run_shell(shell, profile, hosts, f"{site_a}/{page}?step=legacy")
        warnings = [line for line in r.get("_console", []) if "is deprecated" in line]
        check("legacy: requestFileHandle() and requestFileHandles() still work",
              r.get("singular") == "file" and r.get("plural") == 1, r)
        check("legacy: each warns once per global that it is deprecated",
              sum("requestFileHandle()" in w for w in warnings) == 1
              and sum("requestFileHandles()" in w for w in warnings) == 1, warnings)

        r = run_shell(shell, profile, hosts, f"{site_a}/{page}?step=worker")
        check("worker: a dedicated worker reads and stores",
              r.get("exposed") is True and r.get("contents_match") is True
              and r.get("stored") is True, r)

        # The storing page's header authorizes only site B: listing site C
        # is dropped (the write succeeds, same-site only).
        r = run_shell(shell, profile, hosts, f"{site_a}/{page}?step=store&file=2&list={site_c}")
        check("ceiling: a write listing an unauthorized origin still stores",
              r.get("read_back") is True, r)
        r = run_shell(shell, profile, hosts, f"{site_c}/{page}?step=read&file=2")
        check("ceiling: an origin the header did not authorize is not listed",
              r.get("error") == "NotFoundError", r)

        # SHA-1 is accepted, but its collisions can be made: such a file is
        # never shared across sites, and the page is told why.
        r = run_shell(shell, profile, hosts, f"{site_a}/{page}?step=sha1&file=3&list={site_b}")
        warned = any("SHA-1 hash is never shared across sites" in line
                     for line in r.get("_console", []))
        check("sha1: a file named by its SHA-1 hash is stored and read same-site, and a "
              "listed origin is dropped with a console warning saying why",
              r.get("stored") is True and r.get("read") is True and warned, r)
        r = run_shell(shell, profile, hosts, f"{site_b}/{page}?step=sha1&file=3")
        check("sha1: the listed site cannot read it", r.get("error") == "NotFoundError", r)

        r = run_shell(shell, profile, hosts, f"{insecure}/{page}?step=probe")
        check("insecure: no crossOriginStorage over http on a non-loopback host",
              r.get("secure") is False and r.get("exposed") is False, r)

        # Site B reading a file site A listed it for crosses sites, so it
        # needs consent, which the shell asks for (and, headless with no one
        # to ask, refuses) unless a test driver granted it.
        forged = os.path.join(tmp, "forged")
        r = run_shell(shell, forged, hosts, f"{site_a}/{page}?step=store&file=forge&list={site_b}")
        check("forge: the file to steal is stored", r.get("read_back") is True, r)
        token = secrets.token_hex(16)
        for name, extra, query in (
                ("a page of a shell without --test-driver", (), f"&token={token}"),
                ("a page without the token", ("--test-driver", token), "")):
            attempt = os.path.join(tmp, "attempt")
            shutil.rmtree(attempt, ignore_errors=True)
            shutil.copytree(forged, attempt)
            r = run_shell(shell, attempt, hosts, f"{site_b}/{page}?step=forge&file=forge{query}",
                          consent="ask", extra=extra)
            check(f"forge: {name} cannot click for itself",
                  r.get("clicked") is False and r.get("activated") in (False, None), r)
            check(f"forge: {name} cannot grant itself consent",
                  r.get("disclosed") == "NotFoundError", r)
        # The control: the runner's own pages, which know the token, do drive it.
        attempt = os.path.join(tmp, "attempt")
        shutil.rmtree(attempt, ignore_errors=True)
        shutil.copytree(forged, attempt)
        r = run_shell(shell, attempt, hosts, f"{site_b}/{page}?step=forge&file=forge&token={token}",
                      consent="ask", extra=("--test-driver", token))
        check("forge: a page given the token clicks and is granted (the check can fail)",
              r.get("clicked") is True and r.get("disclosed") is True, r)

        # The browser's own page: the browser opens it...
        shot = os.path.join(tmp, "internal.png")
        proc = subprocess.run([shell, "--headless", "--profile", profile, "--exit-after-load",
                               "--timeout", "30", "--screenshot", shot,
                               "servo:cross-origin-storage"],
                              capture_output=True, text=True, timeout=60)
        check("internal page: the browser opens servo:cross-origin-storage",
              proc.returncode == 0 and os.path.getsize(shot) > 0
              and "showing servo:cross-origin-storage" in proc.stderr
              and "refused" not in proc.stderr, proc.stderr[-2000:])
        # ...web content may not.
        before = store_listing(tool, profile)
        r = run_shell(shell, profile, hosts, f"{site_a}/{page}?step=internal", timeout=15)
        stderr = r.get("_stderr", [])
        refused = [line for line in stderr if "refused to load servo:cross-origin-storage" in line]
        shown = [line for line in stderr if "showing servo:cross-origin-storage" in line]
        check("internal page: a web page cannot fetch it",
              r.get("fetch") == "TypeError" and r.get("fetch_no_cors") == "TypeError", r)
        # The frame never reaches the page (Servo does not navigate a frame
        # to the scheme, or the page refuses it); the top-level navigation
        # reaches it and is refused.
        check("internal page: a web page can neither frame it nor navigate to it",
              not shown and any("Document, Navigate" in line for line in refused),
              {"stderr": stderr[-10:]})
        check("internal page: the store is untouched", store_listing(tool, profile) == before
              and before.count("SHA-256:") >= 2, before)

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
