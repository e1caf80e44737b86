-- golens for Neovim: client configuration shared by every Neovim version, a starter for the
-- versions without vim.lsp.config (0.7-0.10), and the golens commands that go through
-- workspace/executeCommand. Works on Neovim 0.7 and later; nothing here needs nvim-lspconfig.
local M = {}

M.name = 'golens'

M.commands = {
  load_trace = 'golens.loadTrace',
  clear_trace = 'golens.clearTrace',
  trace_summary = 'golens.showTraceSummary',
  explain_rule = 'golens.explainRule',
}

M.fix_all_kind = 'source.fixAll.golens'

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
  local config = vim.tbl_deep_extend('force', M.default_config(), opts or {}, M.choice_settings())
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

-- The user's last explicit trace action (:GolensLoadTrace / :GolensClearTrace), kept across
-- :GolensRestart as the server's trace settings: a cleared trace stays cleared, a loaded one
-- stays loaded.
M.trace_choice = nil

--- The settings that carry M.trace_choice ({} when there is none).
function M.choice_settings()
  local choice = M.trace_choice
  if choice == nil then
    return {}
  end
  local trace = choice.loaded and { path = choice.loaded } or { path = '', autoLoad = false }
  return { settings = { golens = { trace = trace } } }
end

-- The last golens/traceStatus of each client (client id -> status), for M.statusline().
M.trace_status = {}

--- Handler for the server's golens/traceStatus notification (set in lsp/golens.lua's handlers).
function M.on_trace_status(_, result, ctx)
  if ctx and ctx.client_id and type(result) == 'table' then
    M.trace_status[ctx.client_id] = result
    vim.cmd('redrawstatus')
  end
end

-- The last golens/profileStatus of each client (client id -> status), for M.statusline().
M.profile_status = {}

--- Handler for the server's golens/profileStatus notification (set in plugin/golens.lua).
function M.on_profile_status(_, result, ctx)
  if ctx and ctx.client_id and type(result) == 'table' then
    M.profile_status[ctx.client_id] = result
    vim.cmd('redrawstatus')
  end
end

