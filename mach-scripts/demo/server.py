# This Source Code Form is subject to the terms of the Mozilla Public
# License, v. 2.0. If a copy of the MPL was not distributed with this
# file, You can obtain one at https://mozilla.org/MPL/2.0/.

"""The demo's two sites: the same pages on http://127.0.0.1:P and
http://localhost:Q (different sites, both secure contexts), plus a model
file made up on the spot and its manifest (size, SHA-256, the two sites)."""

import functools
import hashlib
import http.server
import json
import os
import random
import socketserver
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_SIZE = 24 << 20


def model_bytes():
    # Deterministic, so the hash is the same every run (and so is the entry).
    return random.Random(2026).randbytes(MODEL_SIZE)


class Handler(http.server.SimpleHTTPRequestHandler):
    model = b""
    manifest = b""

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/model.bin":
            return self.reply(self.model, "application/octet-stream")
        if path == "/model.json":
            return self.reply(self.manifest, "application/json")
        return super().do_GET()

    def reply(self, body, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self):
        # The storing page authorizes the sites it lists.
        self.send_header("Cross-Origin-Storage-Allow-Origin", ", ".join(self.sites))
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def start():
    """Starts both sites; returns their origins."""
    a = Server(("127.0.0.1", 0), functools.partial(Handler, directory=HERE))
    b = Server(("127.0.0.1", 0), functools.partial(Handler, directory=HERE))
    sites = [f"http://127.0.0.1:{a.server_address[1]}", f"http://localhost:{b.server_address[1]}"]
    model = model_bytes()
    Handler.model = model
    Handler.sites = sites
    Handler.manifest = json.dumps({
        "url": "model.bin",
        "size": len(model),
        "sha256": hashlib.sha256(model).hexdigest(),
        "sites": sites,
    }).encode()
    for server in (a, b):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return sites
