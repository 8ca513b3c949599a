#!/usr/bin/env python3
"""A real SMTP client (Python's smtplib) for CareMail's SMTP receiver tests.

Usage: smtp_client.py '<json>'   with   {"port": 2525, "steps": [step, ...]}
Prints one JSON line: {"greeting": {"code", "message"}, "results": [result, ...]} with one result per step, or
{"error": "..."} (exit 1) when the script itself cannot run. A step that raises gives
{"exception": ClassName, "code": smtp_code, "message": text} and the next steps still run.

Steps ("msg" values are base64 of the message bytes):
  {"op": "ehlo"}                                  -> {"code", "message", "features"}
  {"op": "starttls"}                              -> {"code", "message"} (certificate not verified)
  {"op": "sendmail", "from", "to": [...], "msg", "options": [...]}
                                                  -> {"refused": {addr: [code, message]}}
  {"op": "mail", "from", "options": [...]}        -> {"code", "message"}
  {"op": "rcpt", "to"}                            -> {"code", "message"}
  {"op": "data", "msg"}                           -> {"code", "message"}
  {"op": "cmd", "line"}                           -> {"code", "message"}   (smtplib docmd)
  {"op": "rset"} / {"op": "noop"} / {"op": "quit"}-> {"code", "message"}
  {"op": "raw", "send": base64, "replies": n}     -> {"replies": [[code, message], ...], "closed": bool}
      writes the bytes in ONE write (pipelining) and reads n replies from the socket.
"""
import base64
import json
import smtplib
import ssl
import sys


def reply(pair):
    code, message = pair
    return {"code": code, "message": message.decode("utf-8", "replace")}


def read_reply(smtp):
    """One (possibly multi-line) reply straight from smtplib's socket file."""
    lines = []
    while True:
        line = smtp.file.readline(8192)
        if not line:
            return None
        lines.append(line.rstrip(b"\r\n"))
        if len(line) < 4 or line[3:4] != b"-":
            break
    code = int(lines[-1][:3])
    return [code, "\n".join(l[4:].decode("utf-8", "replace") for l in lines)]


def run(step, smtp):
    op = step["op"]
    if op == "ehlo":
        result = reply(smtp.ehlo("client.example"))
        result["features"] = {k: v for k, v in smtp.esmtp_features.items()}
        return result
    if op == "starttls":
        return reply(smtp.starttls(context=ssl._create_unverified_context()))
    if op == "sendmail":
        refused = smtp.sendmail(step["from"], step["to"], base64.b64decode(step["msg"]),
                                mail_options=step.get("options", []))
        return {"refused": {k: [v[0], v[1].decode("utf-8", "replace")] for k, v in refused.items()}}
    if op == "mail":
        return reply(smtp.mail(step["from"], step.get("options", [])))
    if op == "rcpt":
        return reply(smtp.rcpt(step["to"]))
    if op == "data":
        return reply(smtp.data(base64.b64decode(step["msg"])))
    if op == "cmd":
        return reply(smtp.docmd(step["line"]))
    if op in ("rset", "noop", "quit"):
        return reply(getattr(smtp, op)())
    if op == "raw":
        if smtp.file is None:
            smtp.file = smtp.sock.makefile("rb")
        smtp.sock.sendall(base64.b64decode(step["send"]))
        replies = []
        for _ in range(step["replies"]):
            r = read_reply(smtp)
            if r is None:
                return {"replies": replies, "closed": True}
            replies.append(r)
        return {"replies": replies, "closed": False}
    raise ValueError("unknown op " + op)


def main():
    spec = json.loads(sys.argv[1])
    smtp = smtplib.SMTP(local_hostname="client.example", timeout=30)
    smtp._host = "localhost"  # the TLS server name; normally set by SMTP(host)
    greeting = reply(smtp.connect("127.0.0.1", spec["port"]))
    results = []
    for step in spec["steps"]:
        try:
            results.append(run(step, smtp))
        except smtplib.SMTPResponseException as e:
            msg = e.smtp_error.decode("utf-8", "replace") if isinstance(e.smtp_error, bytes) else str(e.smtp_error)
            results.append({"exception": type(e).__name__, "code": e.smtp_code, "message": msg})
        except smtplib.SMTPRecipientsRefused as e:
            results.append({"exception": type(e).__name__,
                            "refused": {k: [v[0], v[1].decode("utf-8", "replace")] for k, v in e.recipients.items()}})
        except Exception as e:  # noqa: BLE001 - reported to the test
            results.append({"exception": type(e).__name__, "message": str(e)})
    try:
        smtp.close()
    except Exception:  # noqa: BLE001
        pass
    print(json.dumps({"greeting": greeting, "results": results}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
        sys.exit(1)
