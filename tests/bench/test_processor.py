"""The benchmark's processor figures, read from Linux's /proc/stat around a round.

Fed with made-up readings, so they run in a blink and on any system.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import enrolment
from bench.enrolment import MIN_TICKS, Ticks, processor_line, processor_ticks, processor_use

# user nice system idle iowait irq softirq steal guest guest_nice
STAT = "cpu  {user} 10 {system} {idle} 20 0 5 0 {guest} 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n"


def write_stat(path: Path, *, user: int, system: int, idle: int, guest: int = 0) -> None:
    path.write_text(STAT.format(user=user, system=system, idle=idle, guest=guest))


@pytest.fixture
def proc_stat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "stat"
    monkeypatch.setattr(enrolment, "PROC_STAT", path)
    return path


def test_ticks_are_read_from_the_machines_line(proc_stat: Path):
    write_stat(proc_stat, user=1000, system=300, idle=5000, guest=700)
    # Busy: user, nice, system, softirq; idle and I/O wait are not; guest is inside user.
    assert processor_ticks() == Ticks(busy=1000 + 10 + 300 + 5, total=1315 + 5000 + 20)


def test_a_round_shorter_than_a_tick_is_reported_unmeasured(proc_stat: Path):
    write_stat(proc_stat, user=1000, system=300, idle=5000)
    before = processor_ticks()
    after = processor_ticks()  # the same reading: the round ended within one tick
    assert before == after
    used = processor_use(before, after, enrolments=16)
    assert used == {"cpu_ms": None, "busy": None}
    line = processor_line({"median_cpu_ms": None, "rounds": [used]})
    assert "not measured" in line and f"{MIN_TICKS} ticks" in line


def test_a_few_ticks_are_not_taken_for_a_busy_share():
    before = Ticks(busy=1000, total=5000)
    # One tick later, all of it busy: a share of 100% that says nothing about the round.
    assert processor_use(before, Ticks(1001, 5001), 16) == {"cpu_ms": None, "busy": None}
    assert processor_use(before, Ticks(1000, 5000 + MIN_TICKS - 1), 16)["busy"] is None


def test_a_long_enough_round_gives_its_cost_and_busy_share(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(enrolment.os, "sysconf", lambda name: 100)
    used = processor_use(Ticks(1000, 5000), Ticks(1150, 5200), enrolments=50)
    assert used["busy"] == pytest.approx(0.75)
    assert used["cpu_ms"] == pytest.approx(1000 * 1.5 / 50)  # 150 ticks of 10 ms, 50 sign-ups


def test_the_report_says_which_rounds_were_too_short(proc_stat: Path):
    write_stat(proc_stat, user=1, system=1, idle=1)
    rounds = [{"cpu_ms": 8.0, "busy": 0.9}, {"cpu_ms": None, "busy": None}]
    line = processor_line({"median_cpu_ms": 8.0, "rounds": rounds})
    assert "8.00 ms" in line and "busy 90%" in line and "1 round(s) too short" in line


def test_without_proc_stat_the_report_says_so(proc_stat: Path):
    assert processor_ticks() is None  # the file was never written
    line = processor_line({"median_cpu_ms": None, "rounds": [{"cpu_ms": None, "busy": None}]})
    assert "no /proc/stat" in line
