"""Servers on 127.0.0.1 that receive notifications in tests: a minimal SMTP server and a webhook.

The SMTP server speaks just enough of RFC 5321 for ``smtplib`` to deliver a message (EHLO, AUTH
PLAIN, MAIL, RCPT, DATA, QUIT); each delivery is kept with its envelope, the login used and the
parsed message.
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import socketserver
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Delivery:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage
    login: tuple[str, str] | None = None


@dataclass
class SmtpServer:
    """``with SmtpServer() as smtp:`` listens on ``smtp.port``; ``smtp.deliveries`` fills as mail arrives."""

    deliveries: list[Delivery] = field(default_factory=list)
    port: int = 0

    def __enter__(self) -> SmtpServer:
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, text: str) -> None:
                self.wfile.write(text.encode("ascii") + b"\r\n")

            def handle(self) -> None:
                sender, recipients, login = "", [], None
                self.reply("220 loopback ESMTP")
                while line := self.rfile.readline():
                    command = line.decode("utf-8").rstrip("\r\n")
                    verb = command.split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.reply("250-loopback\r\n250-AUTH PLAIN\r\n250 8BITMIME")
                    elif verb == "HELO":
                        self.reply("250 loopback")
                    elif verb == "AUTH":
                        _, user, password = base64.b64decode(command.split()[2]).decode().split("\0")
                        login = (user, password)
                        self.reply("235 2.7.0 Authentication successful")
                    elif verb == "MAIL":
                        sender = command.split(":", 1)[1].strip().split()[0].strip("<>")
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        body = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            body += chunk[1:] if chunk.startswith(b"..") else chunk
                        message = email.message_from_bytes(body, policy=email.policy.default)
                        owner.deliveries.append(Delivery(sender, recipients, message, login))
                        sender, recipients = "", []
                        self.reply("250 OK queued")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("250 OK")  # RSET, NOOP

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class WebhookServer:
    """``with WebhookServer() as hook:`` receives POSTs at ``hook.url``; ``hook.posts`` holds (path, headers, JSON)."""

    posts: list[tuple[str, dict, object]] = field(default_factory=list)
    status: int = 200
    url: str = ""

    def __enter__(self) -> WebhookServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.posts.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(owner.status)
                self.end_headers()
                self.wfile.write(b"1")

            def log_message(self, *args) -> None:  # keep the test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/T000/B000/secret"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


class FileNotifier:
    """A notifier plugged in by its dotted path (``support.loopback:FileNotifier``): appends each message to a file."""

    def __init__(self, settings: dict):
        self.path = Path(settings["path"])

    def send(self, message) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"subject": message.subject, "text": message.text}) + "\n")
