#!/usr/bin/env python3
"""An SMTP server with AUTH (Python's aiosmtpd) for CareMail's SMTP client tests.

Usage: smtp_sink.py '<json>'   with options (all optional):
  {"tls": "none" | "starttls" | "implicit",   TLS mode (default "none")
   "cert": path, "key": path,                  PEM files for TLS
   "user": "agent", "password": "s3cret",      the one good login (without: every AUTH fails)
   "mechanisms": ["PLAIN", "LOGIN"],           AUTH mechanisms offered (default both)
   "auth_required": true,                      MAIL without AUTH gets 530 (default true with a user)
   "size": 33554432}                           SIZE limit advertised

Listens on 127.0.0.1 on a free port and prints {"port": n} as the first line of stdout.
Then prints one JSON line per received message:
  {"mail_from", "rcpt_tos": [...], "content": base64 of the bytes as received (unstuffed),
   "auth": login or null, "tls": bool, "helo": name}
and one line per AUTH attempt: {"auth_attempt": mechanism, "login": ..., "ok": bool}.
Exits when stdin is closed (or after 120 s, in case the test process died).
Exit code 3 and {"error": ...} when aiosmtpd is not installed.
"""
import asyncio
import base64
import json
import logging
import os
import ssl
import sys
import warnings

warnings.simplefilter("ignore")  # aiosmtpd warns about AUTH without TLS: intended in the tests
logging.disable(logging.CRITICAL)

try:
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError as error:  # the tests check this before starting the script
    print(json.dumps({"error": f"aiosmtpd not installed: {error}"}), flush=True)
    sys.exit(3)


def emit(obj):
    print(json.dumps(obj), flush=True)


class Sink:
    def __init__(self, tls_mode):
        self.tls_mode = tls_mode

    async def handle_DATA(self, server, session, envelope):
        emit({
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "content": base64.b64encode(envelope.original_content or b"").decode("ascii"),
            "auth": session.auth_data.login.decode("utf-8") if session.authenticated and session.auth_data else None,
            "tls": self.tls_mode == "implicit" or session.ssl is not None,
            "helo": session.host_name,
        })
        return "250 2.0.0 OK: queued in the sink"


def main():
    options = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    tls_mode = options.get("tls", "none")
    user = options.get("user")
    password = options.get("password", "")
    mechanisms = [m.upper() for m in options.get("mechanisms", ["PLAIN", "LOGIN"])]

    context = None
    if tls_mode != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(options["cert"], options["key"])

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and user is not None \
            and auth_data.login.decode("utf-8") == user and auth_data.password.decode("utf-8") == password
        emit({"auth_attempt": mechanism, "login": auth_data.login.decode("utf-8", "replace"), "ok": ok})
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)  # handled=False: 535 is sent

    excluded = [m for m in ("PLAIN", "LOGIN") if m not in mechanisms]

    def factory():
        return SMTP(
            Sink(tls_mode),
            hostname="sink.test",
            data_size_limit=options.get("size", 33554432),
            tls_context=context if tls_mode == "starttls" else None,
            require_starttls=tls_mode == "starttls",
            # With implicit TLS aiosmtpd does not know the socket is encrypted; AUTH is offered
            # anyway. With STARTTLS it is offered only after TLS, like real servers.
            auth_require_tls=tls_mode == "starttls",
            auth_required=options.get("auth_required", user is not None),
            auth_exclude_mechanism=excluded,
            authenticator=authenticator if user is not None else None,
        )

    async def serve():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(factory, host="127.0.0.1", port=0,
                                          ssl=context if tls_mode == "implicit" else None)
        emit({"port": server.sockets[0].getsockname()[1]})
        stdin_closed = loop.run_in_executor(None, sys.stdin.read)
        try:
            await asyncio.wait_for(stdin_closed, timeout=120)
        except asyncio.TimeoutError:
            pass
        server.close()

    asyncio.run(serve())
    # The executor thread may still block on stdin after a timeout: leave without waiting for it.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
