-- Runs the README's plugin-free snippet for Neovim 0.7-0.10 (GOLENS_SNIPPET, a Lua file
-- extracted by test_neovim_e2e.py) and checks that it starts golens with its settings and root.
-- Same output conventions and exit codes as e2e.lua.
local failures, checks = 0, 0
local function say(...)
  local parts = {}
  for _, v in ipairs({ ... }) do
    parts[#parts + 1] = type(v) == 'string' and v or vim.inspect(v, { newline = ' ', indent = '' })
  end
  io.stdout:write(table.concat(parts, ' ') .. '\n')
end
local function check(ok, what, detail)
  checks = checks + 1
  say(ok and 'ok  ' or 'FAIL', what, detail ~= nil and vim.inspect(detail, { newline = ' ', indent = '' }) or '')
  if not ok then failures = failures + 1 end
end
local function clients()
  local all = vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
  return vim.tbl_filter(function(c) return c.name == 'golens' end, all)
end

local function main()
  local v = vim.version()
  say(string.format('nvim %d.%d.%d', v.major, v.minor, v.patch), 'setup snippet')
  local workspace = assert(vim.env.GOLENS_WORKSPACE, 'GOLENS_WORKSPACE')
  vim.cmd('filetype on')
  dofile((assert(vim.env.GOLENS_SNIPPET, 'GOLENS_SNIPPET')))

  vim.cmd('edit ' .. vim.fn.fnameescape(workspace .. '/fixture/main.go'))
  local bufnr = vim.api.nvim_get_current_buf()
  local ok = vim.wait(15000, function()
    return #vim.tbl_filter(function(d) return d.source == 'golens' end, vim.diagnostic.get(bufnr)) > 0
  end, 20)
  local d = vim.diagnostic.get(bufnr)[1]
  check(ok and d.lnum == 8 and d.col == 20 and d.end_col == 21 and d.code == 'GL201',
    'snippet: GL201 at line 9, byte col 20', d and { d.lnum, d.col, d.end_col, d.code })
  check(d ~= nil and d.severity == vim.diagnostic.severity.ERROR, 'snippet: settings reached the server',
    d and d.severity)
  local c = clients()[1]
  check(c ~= nil and c.config.root_dir == workspace, 'snippet: root_dir is the go.mod directory',
    c and c.config.root_dir)

  -- A second Go file of the same project shares the client.
  vim.cmd('edit ' .. vim.fn.fnameescape(workspace .. '/handler_leak/main.go'))
  local second = vim.api.nvim_get_current_buf()
  ok = vim.wait(15000, function() return c ~= nil and vim.lsp.buf_is_attached(second, c.id) end, 20)
  check(ok and #clients() == 1, 'snippet: one client for both files of the project', #clients())
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  say('ERROR', err)
  say(string.format('DONE %d %d', checks, failures + 1))
  vim.cmd('cquit 2')
end
say(string.format('DONE %d %d', checks, failures))
for _, c in ipairs(clients()) do vim.lsp.stop_client(c.id) end
vim.wait(3000, function() return #clients() == 0 end, 20)
vim.cmd(failures == 0 and 'qall!' or 'cquit 1')
