-- :GolensTraceReport [trace]: write `golens report` for a trace and open it in the browser.
--
-- The trace is the argument, else the one the golens server last said it loaded (its
-- golens/traceStatus notification). The golens program is the one the client runs (its `cmd`
-- without the trailing `serve`), the root the client's root directory. The page is opened with
-- vim.ui.open (0.10+), else xdg-open / open; its path is printed either way.
local M = {}

local uv = vim.uv or vim.loop

-- Client id -> path of the trace the server reported loaded.
M.loaded = {}

--- Handler for the server's golens/traceStatus notification (installed by plugin/golens.lua).
function M.on_trace_status(_, result, ctx)
  if type(result) ~= 'table' or ctx == nil then
    return
  end
  M.loaded[ctx.client_id] = (result.loaded and type(result.path) == 'string') and result.path or nil
end

local function notify(message, level)
  vim.notify('golens: ' .. message, level or vim.log.levels.INFO)
end

--- The golens program of a client config's cmd: { 'golens', 'serve' } -> { 'golens' }.
function M.golens_command(cmd)
  if type(cmd) ~= 'table' or #cmd == 0 then
    return { 'golens' }
  end
  local out = {}
  for i, part in ipairs(cmd) do
    if not (i == #cmd and part == 'serve') then
      out[#out + 1] = part
    end
  end
  return out
end

--- Where reports are written: one file per Neovim cache dir, replaced each time.
function M.output_path()
  local dir = vim.fn.stdpath('cache') .. '/golens'
  vim.fn.mkdir(dir, 'p')
  return dir .. '/trace-report.html'
end

--- The system opener for `path`: vim.ui.open on 0.10+, else xdg-open (open on macOS).
function M.open(path)
  if vim.g.golens_report_open == false then
    return
  end
  if vim.ui and vim.ui.open then
    vim.ui.open(path)
    return
  end
  local opener = vim.fn.has('mac') == 1 and 'open' or 'xdg-open'
  if vim.fn.executable(opener) ~= 1 then
    notify('no ' .. opener .. ' to open the report with; open ' .. path .. ' yourself', vim.log.levels.WARN)
    return
  end
  vim.fn.jobstart({ opener, path }, { detach = true })
end

--- Run golens report. opts: trace (path), golens (command list), root (dir, optional), output,
--- cwd and env (the server's cmd_cwd and cmd_env), on_done(path or nil, error message or nil).
function M.write(opts)
  local argv = vim.deepcopy(opts.golens)
  vim.list_extend(argv, { 'report', opts.trace, '-o', opts.output })
  if opts.root then
    vim.list_extend(argv, { '--root', opts.root })
  end
  local stderr = {}
  local ok, job = pcall(vim.fn.jobstart, argv, {
    -- Where and how the server starts (lsp/golens.lua: cmd_cwd, cmd_env), never in the project:
    -- `python -m golens` there would import the checkout's own golens/ package.
    cwd = opts.cwd,
    env = opts.env,
    stderr_buffered = true,
    on_stderr = function(_, data)
      stderr = data or {}
    end,
    on_exit = function(_, code)
      vim.schedule(function()
        if code == 0 then
          opts.on_done(opts.output, nil)
        else
          local message = vim.trim(table.concat(stderr, '\n'))
          opts.on_done(nil, message ~= '' and message or ('golens report exited with ' .. code))
        end
      end)
    end,
  })
  if not ok or job <= 0 then
    opts.on_done(nil, 'could not run ' .. argv[1])
  end
end

--- :GolensTraceReport [trace]
function M.command(trace)
  local golens = require('golens')
  local client = golens.client(0)
  if trace == nil or trace == '' then
    trace = client and M.loaded[client.id]
    if trace == nil then
      notify('no trace is loaded: give one (:GolensTraceReport trace.out) or :GolensLoadTrace first',
        vim.log.levels.ERROR)
      return false
    end
  end
  trace = vim.fn.fnamemodify(vim.fn.expand(trace), ':p')
  if uv.fs_stat(trace) == nil then
    notify('no such file: ' .. trace, vim.log.levels.ERROR)
    return false
  end
  local config = client and client.config or {}
  local defaults = golens.default_config()
  M.write({
    trace = trace,
    golens = M.golens_command(config.cmd),
    cwd = config.cmd_cwd or defaults.cmd_cwd,
    env = config.cmd_env or defaults.cmd_env,
    root = config.root_dir or golens.find_root(vim.api.nvim_buf_get_name(0)) or vim.fn.getcwd(),
    output = M.output_path(),
    on_done = function(path, err)
      if path == nil then
        notify('trace report failed: ' .. err, vim.log.levels.ERROR)
        return
      end
      notify('trace report written to ' .. path)
      M.open(path)
    end,
  })
  return true
end

return M
