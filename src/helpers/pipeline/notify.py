"""Telling people how a run went: email (SMTP), a webhook (Slack or Microsoft Teams), or a notifier
of your own.

Settings come from the ``notify:`` section of ``params.yaml``; environment variables override
them and are the only place for secrets (the SMTP password, the webhook URL, which carries its
own token). No stage lists ``notify`` among its DVC params, so changing it re-runs nothing.

=================================  ==================================================
environment variable               setting
=================================  ==================================================
``NOTIFY_ON``                      ``notify.on``: failure | always | never
``NOTIFY_SMTP_HOST``               ``notify.email.host``
``NOTIFY_SMTP_PORT``               ``notify.email.port``
``NOTIFY_SMTP_SECURITY``           ``notify.email.security``: starttls | ssl | none
``NOTIFY_SMTP_USER``               ``notify.email.username``
``NOTIFY_SMTP_PASSWORD``           the SMTP password (environment only)
``NOTIFY_EMAIL_FROM``              ``notify.email.from``
``NOTIFY_EMAIL_TO``                ``notify.email.to`` (comma-separated)
``NOTIFY_WEBHOOK_URL``             the webhook URL (environment only)
``NOTIFY_WEBHOOK_STYLE``           ``notify.webhook.style``: slack | teams | messagecard
``NOTIFY_NOTIFIERS``               ``notify.notifiers``: ``module:Class`` (comma-separated)
=================================  ==================================================

A notifier is any class taking its settings (a dict) and offering ``send(message)``; one that
fails (a server down, a refused login) is logged as a warning and never changes the run's exit
code: the run's outcome is what it is, whether or not anyone could be told.
"""

from __future__ import annotations

import html
import importlib
import json
import logging
import os
import smtplib
import ssl
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage

log = logging.getLogger(__name__)

TIMEOUT = 20  # seconds: a scheduled run must not hang on a mail server
ON_CHOICES = ("failure", "always", "never")


@dataclass
class Message:
    """What every notifier sends: built from the run summary."""

    subject: str
    text: str       # the summary as people read it (first problem and log location included)
    summary: dict   # the summary itself, for notifiers that want fields

    @property
    def failed(self) -> bool:
        return self.summary.get("status") == "failed" or self.summary.get("exit_code", 0) != 0

    @classmethod
    def from_summary(cls, summary: dict, text: str, project: str) -> Message:
        state = {"published": "published a new edition", "up to date": "nothing had changed",
                 "failed": "FAILED", "locked": "could not start (locked)"}.get(summary.get("status"), "finished")
        subject = f"[{project}] refresh {state} (exit {summary.get('exit_code')})"
        return cls(subject, text, summary)


# --- settings ----------------------------------------------------------------------------------

def settings(params: dict, env: dict | None = None) -> dict:
    """The ``notify`` section with the environment's overrides applied."""
    env = os.environ if env is None else env
    section = dict(params.get("notify") or {})
    email = dict(section.get("email") or {})
    webhook = dict(section.get("webhook") or {})
    overrides = [(section, "on", "NOTIFY_ON"), (email, "host", "NOTIFY_SMTP_HOST"),
                 (email, "port", "NOTIFY_SMTP_PORT"), (email, "security", "NOTIFY_SMTP_SECURITY"),
                 (email, "username", "NOTIFY_SMTP_USER"), (email, "password", "NOTIFY_SMTP_PASSWORD"),
                 (email, "from", "NOTIFY_EMAIL_FROM"), (email, "to", "NOTIFY_EMAIL_TO"),
                 (webhook, "url", "NOTIFY_WEBHOOK_URL"), (webhook, "style", "NOTIFY_WEBHOOK_STYLE"),
                 (section, "notifiers", "NOTIFY_NOTIFIERS")]
    for target, key, name in overrides:
        if env.get(name):
            target[key] = env[name]
    for target, key in ((email, "to"), (section, "notifiers")):
        if isinstance(target.get(key), str):
            target[key] = [s.strip() for s in target[key].split(",") if s.strip()]
    section["on"] = str(section.get("on") or "failure").lower()
    if section["on"] not in ON_CHOICES:
        raise ValueError(f"notify.on (or NOTIFY_ON) is {section['on']!r}; expected one of {', '.join(ON_CHOICES)}")
    section["email"], section["webhook"] = email, webhook
    return section


def wanted(config: dict, failed: bool) -> bool:
    return config["on"] == "always" or (config["on"] == "failure" and failed)


# --- notifiers ---------------------------------------------------------------------------------

