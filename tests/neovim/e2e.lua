-- End-to-end check of golens in a real headless Neovim (0.7 and 0.11), driven by test_neovim.py.
--
--   nvim --headless -u NONE -i NONE -n -c 'luafile e2e.lua'
--
-- Environment: GOLENS_PLUGIN (editors/neovim), GOLENS_CMD (JSON list: the server command),
-- GOLENS_WORKSPACE (a module root holding fixture/main.go and handler_leak/), GOLENS_SETUP
-- ("config": vim.lsp.config/enable with lsp/golens.lua; "setup": require('golens').setup()).
--
-- Prints one line per check ("ok  " / "FAIL"), "COND <name> ran|skipped: <why>" for the checks
-- that depend on what the server advertises, and "DONE <checks> <failures>" last.
-- Exit status: 0 all passed, 1 a check failed, 2 a Lua error (headless nvim would otherwise hang).

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
  if not ok then
    failures = failures + 1
  end
  return ok
end
local function cond(name, ran, why)
  say('COND', name, ran and 'ran' or ('skipped: ' .. why))
end

local has_010 = vim.fn.has('nvim-0.10') == 1
local has_011 = vim.fn.has('nvim-0.11') == 1
local TIMEOUT = 15000

local function wait(ms, fn)
  return vim.wait(ms, fn, 20)
end

local function golens_clients()
  local all = vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
  return vim.tbl_filter(function(c) return c.name == 'golens' end, all)
end

