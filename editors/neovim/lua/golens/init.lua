-- golens for Neovim: client configuration shared by every Neovim version, a starter for the
-- versions without vim.lsp.config (0.7-0.10), and the golens commands that go through
-- workspace/executeCommand. Works on Neovim 0.7 and later; nothing here needs nvim-lspconfig.
local M = {}

M.name = 'golens'

M.commands = {
  load_trace = 'golens.loadTrace',
  clear_trace = 'golens.clearTrace',
  trace_summary = 'golens.showTraceSummary',
}

local has_011 = vim.fn.has('nvim-0.11') == 1
local uv = vim.uv or vim.loop

-- lsp/golens.lua (the 0.11 config) is the one place the defaults are written down; it is read
-- from this plugin's own directory so that another lsp/golens.lua on 'runtimepath' cannot
-- shadow it.
local here = debug.getinfo(1, 'S').source:sub(2)
local config_file = vim.fn.fnamemodify(here, ':p:h:h:h') .. '/lsp/golens.lua'

--- The defaults (cmd, filetypes, root_markers, settings), as a fresh table.
function M.default_config()
  local config = dofile(config_file)
  config.name = M.name
  return config
end

M.root_markers = M.default_config().root_markers

local function exists(path)
  return uv.fs_stat(path) ~= nil
end

local function parent(dir)
  local up = vim.fn.fnamemodify(dir, ':h')
  if up == dir then
    return nil
  end
  return up
end

--- The project root for a file or directory path, following M.root_markers (0.7 has no vim.fs).
function M.find_root(path)
  if path == nil or path == '' then
    return nil
  end
  local start = vim.fn.fnamemodify(path, ':p')
  if vim.fn.isdirectory(start) == 0 then
    start = vim.fn.fnamemodify(start, ':h')
  end
  start = start:gsub('(.)/$', '%1')
  for _, group in ipairs(M.root_markers) do
    local names = type(group) == 'table' and group or { group }
    local dir = start
    while dir do
      for _, name in ipairs(names) do
        if exists(dir .. '/' .. name) then
          return dir
        end
      end
      dir = parent(dir)
    end
  end
  return nil
end

--- A complete client config for vim.lsp.start / vim.lsp.start_client (0.7-0.10): the defaults,
--- `opts` merged on top, and root_dir for `bufnr` (falling back to the file's directory, so a
--- lone .go file still gets diagnostics).
function M.client_config(opts, bufnr)
  local config = vim.tbl_deep_extend('force', M.default_config(), opts or {})
  if config.root_dir == nil or type(config.root_dir) == 'function' then
    local file = vim.api.nvim_buf_get_name(bufnr or 0)
    local custom = config.root_dir
    config.root_dir = custom and custom(file, bufnr) or M.find_root(file)
      or (file ~= '' and vim.fn.fnamemodify(file, ':p:h') or vim.fn.getcwd())
  end
  config.root_markers = nil
  config.filetypes = nil
  if not has_011 then
    -- Before 0.11 Neovim does not push `settings` itself, and 0.7 does not even advertise
    -- workspace/configuration, so golens would never see them: push them once initialized, as
    -- nvim-lspconfig does (a second copy from a core that does push is harmless).
    local on_init = config.on_init
    config.on_init = function(client, result)
      if next(client.config.settings or {}) then
        client.notify('workspace/didChangeConfiguration', { settings = client.config.settings })
      end
      if on_init then
        return on_init(client, result)
      end
    end
  end
  return config
end

-- 0.7 has only start_client, which starts a new server on every call: remember one client per
-- root and attach further buffers to it.
local started = {}

local function attach(opts, bufnr)
  if vim.bo[bufnr].buftype ~= '' then
    return
  end
  local config = M.client_config(opts, bufnr)
  if vim.lsp.start then
    vim.lsp.start(config, { bufnr = bufnr })
    return
  end
  local id = started[config.root_dir]
  local client = id and vim.lsp.get_client_by_id(id)
  if client == nil or client.is_stopped() then
    id = vim.lsp.start_client(config)
    if id == nil then
      return
    end
    started[config.root_dir] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

--- Start golens for Go buffers. On 0.11+ this is vim.lsp.config + vim.lsp.enable (the config in
--- lsp/golens.lua, `opts` on top); on 0.7-0.10 a FileType autocommand starts and reuses clients.
function M.setup(opts)
  opts = opts or {}
  if has_011 then
    vim.lsp.config(M.name, opts)
    vim.lsp.enable(M.name)
    return
  end
  local filetypes = opts.filetypes or M.default_config().filetypes
  local group = vim.api.nvim_create_augroup('golens', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = filetypes,
    callback = function(args)
      attach(opts, args.buf)
    end,
  })
  -- Buffers that were already open when setup ran.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr)
      and vim.tbl_contains(filetypes, vim.bo[bufnr].filetype) then
      attach(opts, bufnr)
    end
  end