class EmailNotifier:
    """Plain-text email through an SMTP server: STARTTLS (port 587), SSL (465) or none (25, relays)."""

    name = "email"

    def __init__(self, settings: dict):
        self.host = settings["host"]
        self.security = str(settings.get("security") or "starttls").lower()
        default_port = {"ssl": 465, "starttls": 587}.get(self.security, 25)
        self.port = int(settings.get("port") or default_port)
        self.username, self.password = settings.get("username"), settings.get("password")
        self.sender = settings.get("from") or f"nhs-analytics@{self.host}"
        self.to = list(settings["to"])

    def send(self, message: Message) -> None:
        email = EmailMessage()
        email["Subject"], email["From"], email["To"] = message.subject, self.sender, ", ".join(self.to)
        email.set_content(message.text)
        context = ssl.create_default_context()
        if self.security == "ssl":
            server = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT, context=context)
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
        with server:
            if self.security == "starttls":
                server.starttls(context=context)
            if self.username:
                server.login(self.username, self.password or "")
            server.send_message(email)


def slack_payload(message: Message) -> dict:
    return {"text": f"*{message.subject}*\n```\n{message.text}\n```"}


def teams_payload(message: Message) -> dict:
    """An Adaptive Card, as Teams' Workflows ("Post to a channel when a webhook request is received") expect."""
    card = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": "1.4", "body": [
                {"type": "TextBlock", "text": message.subject, "weight": "Bolder", "size": "Medium", "wrap": True,
                 "color": "Attention" if message.failed else "Good"},
                {"type": "TextBlock", "text": message.text, "wrap": True, "fontType": "Monospace"}]}
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


def messagecard_payload(message: Message) -> dict:
    """A MessageCard, for Teams' older Office 365 connector webhooks."""
    return {"@type": "MessageCard", "@context": "https://schema.org/extensions", "summary": message.subject,
            "themeColor": "D5281B" if message.failed else "007F3B", "title": message.subject,
            "text": "<pre>" + html.escape(message.text, quote=False) + "</pre>"}


PAYLOADS = {"slack": slack_payload, "teams": teams_payload, "messagecard": messagecard_payload}


class WebhookNotifier:
    """JSON posted to an incoming-webhook URL, shaped for Slack (``{"text": ...}``) or Teams."""

    name = "webhook"

    def __init__(self, settings: dict):
        self.url = settings["url"]
        self.style = str(settings.get("style") or "slack").lower()
        if self.style not in PAYLOADS:
            raise ValueError(f"notify.webhook.style is {self.style!r}; expected one of {', '.join(PAYLOADS)}")

    def send(self, message: Message) -> None:
        body = json.dumps(PAYLOADS[self.style](message)).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # raises on 4xx/5xx
            response.read()


def load_class(path: str):
    """``package.module:Class`` -> the class."""
    module, _, name = path.partition(":")
    if not module or not name:
        raise ValueError(f"notifier {path!r}: expected 'package.module:Class'")
    return getattr(importlib.import_module(module), name)


def notifiers(config: dict) -> list:
    """The notifiers the settings switch on: email when a host and recipients are set, the webhook
    when a URL is, and each ``notifiers`` entry (``'module:Class'`` or ``{class: ..., ...settings}``)."""
    out = []
    email, webhook = config.get("email") or {}, config.get("webhook") or {}
    if email.get("host") and email.get("to"):
        out.append(EmailNotifier(email))
    if webhook.get("url"):
        out.append(WebhookNotifier(webhook))
    for entry in config.get("notifiers") or []:
        spec = {"class": entry} if isinstance(entry, str) else dict(entry)
        out.append(load_class(spec.pop("class"))(spec))
    return out


def send(message: Message, config: dict) -> list[str]:
    """Send ``message`` through every configured notifier; returns the names of those that failed.

    Never raises: a notifier that cannot be built or cannot deliver is logged as a warning.
    """
    try:
        chosen = notifiers(config)
    except Exception as exc:  # a bad plug-in path or setting: say so, the run's result stands
        log.warning("WARNING: notifications not sent: %s", exc)
        return ["settings"]
    failed = []
    for notifier in chosen:
        name = getattr(notifier, "name", type(notifier).__name__)
        try:
            notifier.send(message)
            log.info("Notification sent by %s", name)
        except Exception as exc:
            log.warning("WARNING: notification by %s failed (%s: %s); the run's exit code is unchanged",
                        name, type(exc).__name__, exc)
            failed.append(name)
    return failed
