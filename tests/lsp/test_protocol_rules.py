"""The protocol to the letter, over the raw stdio stream: every request gets a response (an error
where the parameters are wrong), the initialize/shutdown/exit life cycle as the spec says, and no
per-notification memory kept by pygls."""

import asyncio
import json

import pytest
from test_bad_input import LOST_CANCEL, message, read_messages

from conftest import SERVER

INVALID_PARAMS = -32602
INVALID_REQUEST = -32600
NOT_INITIALIZED = -32002


class Raw:
    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.next_id = 100

    def notify(self, method: str, params: object = None) -> None:
        body: dict = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            body["params"] = params
        self.process.stdin.write(message(body))

    async def request(self, method: str, params: object = None, *, omit_params: bool = False) -> dict:
        self.next_id += 1
        body: dict = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if not omit_params:
            body["params"] = params
        self.process.stdin.write(message(body))
        wanted = self.next_id
        seen = await read_messages(self.process.stdout, lambda m: m.get("id") == wanted and "method" not in m)
        [answer] = [m for m in seen if m.get("id") == wanted and "method" not in m]
        return answer


@pytest.fixture
async def raw(workspace):
    process = await asyncio.create_subprocess_exec(
        *SERVER, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    try:
        yield Raw(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _initialize(raw: Raw, workspace) -> None:
    answer = await raw.request("initialize", {"capabilities": {}, "rootUri": workspace.as_uri()})
    assert "result" in answer, answer
    raw.notify("initialized", {})


async def test_requests_with_wrong_parameters_are_answered(raw, workspace):
    await _initialize(raw, workspace)
    uri = (workspace / "a.go").as_uri()
    raw.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "go", "version": 1,
                                                         "text": LOST_CANCEL}})
    document = {"uri": uri}
    bad = [
        ("textDocument/hover", None),
        ("textDocument/hover", []),
        ("textDocument/hover", {"textDocument": document, "position": {"line": -1, "character": 0}}),
        ("textDocument/hover", {"textDocument": document, "position": {"line": 2 ** 40, "character": 0}}),
        ("textDocument/codeAction", {"textDocument": document}),
        ("textDocument/codeAction", {"textDocument": document, "range": None, "context": {"diagnostics": []}}),
        ("textDocument/inlayHint", {"textDocument": document, "range": {"start": 3, "end": 4}}),
        ("textDocument/codeLens", {"textDocument": 7}),
        ("workspace/executeCommand", {"command": 5}),
    ]
    for method, params in bad:
        answer = await asyncio.wait_for(raw.request(method, params), 10)
        assert answer.get("error", {}).get("code") == INVALID_PARAMS, (method, params, answer)
    # The session is intact: a good request is answered with a result.
    good = await raw.request("textDocument/hover", {"textDocument": document,
                                                    "position": {"line": 8, "character": 2}})
    assert "result" in good, good


async def test_life_cycle(raw, workspace):
    early = await raw.request("textDocument/hover", {"textDocument": {"uri": "file:///x.go"},
                                                     "position": {"line": 0, "character": 0}})
    assert early["error"]["code"] == NOT_INITIALIZED
    await _initialize(raw, workspace)
    again = await raw.request("initialize", {"capabilities": {}, "rootUri": workspace.as_uri()})
    assert again["error"]["code"] == INVALID_REQUEST
    assert (await raw.request("shutdown", omit_params=True)).get("result", "missing") is None
    after = await raw.request("textDocument/hover", {"textDocument": {"uri": "file:///x.go"},
                                                     "position": {"line": 0, "character": 0}})
    assert after["error"]["code"] == INVALID_REQUEST
    assert (await raw.request("shutdown", omit_params=True))["error"]["code"] == INVALID_REQUEST
    raw.notify("exit")
    assert await asyncio.wait_for(raw.process.wait(), 10) == 0


async def test_exit_without_shutdown_exits_with_1(raw, workspace):
    await _initialize(raw, workspace)
    raw.notify("exit")
    assert await asyncio.wait_for(raw.process.wait(), 10) == 1


def test_notification_handlers_leave_no_futures_behind(tmp_path):
    """pygls 2.1 keeps the future of every async or generator notification handler forever."""
    from golens.lsp.server import create_server

    async def scenario() -> int:
        server = create_server()
        protocol = server.protocol
        protocol.handle_message(protocol.structure_message({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"capabilities": {}, "rootUri": tmp_path.as_uri()}}))
        uri = (tmp_path / "a.go").as_uri()
        raw_messages = [{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "go", "version": 1, "text": "package p\n"}}}]
        for version in range(2, 202):
            raw_messages.append({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {"start": {"line": 1, "character": 0},
                                              "end": {"line": 1, "character": 0}}, "text": "\n"}]}})
            raw_messages.append({"jsonrpc": "2.0", "method": "workspace/didChangeWatchedFiles",
                                 "params": {"changes": []}})
        raw_messages.append({"jsonrpc": "2.0", "method": "textDocument/didClose",
                             "params": {"textDocument": {"uri": uri}}})
        for raw_message in raw_messages:
            protocol.handle_message(protocol.structure_message(json.loads(json.dumps(raw_message))))
        for _ in range(20):
            await asyncio.sleep(0.01)
        return len(protocol._request_futures)

    assert asyncio.run(scenario()) == 0

