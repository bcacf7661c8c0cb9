"""What a newcomer sees when the college starts: a quiet demo and a short welcome."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from college.demo import DEMO_LOGINS, DEMO_PASSWORD
from college.models import Role


def test_the_demo_is_built_without_the_services_log(runner, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)
    result = runner.invoke(args=["college", "demo"])
    assert result.exit_code == 0, result.output
    chatter = [record.name for record in caplog.records if record.levelno < logging.WARNING]
    assert chatter == []
    assert logging.getLogger().level == logging.INFO  # the log is as loud as before after it


def test_the_first_mail_round_after_the_demo_says_totals_not_a_line_a_message(
    runner, caplog: pytest.LogCaptureFixture
):
    assert runner.invoke(args=["college", "demo"]).exit_code == 0
    caplog.set_level(logging.INFO)
    result = runner.invoke(args=["college", "deliver-mail", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent " in result.output
    chatter = [record.getMessage() for record in caplog.records if record.levelno < logging.WARNING]
    assert chatter == []


def test_the_demo_can_show_the_services_log(runner, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)
    result = runner.invoke(args=["college", "demo", "--verbose"])
    assert result.exit_code == 0, result.output
    assert any(record.name.startswith("courses.") for record in caplog.records)


def test_welcome_names_the_address_the_mail_folder_and_the_demo_logins(runner, app: Flask):
    runner.invoke(args=["college", "demo"])
    result = runner.invoke(args=["college", "welcome", "--url", "http://127.0.0.1:5000"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5000" in result.output
    assert f"{app.config['MAIL_FILE_DIR']}/ as .eml files" in result.output
    assert f"password {DEMO_PASSWORD}" in result.output
    for role, (email, _name) in DEMO_LOGINS.items():
        assert email in result.output, role
    assert "administrator         admin@" in result.output


def test_welcome_offers_no_demo_logins_where_there_are_none(runner, app: Flask, monkeypatch):
    result = runner.invoke(args=["college", "welcome"])
    assert "Demo logins" not in result.output
    runner.invoke(args=["college", "demo"])
    monkeypatch.setitem(app.config, "ALLOW_DEMO_LOGINS", False)
    result = runner.invoke(args=["college", "welcome"])
    assert "Demo logins" not in result.output
    assert DEMO_LOGINS[Role.ADMIN][0] not in result.output


def test_welcome_names_the_mail_server_when_mail_is_sent(runner, app: Flask, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "mail.example.org")
    monkeypatch.setitem(app.config, "MAIL_PORT", 587)
    result = runner.invoke(args=["college", "welcome"])
    assert "Mail is sent through mail.example.org:587." in result.output
