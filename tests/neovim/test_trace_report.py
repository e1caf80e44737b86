""":GolensTraceReport in real Neovims (0.7.2 without vim.ui.open, 0.11.4 with it): the report is
written, its path printed, and the system opener (a stand-in xdg-open here) is handed that path."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

SCRIPT = r"""
local out, trace, root = os.getenv('T_OUT'), os.getenv('T_TRACE'), os.getenv('T_ROOT')
local opened = os.getenv('T_OPENED')
local result = {}
vim.cmd('edit ' .. root .. '/main.go')
-- Without an argument and before any server said which trace it loaded: a clear error.
-- (0.7 raises the error notification as a Vim error: caught, it is still in :messages.)
local _, err = pcall(vim.cmd, 'GolensTraceReport')
result.without_messages = vim.fn.execute('messages') .. tostring(err)
vim.cmd('messages clear')
-- The server's notification is remembered per client.
vim.lsp.handlers['golens/traceStatus'](nil, { loaded = true, path = trace }, { client_id = 7 })
result.remembered = require('golens.report').loaded[7]
vim.lsp.handlers['golens/traceStatus'](nil, { loaded = false }, { client_id = 7 })
result.forgotten = require('golens.report').loaded[7] == nil
vim.cmd('GolensTraceReport ' .. trace)
result.done = vim.wait(120000, function() return vim.loop.fs_stat(opened) ~= nil end, 100)
vim.wait(200)
result.messages = vim.fn.execute('messages')
result.output = require('golens.report').output_path()
local f = io.open(out, 'w')
f:write(vim.fn.json_encode(result))
f:close()
vim.cmd('qa!')
"""


@pytest.mark.parametrize("version", ["NVIM_07", "NVIM_011"])
def test_trace_report_is_written_and_opened(neovims, version, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    opened = tmp_path / "opened.txt"
    opener = bin_dir / "xdg-open"
    opener.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {opened}.tmp && mv {opened}.tmp {opened}\n')
    opener.chmod(0o755)
    script = tmp_path / "t.lua"
    script.write_text(SCRIPT)
    out = tmp_path / "out.json"
    root = REPO / "traces" / "handler_leak"
    env = dict(os.environ,
               PATH=os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), os.environ["PATH"]]),
               XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_STATE_HOME=str(tmp_path / "state"), XDG_DATA_HOME=str(tmp_path / "data"),
               T_OUT=str(out), T_TRACE=str(root / "go1.27.trace"), T_ROOT=str(root), T_OPENED=str(opened))
    proc = subprocess.run([neovims[version], "--headless", "-u", "NONE", "-i", "NONE",
                           "--cmd", f"set rtp^={REPO / 'editors' / 'neovim'}", "--cmd", "runtime plugin/golens.lua",
                           "-c", f"luafile {script}"], env=env, capture_output=True, text=True, timeout=180)
    assert out.exists(), proc.stderr
    result = json.loads(out.read_text())
    assert "no trace is loaded" in result["without_messages"]
    assert result["remembered"] == str(root / "go1.27.trace") and result["forgotten"]
    assert result["done"], result["messages"]
    report = Path(result["output"])
    assert opened.read_text() == str(report)
    assert f"golens: trace report written to {report}" in result["messages"]
    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '"trace":"' in html and "go1.27.trace" in html
    assert str(report).startswith(str(tmp_path / "cache"))
