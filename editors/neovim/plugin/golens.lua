-- User commands for golens's own server commands (workspace/executeCommand). They need a running
-- golens client: see lsp/golens.lua (0.11+) or require('golens').setup() (0.7+).
if vim.g.loaded_golens then
  return
end
vim.g.loaded_golens = 1

vim.api.nvim_create_user_command('GolensLoadTrace', function(args)
  require('golens').load_trace(args.args)
end, { nargs = 1, complete = 'file', desc = 'golens: load a Go execution trace as evidence' })

vim.api.nvim_create_user_command('GolensClearTrace', function()
  require('golens').clear_trace()
end, { nargs = 0, desc = 'golens: drop the loaded trace' })

vim.api.nvim_create_user_command('GolensTraceSummary', function()
  require('golens').trace_summary()
end, { nargs = 0, desc = "golens: show the loaded trace's summary" })

vim.api.nvim_create_user_command('GolensRestart', function()
  require('golens').restart()
end, { nargs = 0, desc = 'golens: restart the language server (keeps the loaded or cleared trace)' })

vim.api.nvim_create_user_command('GolensExplain', function(args)
  require('golens').explain(args.args)
end, { nargs = '?', desc = "golens: a rule's documentation (default: the diagnostic under the cursor)" })

vim.api.nvim_create_user_command('GolensFixAll', function()
  require('golens').fix_all()
end, { nargs = 0, desc = 'golens: apply every preferred golens fix in this buffer' })

vim.api.nvim_create_user_command('GolensTraceReport', function(args)
  require('golens.report').command(args.args)
end, { nargs = '?', complete = 'file', desc = 'golens: write the trace report (HTML) and open it' })
-- The trace each golens server reports: for the statusline helper, and for :GolensTraceReport
-- without an argument.
vim.lsp.handlers['golens/traceStatus'] = function(...)
  require('golens').on_trace_status(...)
  return require('golens.report').on_trace_status(...)
end
-- The pprof profiles it reports: for the statusline helper.
vim.lsp.handlers['golens/profileStatus'] = function(...)
  return require('golens').on_profile_status(...)
end