-- "2 profiles (goroutineleak, mutex)" and "vs before.pb.gz" for the pprof profiles in force and
-- the baseline hovers compare against; nothing when there are neither.
local function profile_parts(status)
  local parts = {}
  if type(status) ~= 'table' then
    return parts
  end
  local kinds = {}
  for _, profile in ipairs(type(status.profiles) == 'table' and status.profiles or {}) do
    if type(profile) == 'table' and type(profile.kind) == 'string' then
      kinds[#kinds + 1] = profile.kind
    end
  end
  if #kinds > 0 then
    parts[1] = string.format('%d profile%s (%s)', #kinds, #kinds == 1 and '' or 's', table.concat(kinds, ', '))
  end
  if type(status.baseline) == 'string' and status.baseline ~= '' then
    parts[#parts + 1] = 'vs ' .. vim.fn.fnamemodify(status.baseline, ':t')
  end
  return parts
end

--- A short text for 'statusline' about the evidence of the current buffer's golens client: the
--- trace, then the pprof profiles and the baseline if any:
---   set statusline=%f\ %{v:lua.require'golens'.statusline()}
function M.statusline()
  local client = M.client()
  if client == nil then
    return ''
  end
  local status = M.trace_status[client.id]
  local parts
  if status == nil or not status.loaded then
    parts = { 'golens: no trace' }
  else
    parts = { 'golens: ' .. vim.fn.fnamemodify(status.path or '', ':t') }
    if status.goroutines then
      parts[#parts + 1] = status.goroutines .. ' goroutines'
    end
    if status.leaks and status.leaks > 0 then
      parts[#parts + 1] = status.leaks .. ' leaked'
    end
    if status.stale then
      parts[#parts + 1] = 'stale'
    end
  end
  vim.list_extend(parts, profile_parts(M.profile_status[client.id]))
  return table.concat(parts, ' · ')
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

-- A command that answered with `{ loaded = false, error = ... }` instead of a result.
local function error_of(result)
  if type(result) == 'table' and result.loaded == false and type(result.error) == 'string' then
    return result.error
  end
  return nil
end

--- :GolensLoadTrace {path}: give the server a Go execution trace (`go test -trace`, runtime/trace)
--- to back its findings with runtime evidence. The server answers once the trace is read: what it
--- holds, or the error alone (the trace in force, if any, stays).
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
  notify('reading trace ' .. full .. ' …')
  return M.execute(M.commands.load_trace, { full }, function(result)
    local failure = error_of(result)
    if failure then
      notify(failure, vim.log.levels.ERROR)
      return
    end
    M.trace_choice = { loaded = full }
    notify(text_of(result) or ('loaded trace ' .. full))
  end)
end

--- :GolensClearTrace: drop the loaded trace and its evidence.
function M.clear_trace()
  return M.execute(M.commands.clear_trace, {}, function(result)
    M.trace_choice = { cleared = true }
    notify(text_of(result) or 'trace cleared')
  end)
end

M.summary_name = 'golens://trace-summary'
M.rule_name_prefix = 'golens://rule/'

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

--- :GolensExplain [rule]: a rule's page (rendered by the server) in a scratch buffer; without
--- an argument, the rule of the golens diagnostic under the cursor.
function M.explain(rule)
  if rule == nil or rule == '' then
    local row = vim.api.nvim_win_get_cursor(0)[1] - 1
    for _, d in ipairs(vim.diagnostic.get(0, { lnum = row })) do
      if (d.source == 'golens' or d.source == 'golens-trace') and type(d.code) == 'string' then
        rule = d.code
        break
      end
    end
    if rule == nil or rule == '' then
      notify('give a rule (GL201 or lost-cancel), or put the cursor on a golens diagnostic',
        vim.log.levels.ERROR)
      return false
    end
  end
  return M.execute(M.commands.explain_rule, { rule }, function(result)
    if type(result) ~= 'string' then
      notify((type(result) == 'table' and result.error) or ('no page for ' .. rule), vim.log.levels.ERROR)
      return
    end
    show_markdown(M.rule_name_prefix .. rule, result)
  end)
end

--- :GolensFixAll: apply every preferred golens fix in the current buffer (the server's
--- source.fixAll.golens action), on every Neovim version.
function M.fix_all(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local client, why = M.client(bufnr)
  if client == nil then
    notify(why, vim.log.levels.ERROR)
    return false
  end
  local encoding = client.offset_encoding or 'utf-16'
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = 0, character = 0 }, ['end'] = { line = vim.api.nvim_buf_line_count(bufnr), character = 0 } },
    context = { diagnostics = {}, only = { M.fix_all_kind } },
  }
  local function request(method, body, handler)
    if has_011 then
      client:request(method, body, handler, bufnr)
    else
      client.request(method, body, handler, bufnr)
    end
  end
  local function apply(action)
    if action.edit then
      vim.lsp.util.apply_workspace_edit(action.edit, encoding)
      notify('applied ' .. (action.title or 'the fixes'))
    else
      notify('nothing to fix', vim.log.levels.INFO)
    end
  end
  request('textDocument/codeAction', params, function(err, actions)
    if err then
      notify('fix all failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    local action = nil
    for _, a in ipairs(actions or {}) do
      if a.kind == M.fix_all_kind then
        action = a
        break
      end
    end
    if action == nil then
      notify('no golens fixes to apply in this buffer')
      return
    end
    if action.edit == nil and (client.server_capabilities.codeActionProvider or {}).resolveProvider then
      request('codeAction/resolve', action, function(rerr, resolved)
        if rerr then
          notify('fix all failed: ' .. (rerr.message or vim.inspect(rerr)), vim.log.levels.ERROR)
          return
        end
        apply(resolved or action)
      end)
    else
      apply(action)
    end
  end)
  return true
end

local function is_stopped(client)
  if has_011 then
    return client:is_stopped()
  end
  return client.is_stopped()
end

--- :GolensRestart: stop the golens servers and start them again for the Go buffers they served,
--- keeping the trace the user loaded or cleared (M.trace_choice).
function M.restart()
  local clients = all_clients()
  if #clients == 0 then
    notify('no golens language server is running', vim.log.levels.ERROR)
    return false
  end
  local buffers = {}
  for _, client in ipairs(clients) do
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(b) and vim.lsp.buf_is_attached(b, client.id) then
        buffers[#buffers + 1] = b
      end
    end
    M.trace_status[client.id] = nil
    M.profile_status[client.id] = nil
    if has_011 then
      client:stop()
    else
      client.stop()
    end
  end
  if has_011 then
    -- vim.lsp.enable's FileType autocommand starts the next client from vim.lsp.config.
    vim.lsp.config(M.name, M.choice_settings())
  end
  local timer = uv.new_timer()
  local waited = 0
  timer:start(50, 50, vim.schedule_wrap(function()
    waited = waited + 50
    local stopped = vim.tbl_filter(is_stopped, clients)
    if #stopped < #clients and waited < 5000 then
      return
    end
    timer:stop()
    timer:close()
    for _, b in ipairs(buffers) do
      if vim.api.nvim_buf_is_valid(b) then
        vim.api.nvim_exec_autocmds('FileType', { buffer = b })
      end
    end
    notify('server restarted')
  end))
  return true
end

return M
