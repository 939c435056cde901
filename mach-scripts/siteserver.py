# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""Local sites for the demo (`./mach run`) and the end-to-end tests
(tests/e2e): a directory served over http on a loopback address and a free
port, each on its own port so that each is its own origin.

Both need the same things of such a server: it answers while the browser
loads several resources at once (threads), keeps quiet (no request log in
the shell's output), is never cached (every run sees the files as they are
now), and may send the storing page's Cross-Origin-Storage-Allow-Origin
header. A caller subclasses `Handler` for its own header value or routes,
and starts a site with `serve`.
"""

import functools
import http.server
import socketserver
import threading


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves files from the directory `serve` was given, uncached."""

    def allow_origin(self):
        """The Cross-Origin-Storage-Allow-Origin value to send (the origins
        a page may list; the spec's ceiling), or None to send none."""
        return None

    def end_headers(self):
        allowed = self.allow_origin()
        if allowed:
            self.send_header("Cross-Origin-Storage-Allow-Origin", allowed)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(host, directory, handler=Handler):
    """Serves `directory` on `host` at a free port, on a daemon thread, and
    returns the server (its port is `server.server_address[1]`)."""
    server = Server((host, 0), functools.partial(handler, directory=directory))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