end

local function all_clients()
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = M.name })
  end
  local found = {}
  for _, client in pairs(vim.lsp.get_active_clients()) do
    if client.name == M.name then
      found[#found + 1] = client
    end
  end
  return found
end

--- The golens client of `bufnr`, else the only golens client running (so that the commands also
--- work from the trace summary or any other non-Go buffer), else nil and why not.
function M.client(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local clients = all_clients()
  for _, client in ipairs(clients) do
    if vim.lsp.buf_is_attached(bufnr, client.id) then
      return client
    end
  end
  if #clients == 1 then
    return clients[1]
  end
  if #clients == 0 then
    return nil, 'no golens language server is running (open a Go file first)'
  end
  return nil, 'several golens servers are running and none is attached to this buffer'
end

local function notify(message, level)
  vim.notify('golens: ' .. message, level or vim.log.levels.INFO)
end

--- Does the server say it runs `command`? (executeCommandProvider in its initialize result.)
function M.offers(client, command)
  local caps = client.server_capabilities
  local provider = caps and caps.executeCommandProvider
  return type(provider) == 'table' and vim.tbl_contains(provider.commands or {}, command)
end

--- Run a golens command through workspace/executeCommand. `on_result(result)` runs on success;
--- errors (none running, command not offered, server error) are reported with vim.notify.
function M.execute(command, arguments, on_result, bufnr)
  local client, why = M.client(bufnr)
  if client == nil then
    notify(why, vim.log.levels.ERROR)
    return false
  end
  if client.server_capabilities == nil then
    notify('the server is still starting; try again in a moment', vim.log.levels.WARN)
    return false
  end
  if not M.offers(client, command) then
    notify('this golens server does not offer ' .. command .. ' (is it older than the plugin?)',
      vim.log.levels.ERROR)
    return false
  end
  local params = { command = command, arguments = arguments }
  local function handler(err, result)
    if err then
      notify(command .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    if on_result then
      on_result(result)
    end
  end
  if has_011 then
    client:request('workspace/executeCommand', params, handler, bufnr)
  else
    client.request('workspace/executeCommand', params, handler, bufnr)
  end
  return true
end

-- Commands answer with a string, MarkupContent, or an object carrying a message.
local function text_of(result)
  if type(result) == 'string' then
    return result
  end
  if type(result) == 'table' then
    return result.value or result.message or result.markdown
  end
  return nil
end

--- :GolensLoadTrace {path}: give the server a Go execution trace (`go test -trace`, runtime/trace)
--- to back its findings with runtime evidence.
function M.load_trace(path)
  if path == nil or path == '' then
    notify('give the path of a Go execution trace', vim.log.levels.ERROR)
    return false
  end
  local full = vim.fn.fnamemodify(vim.fn.expand(path), ':p')
  if not exists(full) then
    notify('no such file: ' .. full, vim.log.levels.ERROR)
    return false
  end
  return M.execute(M.commands.load_trace, { full }, function(result)
    notify(text_of(result) or ('loaded trace ' .. full))
  end)
end

--- :GolensClearTrace: drop the loaded trace and its evidence.
function M.clear_trace()
  return M.execute(M.commands.clear_trace, {}, function(result)
    notify(text_of(result) or 'trace cleared')
  end)
end

M.summary_name = 'golens://trace-summary'

local function show_markdown(name, markdown)
  local bufnr = vim.fn.bufnr('^' .. vim.fn.escape(name, '\\/.*$^~[]') .. '$')
  local win = bufnr ~= -1 and vim.fn.bufwinid(bufnr) or -1
  if win ~= -1 then
    vim.api.nvim_set_current_win(win)
  else
    vim.cmd('botright new')
    if bufnr == -1 then
      bufnr = vim.api.nvim_get_current_buf()
      vim.api.nvim_buf_set_name(bufnr, name)
      vim.bo[bufnr].buftype = 'nofile'
      vim.bo[bufnr].bufhidden = 'hide'
      vim.bo[bufnr].swapfile = false
      vim.bo[bufnr].filetype = 'markdown'
    else
      local scratch = vim.api.nvim_get_current_buf()
      vim.api.nvim_win_set_buf(0, bufnr)
      vim.api.nvim_buf_delete(scratch, { force = true })
    end
  end
  vim.bo[bufnr].modifiable = true
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, vim.split(markdown, '\n', { plain = true }))
  vim.bo[bufnr].modifiable = false
  return bufnr
end

--- :GolensTraceSummary: the loaded trace's summary (markdown) in a scratch buffer.
function M.trace_summary()
  return M.execute(M.commands.trace_summary, {}, function(result)
    local markdown = text_of(result)
    if markdown == nil or markdown == '' then
      notify('the server sent no summary (is a trace loaded?)', vim.log.levels.WARN)
      return
    end
    show_markdown(M.summary_name, markdown)
  end)
end

return M