local function finish()
  say(string.format('DONE %d %d', checks, failures))
  for _, c in ipairs(golens_clients()) do
    vim.lsp.stop_client(c.id)
  end
  wait(3000, function() return #golens_clients() == 0 end)
  vim.cmd(failures == 0 and 'qall!' or 'cquit 1')
end

-- vim.notify is how the plugin reports; keep every message for the command checks.
local notes, all_notes = {}, {}
vim.notify = function(msg, level)
  notes[#notes + 1] = { msg = msg, level = level or vim.log.levels.INFO }
  all_notes[#all_notes + 1] = msg
  say('notify', level or vim.log.levels.INFO, msg)
end
local function note_matching(pattern, level)
  for _, n in ipairs(notes) do
    if n.msg:find(pattern) and (level == nil or n.level == level) then
      return n
    end
  end
end

local function diags(bufnr, source)
  return vim.tbl_filter(function(d) return d.source == source end, vim.diagnostic.get(bufnr))
end
local function brief(d)
  return d and { lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col, code = d.code,
    severity = d.severity, source = d.source } or 'none'
end

-- vim.lsp.buf.hover() as a user runs it; the float's text is what they read.
local function float_wins()
  return vim.tbl_filter(function(w)
    return vim.api.nvim_win_get_config(w).relative ~= ''
  end, vim.api.nvim_list_wins())
end
local function hover_text(row, col)
  for _, w in ipairs(float_wins()) do
    vim.api.nvim_win_close(w, true)
  end
  vim.api.nvim_win_set_cursor(0, { row + 1, col })
  vim.lsp.buf.hover()
  if not wait(TIMEOUT, function() return #float_wins() > 0 end) then
    return nil
  end
  local win = float_wins()[1]
  local text = table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false), '\n')
  vim.api.nvim_win_close(win, true)
  return text
end

-- A hover request at exactly (row, byte col), for "nothing here" checks (no float to wait for).
local function hover_result(client, bufnr, row, col)
  vim.api.nvim_win_set_cursor(0, { row + 1, col })
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local res = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', params, TIMEOUT) or {}
  return res[client.id] and res[client.id].result
end

-- A markdown table: a row with pipes followed by a separator row such as `| --- | ---: |` (a
-- bare `---` is the rule between hover sections, not a table).
local function has_table(text)
  local previous
  for line in vim.gsplit(text, '\n', true) do
    if previous and previous:find('|', 1, true) and line:find('|', 1, true)
      and line:match('^[%s|:%-]+$') and line:find('---', 1, true) then
      return true
    end
    previous = line
  end
  return false
end

local function lines(bufnr)
  return vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
end

local function main()
  local v = vim.version()
  say(string.format('nvim %d.%d.%d', v.major, v.minor, v.patch), 'setup', vim.env.GOLENS_SETUP)
  local plugin = assert(vim.env.GOLENS_PLUGIN, 'GOLENS_PLUGIN')
  local workspace = assert(vim.env.GOLENS_WORKSPACE, 'GOLENS_WORKSPACE')
  local cmd = vim.fn.json_decode((assert(vim.env.GOLENS_CMD, 'GOLENS_CMD')))

  -- What a user's init.lua does: the plugin on 'runtimepath', filetype detection, plugin/ loaded.
  vim.opt.runtimepath:prepend(plugin)
  vim.cmd('filetype on')
  vim.cmd('runtime! plugin/golens.lua')
  for _, name in ipairs({ 'GolensLoadTrace', 'GolensClearTrace', 'GolensTraceSummary', 'GolensRestart',
    'GolensExplain', 'GolensFixAll' }) do
    check(vim.fn.exists(':' .. name) == 2, 'user command :' .. name .. ' defined')
  end

  -- Settings as VS Code sends them; the severity override proves they reach the server.
  local opts = {
    cmd = cmd,
    settings = { golens = { severity = { GL201 = 'error' }, diagnostics = { debounceMs = 0 } } },
  }
  if vim.env.GOLENS_SETUP == 'config' then
    vim.lsp.config('golens', opts)
    vim.lsp.enable('golens')
  else
    require('golens').setup(opts)
  end

  -- The user commands before any server runs must say so, not throw.
  vim.cmd('GolensClearTrace')
  check(note_matching('no golens language server is running', vim.log.levels.ERROR) ~= nil,
    ':GolensClearTrace without a server reports an error')

  local fixture = workspace .. '/fixture/main.go'
  vim.cmd('edit ' .. vim.fn.fnameescape(fixture))
  local bufnr = vim.api.nvim_get_current_buf()
  local original = lines(bufnr)
  check(vim.bo[bufnr].filetype == 'go', 'fixture detected as filetype go')

  local client
  wait(TIMEOUT, function()
    for _, c in ipairs(golens_clients()) do
      if vim.lsp.buf_is_attached(bufnr, c.id) and c.initialized ~= false and c.server_capabilities then
        client = c
        return true
      end
    end
  end)
  if not check(client ~= nil, 'golens client started and attached') then
    return
  end
  -- go.mod in the workspace beats the .git one level up: the nearest module is the root.
  check(client.config.root_dir == workspace, 'root_dir is the go.mod directory', client.config.root_dir)
  local encoding = has_010 and 'utf-8' or 'utf-16'
  check(client.offset_encoding == encoding, 'negotiated position encoding ' .. encoding, client.offset_encoding)
  local caps = client.server_capabilities
  say('server capabilities', { codeActionProvider = caps.codeActionProvider,
    executeCommandProvider = caps.executeCommandProvider, positionEncoding = caps.positionEncoding,
    diagnosticProvider = caps.diagnosticProvider ~= nil })

  -- 1. Diagnostics at exact positions. The line is `\t_ = "é😀"; ctx, _ := context.WithTimeout(...)`:
  --    the discarded cancel `_` is at byte 20 (utf-16 17); Neovim stores byte columns, so the
  --    server's columns must have been in the negotiated encoding for this to come out at 20.
  local ok = wait(TIMEOUT, function() return #diags(bufnr, 'golens') > 0 end)
  local d = diags(bufnr, 'golens')
  check(ok and #d == 1, 'one golens diagnostic after open', vim.tbl_map(brief, d))
  d = d[1]
  check(d and d.lnum == 8 and d.col == 20 and d.end_lnum == 8 and d.end_col == 21 and d.code == 'GL201',
    'GL201 exactly on the discarded cancel (line 9, byte col 20-21)', brief(d))
  check(d and d.severity == vim.diagnostic.severity.ERROR, 'severity from settings.golens.severity', brief(d))

  -- 2. Hover on the flagged `_`, through vim.lsp.buf.hover() and its float.
  local text = hover_text(8, 20)
  check(text ~= nil and text:find('GL201', 1, true) and text:find('lost-cancel', 1, true)
    and text:find('Fix:', 1, true) and text:find('defer cancel()', 1, true)
    and not text:find('Why is this bad', 1, true), 'hover on the finding shows GL201 title and short fix, links the rest',
    text and text:sub(1, 200))
  -- Half-open range: the character right after `_` is off the finding. In utf-16 that is column
  -- 18; a server reading it as a byte column would land inside `ctx` instead.
  check(hover_result(client, bufnr, 8, 21) == nil, 'no hover just after the finding')
  check(hover_result(client, bufnr, 8, 15) == nil, 'no hover on ctx (before the finding)')

  -- 3. Incremental edits. A line with non-ASCII text inserted above moves the finding down.
  vim.api.nvim_buf_set_lines(bufnr, 8, 8, false, { '\t// é😀 moved down' })
  ok = wait(TIMEOUT, function()
    local now = diags(bufnr, 'golens')
    return #now == 1 and now[1].lnum == 9
  end)
  d = diags(bufnr, 'golens')[1]
  check(ok and d.col == 20 and d.end_col == 21, 'after inserting a line above, GL201 moved to line 10', brief(d))

  -- Fixing by hand (name the cancel, defer it) clears it.
  vim.api.nvim_buf_set_text(bufnr, 9, 20, 9, 21, { 'cancel' })
  vim.api.nvim_buf_set_lines(bufnr, 10, 10, false, { '\tdefer cancel()' })
  ok = wait(TIMEOUT, function() return #diags(bufnr, 'golens') == 0 end)
  check(ok, 'fixing the code by hand clears the diagnostic', vim.tbl_map(brief, diags(bufnr, 'golens')))

  -- Whole-buffer replacement back to the original brings it back where it started.
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, original)
  ok = wait(TIMEOUT, function()
    local now = diags(bufnr, 'golens')
    return #now == 1 and now[1].lnum == 8
  end)
  d = diags(bufnr, 'golens')[1]
  check(ok and d.col == 20, 'restoring the text restores the diagnostic at line 9', brief(d))

  -- 4. Code actions, through vim.lsp.buf.code_action() exactly as a user runs it. Neovim 0.7 puts
  --    byte columns (20-21) into context.diagnostics while the server reads utf-16 (17-18 is
  --    right): the server must place the fix from the request range, not from those.
  if caps.codeActionProvider then
    cond('code-actions', true)
    local sent -- context.diagnostics of the last codeAction request (seen through buf_request on 0.7)
    local function run_action(pick)
      local chosen, offered
      local select = vim.ui.select
      vim.ui.select = function(items, select_opts, on_choice)
        offered = vim.tbl_map(function(item) return select_opts.format_item(item) end, items)
        for i, item in ipairs(items) do
          local action = item.action or item[2]
          if pick(action) then
            chosen = action
            return on_choice(item, i)
          end
        end
        on_choice(nil, nil)
      end
      local request = vim.lsp.buf_request
      vim.lsp.buf_request = function(b, method, params, ...)
        if method == 'textDocument/codeAction' then
          sent = params.context and params.context.diagnostics
        end
        return request(b, method, params, ...)
      end
      vim.api.nvim_win_set_cursor(0, { 9, 20 })
      local before = table.concat(lines(bufnr), '\n')
      vim.lsp.buf.code_action()
      wait(TIMEOUT, function() return offered ~= nil and (chosen == nil or table.concat(lines(bufnr), '\n') ~= before) end)
      vim.ui.select = select
      vim.lsp.buf_request = request
      return chosen, offered
    end
    local function edit_text(action)
      local texts = {}
      local edit = action and action.edit or {}
      for _, changes in pairs(edit.changes or {}) do
        for _, e in ipairs(changes) do texts[#texts + 1] = e.newText end
      end
      for _, dc in ipairs(edit.documentChanges or {}) do
        for _, e in ipairs(dc.edits or {}) do texts[#texts + 1] = e.newText end
      end
      return table.concat(texts, '\n')
    end
    local chosen, offered = run_action(function(a) return a.title:find('defer cancel()', 1, true) ~= nil end)
    say('code actions offered', offered)
    if not has_010 then
      -- The client quirk this part is about must really be in play, or the check proves nothing.
      local r = sent and sent[1] and sent[1].range
      check(r ~= nil and r.start.character == 20, 'nvim 0.7 sent byte columns in context.diagnostics',
        r and r.start)
    end
    check(chosen ~= nil, 'the GL201 quick fix is offered at the finding', offered)
    local expected = vim.deepcopy(original)
    expected[9] = '\t_ = "é😀"; ctx, cancel := context.WithTimeout(context.Background(), time.Second)'
    table.insert(expected, 10, '\tdefer cancel()')
    local got = lines(bufnr)
    check(vim.deep_equal(got, expected), 'quick fix applied at the right place', { got[9], got[10] })
    ok = wait(TIMEOUT, function() return #diags(bufnr, 'golens') == 0 end)
    check(ok, 'diagnostic cleared after the quick fix', vim.tbl_map(brief, diags(bufnr, 'golens')))

    vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, original)
    wait(TIMEOUT, function() return #diags(bufnr, 'golens') == 1 end)
    chosen, offered = run_action(function(a) return edit_text(a):find('golens:ignore GL201', 1, true) ~= nil end)
    check(chosen ~= nil, 'a suppress action (//golens:ignore GL201) is offered', offered)
    got = table.concat(lines(bufnr), '\n')
    check(got:find('//golens:ignore GL201', 1, true) ~= nil and got:find('ctx, _ := context', 1, true) ~= nil,
      'suppress comment inserted, code unchanged', got)
    ok = wait(TIMEOUT, function() return #diags(bufnr, 'golens') == 0 end)
    check(ok, 'diagnostic cleared after suppressing', vim.tbl_map(brief, diags(bufnr, 'golens')))
    vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, original)
  else
    cond('code-actions', false, 'server does not advertise codeActionProvider')
  end

  -- 4b. :GolensFixAll applies the preferred fixes of the buffer; :GolensExplain shows a rule's page.
  if client.server_capabilities.codeActionProvider then
    wait(TIMEOUT, function() return #diags(bufnr, 'golens') == 1 end)
    vim.cmd('GolensFixAll')
    ok = wait(TIMEOUT, function() return table.concat(lines(bufnr), '\n'):find('defer cancel()', 1, true) ~= nil end)
    check(ok, ':GolensFixAll applied the preferred fix', lines(bufnr))
    vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, original)
  end
  vim.api.nvim_win_set_cursor(0, { 9, 20 })
  wait(TIMEOUT, function() return #diags(bufnr, 'golens') == 1 end)
  vim.cmd('GolensExplain')
  local page
  ok = wait(TIMEOUT, function()
    page = vim.fn.bufnr('^' .. vim.fn.escape(require('golens').rule_name_prefix .. 'GL201', '\\/.*$^~[]') .. '$')
    return page ~= -1 and #table.concat(lines(page), '') > 0
  end)
  check(ok and lines(page)[1]:find('# GL201', 1, true) == 1 and vim.bo[page].filetype == 'markdown',
    ':GolensExplain on the diagnostic opens the rule page', ok and lines(page)[1])
  vim.cmd('only')
  vim.cmd('buffer ' .. bufnr)

  -- 5. Trace evidence and the user commands. Run from the handler_leak example's buffer.
  local golens = require('golens')
  local leak = workspace .. '/handler_leak/main.go'
  vim.cmd('edit ' .. vim.fn.fnameescape(leak))
  local leakbuf = vim.api.nvim_get_current_buf()
  ok = wait(TIMEOUT, function() return vim.lsp.buf_is_attached(leakbuf, client.id) end)
  check(ok, 'second Go file attached to the same client')
  wait(TIMEOUT, function() return #diags(leakbuf, 'golens') > 0 end)
  say('static diagnostics in handler_leak', vim.tbl_map(brief, diags(leakbuf, 'golens')))

  local trace = 'handler_leak/go1.27.trace'
  vim.cmd('cd ' .. vim.fn.fnameescape(workspace))
  if golens.offers(client, golens.commands.load_trace) then
    cond('trace-commands', true)
    notes = {}
    vim.cmd('GolensLoadTrace ' .. trace)
    ok = wait(TIMEOUT, function() return #diags(leakbuf, 'golens-trace') > 0 end)
    local td = diags(leakbuf, 'golens-trace')
    check(ok, ':GolensLoadTrace brings golens-trace diagnostics', vim.tbl_map(brief, td))
    -- The command's answer may come after the diagnostics it caused.
    wait(TIMEOUT, function() return #notes > 0 end)
    check(#notes > 0 and note_matching('.', vim.log.levels.ERROR) == nil, ':GolensLoadTrace answered without error', notes)
    if td[1] then
      text = hover_text(td[1].lnum, td[1].col)
      check(text ~= nil and has_table(text), 'hover on trace evidence shows a table', text)
    end
    if golens.offers(client, golens.commands.trace_summary) then
      cond('trace-summary', true)
      vim.cmd('GolensTraceSummary')
      local summary
      ok = wait(TIMEOUT, function()
        summary = vim.fn.bufnr('^' .. vim.fn.escape(golens.summary_name, '\\/.*$^~[]') .. '$')
        return summary ~= -1 and #table.concat(lines(summary), '') > 0
      end)
      check(ok, ':GolensTraceSummary opens the summary buffer', summary)
      if ok then
        local md = table.concat(lines(summary), '\n')
        say('summary', md:sub(1, 300))
        check(md:lower():find('goroutine', 1, true) ~= nil and vim.bo[summary].filetype == 'markdown',
          'summary is markdown about goroutines')
        -- Running it again reuses the buffer rather than piling up splits.
        local wins = #vim.api.nvim_list_wins()
        vim.cmd('GolensTraceSummary')
        wait(500, function() return false end)
        check(#vim.api.nvim_list_wins() == wins, ':GolensTraceSummary again reuses its window')
      end
      vim.cmd('only')
      vim.cmd('buffer ' .. leakbuf)
      -- Clicking a trace code lens runs golens.showTraceSummary on the client side.
      if has_011 then
        vim.lsp.codelens.refresh({ bufnr = leakbuf })
      else
        vim.lsp.codelens.refresh()
      end
      local lenses = {}
      wait(TIMEOUT, function()
        lenses = vim.lsp.codelens.get(leakbuf)
        return #lenses > 0
      end)
      check(#lenses > 0 and lenses[1].command and lenses[1].command.command == 'golens.showTraceSummary',
        'trace code lenses are shown', lenses[1])
      if lenses[1] then
        vim.api.nvim_win_set_cursor(0, { lenses[1].range.start.line + 1, 0 })
        vim.lsp.codelens.run()
        ok = wait(TIMEOUT, function()
          local b = vim.fn.bufnr('^' .. vim.fn.escape(golens.summary_name, '\\/.*$^~[]') .. '$')
          return b ~= -1 and vim.fn.bufwinid(b) ~= -1
        end)
        check(ok, 'running a trace code lens opens the summary')
        vim.cmd('only')
        vim.cmd('buffer ' .. leakbuf)
      end
    else
      cond('trace-summary', false, 'server does not advertise golens.showTraceSummary')
    end
    local line = golens.statusline()
    check(line:find('golens: go1.27.trace', 1, true) == 1 and line:find('goroutines', 1, true) ~= nil,
      'statusline helper shows the loaded trace', line)
    notes = {}
    vim.cmd('GolensLoadTrace go.mod')
    wait(TIMEOUT, function() return note_matching('not a readable', vim.log.levels.ERROR) ~= nil end)
    check(note_matching('not a readable', vim.log.levels.ERROR) ~= nil and note_matching('^golens: loaded') == nil,
      ':GolensLoadTrace of a non-trace reports the error alone', notes)
    if golens.offers(client, golens.commands.clear_trace) then
      cond('trace-clear', true)
      vim.cmd('GolensClearTrace')
      ok = wait(TIMEOUT, function() return #diags(leakbuf, 'golens-trace') == 0 end)
      check(ok, ':GolensClearTrace removes golens-trace diagnostics', vim.tbl_map(brief, diags(leakbuf, 'golens-trace')))
      check(#diags(leakbuf, 'golens') > 0, 'static diagnostics stay after clearing the trace')
      -- A restart keeps the cleared trace cleared (auto-load would bring the workspace's back).
      local old_id = client.id
      vim.cmd('GolensRestart')
      local fresh
      ok = wait(TIMEOUT, function()
        fresh = golens.client(leakbuf)
        return fresh ~= nil and fresh.id ~= old_id and fresh.server_capabilities ~= nil
          and vim.lsp.buf_is_attached(leakbuf, fresh.id)
      end)
      check(ok, ':GolensRestart starts a new server for the Go buffers')
      wait(TIMEOUT, function() return #diags(leakbuf, 'golens') > 0 end)
      wait(4000, function() return #diags(leakbuf, 'golens-trace') > 0 end)
      check(ok and #diags(leakbuf, 'golens-trace') == 0 and golens.statusline() == 'golens: no trace',
        'a cleared trace stays cleared after :GolensRestart', { golens.statusline(), #diags(leakbuf, 'golens-trace') })
    else
      cond('trace-clear', false, 'server does not advertise golens.clearTrace')
    end
  else
    cond('trace-commands', false, 'server does not advertise golens.loadTrace in executeCommandProvider.commands')
    -- The commands still go through the plugin: each must say the server lacks it, not throw.
    for name, command in pairs({ GolensLoadTrace = 'golens.loadTrace', GolensClearTrace = 'golens.clearTrace',
      GolensTraceSummary = 'golens.showTraceSummary' }) do
      notes = {}
      vim.cmd(name .. (name == 'GolensLoadTrace' and (' ' .. trace) or ''))
      check(note_matching('does not offer ' .. command:gsub('%.', '%%.'), vim.log.levels.ERROR) ~= nil,
        ':' .. name .. ' reports that the server does not offer ' .. command, notes)
    end
  end
  notes = {}
  vim.cmd('GolensLoadTrace handler_leak/no-such.trace')
  check(note_matching('no such file', vim.log.levels.ERROR) ~= nil, ':GolensLoadTrace with a missing file says so', notes)
  local okcall = pcall(vim.cmd, 'GolensLoadTrace')
  check(not okcall, ':GolensLoadTrace without an argument is refused by Neovim')

  -- :GolensTraceReport runs `golens report` (here `python -m golens report`): in the server's
  -- directory, not the project's, whose own golens/ package must not run (run_nvim checks).
  local reporter = require('golens.report')
  local written
  reporter.open = function(path) written = path end
  vim.cmd('GolensTraceReport ' .. vim.fn.fnameescape(workspace .. '/handler_leak/go1.27.trace'))
  ok = wait(60000, function() return written ~= nil end)
  check(ok and vim.loop.fs_stat(written) ~= nil, ':GolensTraceReport writes the report', written)

  -- :checkhealth golens: the server found and its version, the client, the trace, file watching.
  vim.cmd('checkhealth golens')
  local report = table.concat(lines(vim.api.nvim_get_current_buf()), '\n')
  check(report:find('server command:', 1, true) ~= nil and report:find('golens %d+%.%d+') ~= nil
    and report:find('client %d+, root') ~= nil and report:find('watch', 1, true) ~= nil
    and not report:find('ERROR', 1, true), ':checkhealth golens reports server, version, client and watching',
    report:sub(1, 1500))
  vim.cmd('only')

  -- vim.deprecate reports through vim.notify: the plugin must use each version's current API.
  local deprecated = vim.tbl_filter(function(m) return m:lower():find('deprecat') ~= nil end, all_notes)
  check(#deprecated == 0, 'no deprecation warnings', deprecated)
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  say('ERROR', err)
  say(string.format('DONE %d %d', checks, failures + 1))
  vim.cmd('cquit 2')
end
finish()
