"""A real HTTP server on 127.0.0.1 serving fixture files in GEO's folder layout.

Besides plain files (and folder listings, as GEO's server gives), it can be told to answer
404, fail with 500 a number of times before succeeding, or cut a file short, and it counts the
requests per path so tests can assert single downloads.
"""

from __future__ import annotations

import collections
import functools
import http.server
import threading
from pathlib import Path


class GeoHandler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, state, **kwargs):
        self.state = state
        super().__init__(*args, **kwargs)

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        with self.state["lock"]:
            self.state["requests"][path] += 1
            failures = self.state["fail_500"].get(path, 0)
            if failures:
                self.state["fail_500"][path] = failures - 1
        if failures:
            self.send_error(500, "Internal Server Error")
            return
        if path in self.state["truncate"]:
            data = (Path(self.directory) / path.lstrip("/")).read_bytes()
            cut = data[: len(data) // 2]
            self.send_response(200)
            self.send_header("Content-Length", str(len(cut)))
            self.end_headers()
            self.wfile.write(cut)
            return
        if self.state["delay"]:
            threading.Event().wait(self.state["delay"])
        super().do_GET()


class GeoServer:
    """Context manager: ``with GeoServer(root) as server: server.url``."""

    def __init__(self, root: Path) -> None:
        self.state = {"requests": collections.Counter(), "fail_500": {}, "truncate": set(),
                      "delay": 0.0, "lock": threading.Lock()}
        handler = functools.partial(GeoHandler, directory=str(root), state=self.state)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> GeoServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join()

    def requests(self, suffix: str) -> int:
        return sum(n for path, n in self.state["requests"].items() if path.endswith(suffix))
