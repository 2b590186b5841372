#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) on loopback for the SnackBaseMail tests.

Writes into --out:
  ready                 once the server accepts connections
  events.log            one line per notable command outcome (AUTH-PLAIN-OK, DATA-451, ...)
  msg-N.eml             the raw message as received (after SMTP dot-unstuffing)
  msg-N.json            envelope + a summary parsed with Python's email package
Stops on SIGTERM / SIGINT or when its stdin reaches EOF (the test process closed it or died).
"""
import argparse
import json
import asyncio
import os
import signal
import ssl
import sys
import threading

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
except ImportError as exc:  # the Swift test turns this into a failure with this text
    print(f"smtp_sink: cannot import aiosmtpd ({exc}); install it with: python3 -m pip install aiosmtpd",
          file=sys.stderr, flush=True)
    sys.exit(3)

import email
import email.policy

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--auth-user")
ap.add_argument("--auth-password")
ap.add_argument("--auth-only-login", action="store_true", help="offer AUTH LOGIN but not PLAIN")
ap.add_argument("--auth-require-tls", action="store_true")
ap.add_argument("--cert")
ap.add_argument("--key")
ap.add_argument("--starttls", action="store_true", help="offer STARTTLS with --cert/--key")
ap.add_argument("--require-starttls", action="store_true")
ap.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte (smtps)")
ap.add_argument("--fail-rcpt", type=int, default=0, help="answer 451 to the first N RCPT")
ap.add_argument("--fail-data", type=int, default=0, help="answer 451 to the first N DATA")
ap.add_argument("--reject-data", action="store_true", help="answer 554 to every DATA")
ap.add_argument("--hold-data", action="store_true", help="a slow server: hold each DATA reply until the file <out>/release exists")
args = ap.parse_args()

os.makedirs(args.out, exist_ok=True)
lock = threading.Lock()


def event(name):
    with lock:
        with open(os.path.join(args.out, "events.log"), "a") as f:
            f.write(name + "\n")


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def part_content(msg, subtype):
    part = msg.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    return part.get_content()


class Handler:
    def __init__(self):
        self.count = 0
        self.rcpt_failures = 0
        self.data_failures = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_failures < args.fail_rcpt:
            self.rcpt_failures += 1
            event("RCPT-451")
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        event("RCPT-250")
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_failures < args.fail_data:
            self.data_failures += 1
            event("DATA-451")
            return "451 4.3.0 Try again later"
        if args.hold_data:
            event("DATA-HELD")
            while not os.path.exists(os.path.join(args.out, "release")):
                await asyncio.sleep(0.05)
        if args.reject_data:
            event("DATA-554")
            return "554 5.7.1 Message refused"
        n = self.count
        self.count += 1
        raw = envelope.original_content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        summary = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(msg["subject"]) if msg["subject"] is not None else None,
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "message_id": msg["message-id"],
            "date": msg["date"],
            "mime_version": msg["mime-version"],
            "content_type": msg.get_content_type(),
            "header_names": [k for k in msg.keys()],
            "text": part_content(msg, "plain"),
            "html": part_content(msg, "html"),
            "defects": [repr(d) for d in msg.defects]
            + [repr(d) for p in msg.walk() for d in p.defects],
            "authenticated": bool(session.authenticated),
            "tls": server.transport.get_extra_info("ssl_object") is not None,
        }
        write_atomic(os.path.join(args.out, f"msg-{n}.eml"), raw)
        write_atomic(os.path.join(args.out, f"msg-{n}.json"), json.dumps(summary).encode())
        event("DATA-250")
        return "250 OK: queued"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login == args.auth_user.encode()
          and auth_data.password == args.auth_password.encode())
    event(f"AUTH-{mechanism}-{'OK' if ok else 'FAIL'}")
    return AuthResult(success=ok, handled=False)


context = None
if args.cert:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)

kwargs = {"auth_require_tls": args.auth_require_tls}
if args.auth_user is not None:
    kwargs["authenticator"] = authenticator
    kwargs["auth_required"] = True
if args.auth_only_login:
    kwargs["auth_exclude_mechanism"] = ["PLAIN"]
if args.starttls:
    kwargs["tls_context"] = context
    kwargs["require_starttls"] = args.require_starttls

controller = Controller(
    Handler(),
    hostname="127.0.0.1",
    port=args.port,
    ssl_context=context if args.implicit_tls else None,
    server_hostname="sink.localhost",
    **kwargs,
)
controller.start()
write_atomic(os.path.join(args.out, "ready"), b"ok")

stop = threading.Event()
# The parent may have spawned us with signals blocked; unblock the ones we stop on.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())


def watch_stdin():
    # The test keeps our stdin open; EOF means it is done (or died): stop, never linger.
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        stop.set()


threading.Thread(target=watch_stdin, daemon=True).start()
while not stop.wait(0.2):
    pass
controller.stop()
