"""The statusline helper in real Neovims (0.7.2 and 0.11.4): the trace from golens/traceStatus,
then the pprof profiles in force and the baseline from golens/profileStatus, through the handlers
plugin/golens.lua installs. The client is a stand-in: only its id matters to the helper."""

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

SCRIPT = r"""
local golens = require('golens')
golens.client = function() return { id = 7 } end
local ctx = { client_id = 7 }
local trace = vim.lsp.handlers['golens/traceStatus']
local profiles = vim.lsp.handlers['golens/profileStatus']
local lines = {}
local function shot() lines[#lines + 1] = golens.statusline() end
shot()
profiles(nil, { loaded = true, leaks = 20, profiles = {
  { path = '/ws/profiles/leaks.pb.gz', kind = 'goroutineleak', findings = 2 },
  { path = '/ws/profiles/contention.pprof', kind = 'mutex', findings = 1 } } }, ctx)
shot()
trace(nil, { loaded = true, path = '/ws/go1.27.trace', goroutines = 34, leaks = 15 }, ctx)
profiles(nil, { loaded = true, leaks = 0, baseline = '/ws/before.pb.gz', profiles = {
  { path = '/ws/block.pprof', kind = 'block', findings = 0 } } }, ctx)
shot()
profiles(nil, { loaded = false, leaks = 0, profiles = {} }, ctx)
shot()
-- Another client's profiles are not this buffer's.
profiles(nil, { loaded = true, profiles = { { path = '/x.pprof', kind = 'mutex' } } }, { client_id = 8 })
shot()
local f = io.open(os.getenv('T_OUT'), 'w')
f:write(vim.fn.json_encode(lines))
f:close()
vim.cmd('qa!')
"""


@pytest.mark.parametrize("version", ["NVIM_07", "NVIM_011"])
def test_statusline_shows_trace_profiles_and_baseline(neovims, version, tmp_path):
    script = tmp_path / "t.lua"
    script.write_text(SCRIPT)
    out = tmp_path / "out.json"
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_STATE_HOME=str(tmp_path / "state"), XDG_DATA_HOME=str(tmp_path / "data"), T_OUT=str(out))
    proc = subprocess.run([neovims[version], "--headless", "-u", "NONE", "-i", "NONE",
                           "--cmd", f"set rtp^={REPO / 'editors' / 'neovim'}", "--cmd", "runtime plugin/golens.lua",
                           "-c", f"luafile {script}"], env=env, capture_output=True, text=True, timeout=120)
    assert out.exists(), proc.stderr
    assert json.loads(out.read_text()) == [
        "golens: no trace",
        "golens: no trace · 2 profiles (goroutineleak, mutex)",
        "golens: go1.27.trace · 34 goroutines · 15 leaked · 1 profile (block) · vs before.pb.gz",
        "golens: go1.27.trace · 34 goroutines · 15 leaked",
        "golens: go1.27.trace · 34 goroutines · 15 leaked",
    ]
