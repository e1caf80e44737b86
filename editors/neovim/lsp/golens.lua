-- golens for Neovim 0.11+: put this directory on 'runtimepath' (or copy this file into your
-- config's lsp/ directory), then
--
--   vim.lsp.config('golens', { settings = { golens = { disable = { 'GL301' } } } }) -- optional
--   vim.lsp.enable('golens')
--
-- Self-contained, like nvim-lspconfig's lsp/*.lua files, so it can be copied alone.
-- lua/golens/init.lua reads its defaults from here for Neovim 0.7-0.10.
---@type vim.lsp.Config
return {
  cmd = { 'golens', 'serve' },
  filetypes = { 'go' },
  -- The nearest go.work wins over any go.mod (a module inside a workspace belongs to the
  -- workspace), then the nearest go.mod or .git, as nvim-lspconfig does for gopls. The nested
  -- list means "equal priority" to vim.fs.root.
  root_markers = { 'go.work', { 'go.mod', '.git' } },
  -- The same section VS Code sends, e.g. { golens = { disable = { 'GL301' },
  -- severity = { GL201 = 'error' }, diagnostics = { debounceMs = 200 } } }.
  settings = { golens = vim.empty_dict() },
}
