---@brief
---
--- golens: Go concurrency checks (goroutine leaks, lost cancels, blocking calls without a
--- context, ...) backed by evidence from Go execution traces. Install the server with
---
--- ```sh
--- pip install golens
--- ```
---
--- Settings are the `golens` section VS Code uses, e.g.
--- ```lua
--- vim.lsp.config('golens', { settings = { golens = { disable = { 'GL301' } } } })
--- vim.lsp.enable('golens')
--- ```
---
--- Put this directory on 'runtimepath' or copy this file into your config's lsp/ directory: it is
--- self-contained, in the shape of nvim-lspconfig's lsp/*.lua (cmd, filetypes, root_markers,
--- settings), so it can be upstreamed as it is. lua/golens/init.lua reads its defaults from here
--- for Neovim 0.7-0.10.

-- The server starts in a directory of Neovim's own, never the project: Python puts the working
-- directory first on sys.path, so `python -m golens` (or any Python child the server spawns) run
-- in an untrusted checkout would import that checkout's own golens/ or multiprocessing/.
local neutral_dir = vim.fn.stdpath('cache') .. '/golens'
vim.fn.mkdir(neutral_dir, 'p')

---@type vim.lsp.Config
return {
  cmd = { 'golens', 'serve' },
  cmd_cwd = neutral_dir,
  -- Python 3.11+: the working directory never goes on sys.path, wherever the server starts.
  cmd_env = { PYTHONSAFEPATH = '1' },
  filetypes = { 'go' },
  -- The nearest go.work wins over any go.mod (a module inside a workspace belongs to the
  -- workspace), then the nearest go.mod or .git, as nvim-lspconfig does for gopls. The nested
  -- list means "equal priority" to vim.fs.root.
  root_markers = { 'go.work', { 'go.mod', '.git' } },
  -- The same section VS Code sends, e.g. { golens = { disable = { 'GL301' },
  -- severity = { GL201 = 'error' }, diagnostics = { debounceMs = 200 } } }.
  settings = { golens = vim.empty_dict() },
  -- Code lenses carry golens.showTraceSummary, whose Markdown answer Neovim would drop: run it
  -- on the client side, where the summary opens in a buffer.
  commands = {
    ['golens.showTraceSummary'] = function()
      local ok, golens = pcall(require, 'golens')
      if ok then
        golens.trace_summary()
      end
    end,
  },
}
