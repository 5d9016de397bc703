"""A local SMS gateway for the tests: a real HTTP server on loopback that records what it gets.

``fail_next`` answers that many requests with HTTP 500 before accepting again, as a provider
having a bad minute would.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Gateway:
    def __init__(self):
        self.received: list[dict] = []
        self.headers: list[dict] = []
        self.fail_next = 0
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with gateway._lock:
                    failing = gateway.fail_next > 0
                    if failing:
                        gateway.fail_next -= 1
                    else:
                        gateway.received.append(json.loads(body.decode()))
                        gateway.headers.append(dict(self.headers))
                self.send_response(500 if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": false}' if failing else b'{"ok": true}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
