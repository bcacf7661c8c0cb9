"""The mail outbox: messages are queued with the change that causes them, sent by a worker.

A service that must email adds an ``OutboxMessage`` to the session with ``enqueue`` (the
text) or, usually, ``enqueue_described`` (the name of a renderer and a small JSON payload),
so a message exists exactly when its cause was committed: it is written by the same unit of
work as the change, which batches the INSERTs. The worker (``delivery.deliver_due``, run by
``flask college deliver-mail``) claims each message with a conditional update (safe with
several workers on PostgreSQL and SQLite alike), renders it when it was queued by
description, sends it, and records the outcome.

A renderer that raises counts as a failed attempt (retried with the usual backoff, shown
to admins, given up after the last attempt); the bodies are stored once written, so a retry
after a failed send sends the same text. A renderer that raises ``Undeliverable`` (nobody
left to write to) gives up at once. One that raises ``NoLongerNeeded`` (what the message was
about has passed, e.g. a cover offer a colleague took first) cancels it: nothing is sent,
and it is no failure either, so admins are not asked to look at it. Domain packages register
their renderers with ``register_renderer``; the core never imports them.

What a renderer may read at render time, and what must be frozen in the payload, is the
renderer's decision and is argued in its module (see ``courses.invites`` and
``courses.enrolment.notices``). The recipient and the calendar METHOD are frozen here.

Modules: ``queueing`` (queue and render messages, renderers and mail preparers), ``mime``
(build the email), ``transports`` (files or SMTP), ``delivery`` (the worker, failures and
retries), ``summaries`` (what admins are shown).
"""
