"""A real HTTP server on 127.0.0.1 serving fixture files in GEO's folder layout.

Besides plain files (and folder listings, as GEO's server gives), it can be told to answer
404, fail with 500 (or 429 with a Retry-After) a number of times before succeeding, cut a file
short, serve other bytes under a path (a bomb, an HTML page), drip a file one byte at a time,
or redirect; over TLS too.
It can also announce a file's full length and send half of it (a dropped connection), or
send a file without a Content-Length, or with one that is no number (``length_header``:
path -> function of the length giving the header's text). It counts the requests per path
so tests can assert single downloads.
"""

from __future__ import annotations

import collections
import functools
import http.server
import ssl
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
            limited = self.state["fail_429"].get(path, (0, None))
            if limited[0]:
                self.state["fail_429"][path] = (limited[0] - 1, limited[1])
        if failures:
            self.send_error(500, "Internal Server Error")
            return
        if limited[0]:  # NCBI's rate limit: come back later (after Retry-After seconds)
            self.send_response(429, "Too Many Requests")
            if limited[1] is not None:
                self.send_header("Retry-After", limited[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path in self.state["redirect"]:
            self.send_response(302)
            self.send_header("Location", self.state["redirect"][path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path in self.state["body"]:
            self._send(self.state["body"][path])
            return
        if path in self.state["drip"]:
            self._drip(path, self.state["drip"][path])
            return
        short = self.state["short"].get(path, 0)
        if short:  # the full length announced, half of it sent, then the connection closed
            self.state["short"][path] = short - 1
            folder = Path(self.directory) / path.lstrip("/")
            # a folder: a listing of its files (links, as GEO's listing has them)
            data = ("".join(f'<a href="{p.name}">{p.name}</a>\n' for p in sorted(folder.iterdir()))
                    .encode() if folder.is_dir() else folder.read_bytes())
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        if path in self.state["no_length"] or path in self.state["length_header"]:
            # no Content-Length, or one that is no number: the end of the stream says
            target = Path(self.directory) / path.lstrip("/")
            data = ("".join(f'<a href="{p.name}">{p.name}</a>\n' for p in sorted(target.iterdir()))
                    .encode() if target.is_dir() else target.read_bytes())
            self.send_response(200)
            if path in self.state["length_header"]:
                self.send_header("Content-Length", self.state["length_header"][path](len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True
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

    def _send(self, data: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _drip(self, path: str, interval: float) -> None:
        """The file's headers at once, then one byte per ``interval`` until the client leaves."""
        data = (Path(self.directory) / path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            for i in range(len(data)):
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
                if self.state["stop"].wait(interval):
                    return
        except OSError:  # the client gave up, as it should
            return


class GeoServer:
    """Context manager: ``with GeoServer(root) as server: server.url``."""

    def __init__(self, root: Path, *, tls: tuple[Path, Path] | None = None) -> None:
        self.state = {"requests": collections.Counter(), "fail_500": {}, "fail_429": {},
                      "truncate": set(),
                      "delay": 0.0, "lock": threading.Lock(), "body": {}, "drip": {},
                      "redirect": {}, "stop": threading.Event(), "short": {},
                      "no_length": set(), "length_header": {}}
        handler = functools.partial(GeoHandler, directory=str(root), state=self.state)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        scheme = "http"
        if tls is not None:  # (certificate, key)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.port = self.httpd.server_address[1]
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> GeoServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self.state["stop"].set()
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join()

    def requests(self, suffix: str) -> int:
        return sum(n for path, n in self.state["requests"].items() if path.endswith(suffix))


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, written to ``folder``: (cert.pem, key.pem)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)  # noqa: E501
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
