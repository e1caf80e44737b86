"""`-o FILE` of every golens command (cli.files.write_report): atomic, never through a link."""

import os

import pytest

from golens.cli.files import write_report


def test_a_report_replaces_the_old_one_whole(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("old report\n")
    assert write_report(target, lambda out: out.write("new report é\n")) is None
    assert target.read_text(encoding="utf-8") == "new report é\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_a_failure_half_way_keeps_the_old_report(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("old report\n")

    def write(out):
        out.write("the first half" * 1000)
        raise OSError(28, "No space left on device")

    message = write_report(target, write)
    assert message is not None and message.endswith("No space left on device")
    assert target.read_text() == "old report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


@pytest.mark.parametrize("dangling", [False, True])
def test_a_link_is_not_written_through(tmp_path, dangling):
    elsewhere = tmp_path / "bashrc"
    if not dangling:
        elsewhere.write_text("alias ls='ls -F'\n")
    link = tmp_path / "report.txt"
    link.symlink_to(elsewhere)
    message = write_report(link, lambda out: out.write("findings\n"))
    assert message is not None and "symbolic link" in message
    assert link.is_symlink() and os.readlink(link) == str(elsewhere)
    assert (elsewhere.read_text() == "alias ls='ls -F'\n") if not dangling else not elsewhere.exists()
