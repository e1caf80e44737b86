"""A failing workspace command answers None and is reported under the command's name."""

import asyncio
import inspect

from golens.lsp.guard import guarded_command


class RecordingServer:
    def __init__(self) -> None:
        self.reported: list[tuple[str, str]] = []

    def report_handler_error(self, handler: str, details: str) -> None:
        self.reported.append((handler, details))


def test_sync_command_failure_is_reported_and_answered_with_none() -> None:
    @guarded_command("golens.showTraceSummary")
    def summary(ls: object, *args: object) -> str:
        raise ValueError(f"bad argument {args!r}")

    server = RecordingServer()
    assert summary(server, "x") is None
    [(name, details)] = server.reported
    assert name == "golens.showTraceSummary"
    assert "ValueError: bad argument ('x',)" in details


def test_async_command_keeps_its_result_its_signature_and_reports_failures() -> None:
    @guarded_command("golens.loadTrace")
    async def load(ls: object, *args: object) -> dict[str, object]:
        if not args:
            raise FileNotFoundError("no trace")
        return {"path": args[0]}

    # pygls maps executeCommand arguments onto the handler's signature and awaits coroutines.
    assert inspect.iscoroutinefunction(load)
    assert list(inspect.signature(load).parameters) == ["ls", "args"]
    server = RecordingServer()
    assert asyncio.run(load(server, "t.out")) == {"path": "t.out"}
    assert server.reported == []
    assert asyncio.run(load(server)) is None
    assert [name for name, _ in server.reported] == ["golens.loadTrace"]
    assert "FileNotFoundError: no trace" in server.reported[0][1]
