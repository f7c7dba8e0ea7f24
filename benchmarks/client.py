"""A small HTTP client that logs in as a browser does: it keeps the session cookie
(sent over plain HTTP although it is marked Secure) and never follows redirects."""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from benchmarks import BenchError
from benchmarks.forms import csrf_token


@dataclass
class Reply:
    status: int
    content_type: str
    location: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Browser:
    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, body: bytes | None = None) -> Reply:
        headers = {"Cookie": self.cookie_header} if self.cookies else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Reply(
            response.status,
            response.headers.get("Content-Type", ""),
            response.headers.get("Location", ""),
            data,
        )

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, body: bytes) -> Reply:
        return self.request("POST", path, body)

    def log_in(self, email: str, password: str) -> None:
        page = self.get("/login")
        fields = {"csrf_token": csrf_token(page.text), "email": email, "password": password}
        reply = self.post("/login", urlencode(fields).encode())
        if reply.status != 302:
            raise BenchError(
                f"logging in as {email} answered {reply.status}, not a redirect: the seeded "
                "database has another demo password (set LMS_DEMO_PASSWORD to it, or --reseed)"
            )
