"""A real IMAP server for the tests: Debian's dovecot, configured in a temporary directory.

``make test`` installs ``dovecot-imapd`` (as it installs Chromium). The server listens on a
free loopback port with one mailbox, signs in with a plain password (no TLS on loopback),
and is stopped after the tests that use it. Without dovecot the tests skip; with
``CI=true`` they fail.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
USERNAME = "college"
PASSWORD = "inbox-secret"


def dovecot_binary() -> str | None:
    for candidate in (shutil.which("dovecot"), "/usr/sbin/dovecot"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accounts() -> tuple[str, str, int]:
    """Who dovecot runs as: its own users under root, else the user running the tests."""
    if os.geteuid() == 0:
        try:
            internal = pwd.getpwnam("dovecot")
            pwd.getpwnam("dovenull")
        except KeyError:
            pass
        else:
            return "dovecot", "dovenull", internal.pw_uid
    me = pwd.getpwuid(os.geteuid()).pw_name
    return me, me, os.geteuid()


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = {uid}
last_valid_uid = {uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={uid_group}
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int
    username: str
    password: str

    def connect(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4(self.host, self.port, timeout=10)
        connection.login(self.username, self.password)
        return connection

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put one message in a folder, as the mail server would on arrival."""
        connection = self.connect()
        try:
            status, _data = connection.append(folder, None, None, raw)
            assert status == "OK"
        finally:
            connection.logout()

    def count(self, folder: str) -> int:
        connection = self.connect()
        try:
            status, data = connection.select(f'"{folder}"', readonly=True)
            return int(data[0]) if status == "OK" else 0
        finally:
            connection.logout()


def _wait_for(port: int, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("dovecot did not start: " + (log.read_text() if log.exists() else ""))


@contextmanager
def running_dovecot() -> Iterator[ImapServer]:
    """Start dovecot in a new directory (readable by its own users, unlike pytest's)."""
    binary = dovecot_binary()
    if binary is None:
        message = "dovecot is not installed (make test installs dovecot-imapd)"
        if IN_CI:
            pytest.fail(f"The IMAP tests need dovecot in CI: {message}")
        pytest.skip(message)
    internal, login, uid = _accounts()
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="college-imap-"))
    for folder in ("run", "state", "mail"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    os.chown(root / "mail", uid, pwd.getpwuid(uid).pw_gid)
    root.chmod(0o755)
    (root / "passwd").write_text(f"{USERNAME}:{{PLAIN}}{PASSWORD}\n")
    config = root / "dovecot.conf"
    config.write_text(
        CONFIG.format(
            root=root,
            internal=internal,
            login=login,
            uid=uid,
            uid_group=pwd.getpwuid(uid).pw_gid,
            port=port,
        )
    )
    subprocess.run([binary, "-c", str(config)], check=True, timeout=30)
    try:
        _wait_for(port, root / "dovecot.log")
        yield ImapServer("127.0.0.1", port, USERNAME, PASSWORD)
    finally:
        pid_file = root / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().strip())
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
        shutil.rmtree(root, ignore_errors=True)
