-- :checkhealth golens — is the server there, which version, is a client attached, what does the
-- trace say, and can the trace be watched. Works with the health API of 0.7 (require('health'))
-- and of 0.10+ (vim.health).
local M = {}

local function api()
  local h = vim.health
  if h and h.start then
    return h.start, h.ok, h.warn, h.error, h.info
  end
  h = require('health')
  return h.report_start, h.report_ok, h.report_warn, h.report_error, h.report_info
end

--- The command that prints the server's version: its `serve` replaced by `--version`.
local function version_command(cmd)
  local out = {}
  for _, part in ipairs(cmd) do
    if part ~= 'serve' then
      out[#out + 1] = part
    end
  end
  out[#out + 1] = '--version'
  return out
end

--- Runs `cmd` the way the client starts the server (its cwd and environment), never in the
--- project directory; returns its output, or nil and why not.
local function run(cmd, config)
  local output = {}
  local job = vim.fn.jobstart(cmd, {
    cwd = config.cmd_cwd,
    env = config.cmd_env,
    stdout_buffered = true,
    stderr_buffered = true,
    on_stdout = function(_, data) vim.list_extend(output, data) end,
    on_stderr = function(_, data) vim.list_extend(output, data) end,
  })
  if job <= 0 then
    return nil, 'could not start ' .. table.concat(cmd, ' ')
  end
  local codes = vim.fn.jobwait({ job }, 20000)
  if codes[1] ~= 0 then
    return nil, table.concat(cmd, ' ') .. ' exited with ' .. codes[1] .. ': ' .. table.concat(output, ' ')
  end
  return vim.trim(table.concat(output, '\n'))
end

function M.check()
  local start, ok, warn, error, info = api()
  local golens = require('golens')
  local config = golens.default_config()
  local clients = {}
  for _, c in ipairs(vim.lsp.get_clients and vim.lsp.get_clients({ name = golens.name }) or vim.lsp.get_active_clients()) do
    if c.name == golens.name then
      clients[#clients + 1] = c
    end
  end
  -- The running client's command, else the default one.
  local cmd = clients[1] and clients[1].config.cmd or config.cmd
  if type(cmd) ~= 'table' then
    cmd = config.cmd
  end

  start('golens: server')
  local exe = vim.fn.exepath(cmd[1])
  if exe == '' then
    error(cmd[1] .. ' is not executable or not on PATH', {
      'pip install golens (or pip install -e <path to golens> from a checkout)',
      "or set cmd, e.g. vim.lsp.config('golens', { cmd = { '/path/to/venv/bin/golens', 'serve' } })",
    })
  else
    ok('server command: ' .. table.concat(cmd, ' ') .. ' (' .. exe .. ')')
    local version, why = run(version_command(cmd), clients[1] and clients[1].config or config)
    if version and version:find('^golens') then
      ok(version)
    else
      error('the server did not report its version: ' .. (why or version or '?'))
    end
  end

  start('golens: client')
  local bufnr = vim.api.nvim_get_current_buf()
  if #clients == 0 then
    warn('no golens client is running (open a Go file)')
  else
    for _, c in ipairs(clients) do
      local attached = vim.lsp.buf_is_attached(bufnr, c.id) and ', attached to this buffer' or ''
      ok(string.format('client %d, root %s%s, position encoding %s', c.id, tostring(c.config.root_dir), attached,
        tostring(c.offset_encoding)))
    end
  end

  start('golens: trace')
  local line = golens.statusline()
  info(line ~= '' and line or 'no client, no trace')
  for _, c in ipairs(clients) do
    local status = golens.trace_status[c.id]
    if status and status.note then
      warn(status.note)
    end
    if status and status.error then
      warn(status.error)
    end
  end
  local caps = vim.lsp.protocol.make_client_capabilities()
  local watch = caps.workspace and caps.workspace.didChangeWatchedFiles
  if watch and watch.dynamicRegistration then
    ok('this Neovim watches files for the server (workspace/didChangeWatchedFiles)')
  else
    info('this Neovim does not watch files for servers (0.7, or 0.11 on Linux): golens polls the loaded '
      .. 'trace itself, so a rewritten trace is still reloaded')
  end
end

return M
