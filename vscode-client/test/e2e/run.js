#!/usr/bin/env node
// End to end in a real VS Code: code-server + Debian's Chromium driven by playwright-core.
// Installs the built .vsix into a throwaway profile, opens a copy of the fixture workspace and
// checks what a person would see: squiggle, Problems entry, hover, quick fix, status bar.
//
// Inputs (environment):
//   CODE_SERVER, CHROMIUM   programs (scripts/setup-vscode-e2e.sh prints both)
//   VSIX                    the packaged extension
//   GOLENS_SERVER           the golens executable the extension is pointed at (user setting)
//   GOLENS_PYTHON           an interpreter with golens installed (the untrusted session finds the
//                           server through golens.server.python, the case that used to run a
//                           workspace's own golens/ package)
//   ARTIFACTS               where screenshots and logs go
//   E2E_QUICKFIX, E2E_TRACE "1" to run the quick-fix / trace checks, "0" to skip them (the caller
//                           decides from the server's advertised capabilities)
// Exit status 0 only if every check that ran passed; the last line says which ran.
'use strict';

const { execFileSync, spawn, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const here = __dirname;
const clientDir = path.resolve(here, '..', '..');
const repo = path.resolve(clientDir, '..');

function need(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

const CODE_SERVER = need('CODE_SERVER');
const CHROMIUM = need('CHROMIUM');
const VSIX = path.resolve(need('VSIX'));
const GOLENS_SERVER = path.resolve(need('GOLENS_SERVER'));
const GOLENS_PYTHON = need('GOLENS_PYTHON');
const ARTIFACTS = path.resolve(process.env.ARTIFACTS || path.join(repo, 'artifacts', 'vscode-e2e'));
const RUN_QUICKFIX = need('E2E_QUICKFIX') === '1';
const RUN_TRACE = need('E2E_TRACE') === '1';
// A platform .vsix carrying the server as wheels (npm run package:linux-x64); optional.
const VSIX_BUNDLED = process.env.VSIX_BUNDLED ? path.resolve(process.env.VSIX_BUNDLED) : undefined;

const t0 = Date.now();
const timings = [];
function mark(what) {
  const s = ((Date.now() - t0) / 1000).toFixed(1);
  timings.push(`${s}s ${what}`);
  console.log(`[e2e ${s}s] ${what}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function healthy(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => { req.destroy(); resolve(false); });
  });
}

async function waitFor(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The editor's visible text; Monaco renders spaces as U+00A0. */
async function editorText(page) {
  const text = await page.locator('.monaco-editor .view-lines').first().innerText();
  return text.replace(/\u00a0/g, ' ');
}

function setUpWorkspace(root) {
  const ws = path.join(root, 'workspace');
  fs.cpSync(path.join(clientDir, 'test', 'fixture-workspace'), ws, { recursive: true });
  const leak = path.join(ws, 'handler_leak');
  fs.mkdirSync(leak, { recursive: true });
  fs.copyFileSync(path.join(repo, 'traces', 'handler_leak', 'main.go'), path.join(leak, 'main.go'));
  fs.copyFileSync(path.join(repo, 'traces', 'handler_leak', 'go1.27.trace'), path.join(leak, 'go1.27.trace'));
  return ws;
}

function writeUserSettings(userDir, extra = {}) {
  const settings = {
    'golens.server.path': GOLENS_SERVER,
    'golens.logLevel': 'debug',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'git.enabled': false,
    'editor.hover.delay': 100,
    'editor.minimap.enabled': false,
    // The settings check types JSON into settings.json: nothing may be auto-inserted.
    'editor.autoClosingBrackets': 'never',
    'editor.autoClosingQuotes': 'never',
    'editor.autoIndent': 'none',
    'window.commandCenter': false,
    'chat.commandCenter.enabled': false,
    'workbench.colorTheme': 'Default Dark Modern',
    // E2E_LSP_TRACE=messages|verbose puts the LSP traffic in golens-output-*.log for debugging.
    'golens.lsp.trace.server': process.env.E2E_LSP_TRACE || 'off',
    ...extra,
  };
  fs.mkdirSync(path.join(userDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
}

async function shot(page, name, clip) {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, clip });
  console.log(`[e2e] screenshot ${file}`);
}

/** A clip around an element, padded, kept inside the viewport. */
async function around(page, locator, pad) {
  const box = await locator.boundingBox();
  const vp = page.viewportSize();
  const x = Math.max(0, box.x - pad.left);
  const y = Math.max(0, box.y - pad.top);
  return {
    x, y,
    width: Math.min(vp.width - x, box.width + pad.left + pad.right),
    height: Math.min(vp.height - y, box.height + pad.top + pad.bottom),
  };
}

/** The smallest clip holding all the given parts of the workbench. */
async function union(page, selectors) {
  const boxes = [];
  for (const selector of selectors) {
    boxes.push(await page.locator(selector).first().boundingBox());
  }
  const x = Math.min(...boxes.map((b) => b.x));
  const y = Math.min(...boxes.map((b) => b.y));
  return {
    x, y,
    width: Math.max(...boxes.map((b) => b.x + b.width)) - x,
    height: Math.max(...boxes.map((b) => b.y + b.height)) - y,
  };
}

/** Opens a workspace file through Quick Open (unambiguous where the Explorer has two main.go). */
async function openFile(page, folder, file) {
  const opened = async () => {
    const crumbs = await page.locator('.editor-group-container.active .breadcrumbs-control').first()
      .innerText().catch(() => '');
    return crumbs.includes(folder) && crumbs.includes(file);
  };
  // Quick Open sometimes misses the first keystrokes after an editor switch: try again.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input.input');
    await input.waitFor({ timeout: 10000 });
    await input.fill(`${folder}/${file}`);
    const row = page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: folder }).first();
    try {
      await row.waitFor({ timeout: 5000 });
      await page.keyboard.press('Enter');
      await waitFor(`${folder}/${file} in the editor`, opened, 5000);
      return;
    } catch (error) {
      if (attempt === 3) {
        throw error;
      }
    }
  }
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ timeout: 10000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ timeout: 10000 });
  await page.keyboard.press('Enter');
}

async function statusItem(page) {
  // Extension status items carry the extension-qualified id of the StatusBarItem.
  return page.locator('.statusbar-item[id$="golens.status"]');
}

/** A code-server + Chromium session on a copy of the fixture workspace. */
async function openSession(name, { trusted, workspaceSettings, userSettings = {}, prepare, vsix = VSIX }) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `golens-vscode-e2e-${name}-`));
  const userDir = path.join(root, 'user');
  const extDir = path.join(root, 'extensions');
  // code-server writes config.yaml under XDG_CONFIG_HOME on every start: keep it in the temp dir.
  const env = { ...process.env, XDG_CONFIG_HOME: path.join(root, 'config'), XDG_DATA_HOME: path.join(root, 'data') };
  delete env.VSCODE_IPC_HOOK_CLI;
  const ws = setUpWorkspace(root);
  if (prepare) {
    prepare(ws, env);
  }
  if (workspaceSettings) {
    fs.mkdirSync(path.join(ws, '.vscode'));
    fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify(workspaceSettings, null, 2));
  }
  writeUserSettings(userDir, {
    ...(trusted ? {} : {
      'security.workspace.trust.enabled': true,
      'security.workspace.trust.startupPrompt': 'never',
      'security.workspace.trust.banner': 'always',
    }),
    ...userSettings,
  });
  const session = { name, root, ws, userDir, codeServer: undefined, browser: undefined, page: undefined };
  execFileSync(CODE_SERVER, ['--user-data-dir', userDir, '--extensions-dir', extDir, '--install-extension', vsix],
    { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
  const listed = execFileSync(CODE_SERVER, ['--user-data-dir', userDir, '--extensions-dir', extDir, '--list-extensions', '--show-versions'],
    { env, encoding: 'utf8', timeout: 60000 });
  if (!/^golens\.golens@/m.test(listed)) {
    throw new Error(`the vsix did not install: --list-extensions says\n${listed}`);
  }
  mark(`[${name}] installed ${path.basename(vsix)}: ${listed.trim()}`);

  const port = await freePort();
  const log = fs.openSync(path.join(ARTIFACTS, `code-server-${name}.log`), 'w');
  session.codeServer = spawn(CODE_SERVER, [
    '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--user-data-dir', userDir, '--extensions-dir', extDir,
    '--disable-telemetry', '--disable-update-check',
    ...(trusted ? ['--disable-workspace-trust'] : []),
    '--disable-getting-started-override', '--ignore-last-opened', ws,
  ], { env, stdio: ['ignore', log, log], detached: true });
  const base = `http://127.0.0.1:${port}`;
  await waitFor('code-server /healthz', () => healthy(`${base}/healthz`), 60000);
  mark(`[${name}] code-server listening on ${port}`);

  session.browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const page = await session.browser.newPage({ viewport: { width: 1280, height: 800 } });
  session.page = page;
  session.consoleErrors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') session.consoleErrors.push(msg.text()); });
  await page.goto(`${base}/?folder=${encodeURIComponent(ws)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
  mark(`[${name}] workbench loaded`);
  return session;
}

async function closeSession(session, failed) {
  if (session.page && failed) {
    await session.page.screenshot({ path: path.join(ARTIFACTS, `failure-${session.name}.png`) }).catch(() => undefined);
  }
  if (session.browser) {
    await session.browser.close().catch(() => undefined);
  }
  const cs = session.codeServer;
  if (cs && cs.exitCode === null) {
    // Its process group: code-server forks the extension host and the golens server.
    try { process.kill(-cs.pid, 'SIGTERM'); } catch { /* already gone */ }
    await new Promise((r) => setTimeout(r, 500));
    try { process.kill(-cs.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  const extensionLog = findExtensionLog(session.userDir);
  if (extensionLog) {
    fs.copyFileSync(extensionLog, path.join(ARTIFACTS, `golens-output-${session.name}.log`));
  }
  fs.rmSync(session.root, { recursive: true, force: true });
  return extensionLog ? fs.readFileSync(path.join(ARTIFACTS, `golens-output-${session.name}.log`), 'utf8') : '';
}

const results = [];

/** Replaces the text of the user settings.json through the editor, as a person would. */
async function editUserSettings(page, text) {
  await runCommand(page, 'Preferences: Open User Settings (JSON)');
  await page.locator('.tabs-container .tab.active:has-text("settings.json")').waitFor({ timeout: 15000 });
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  // insertText types no keys, so no auto-closed brackets or quotes get in the way; one line, so
  // no auto-indent either.
  await page.keyboard.insertText(JSON.stringify(JSON.parse(text)));
  const typed = (await editorText(page)).trim();
  if (typed !== JSON.stringify(JSON.parse(text))) {
    throw new Error(`settings.json did not take the text as typed: ${typed}`);
  }
  await page.keyboard.press('Control+S');
  await page.locator('.tabs-container .tab.active.dirty').waitFor({ state: 'detached', timeout: 10000 });
}

/** Settings changes reach the running server: severity error turns the squiggle red and back. */
async function checkLiveSettings(session) {
  const page = session.page;
  const file = path.join(session.userDir, 'User', 'settings.json');
  const original = fs.readFileSync(file, 'utf8');
  const problems = async () => (await page.locator('#status\\.problems').getAttribute('aria-label')) || '';
  await editUserSettings(page, JSON.stringify({ ...JSON.parse(original), 'golens.severity': { GL201: 'error' } }, null, 2));
  // The label lists only the non-zero counts.
  await waitFor('status bar "Errors: 1" alone', async () => (await problems()) === 'Errors: 1', 20000)
    .catch(async (e) => { throw new Error(`${e.message}; it says ${JSON.stringify(await problems())}`); });
  await openFile(page, 'lostcancel', 'main.go');
  await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 10000 });
  await editUserSettings(page, original);
  await waitFor('status bar "Warnings: 1" alone again', async () => (await problems()) === 'Warnings: 1', 20000)
    .catch(async (e) => { throw new Error(`${e.message}; it says ${JSON.stringify(await problems())}`); });
  await openFile(page, 'lostcancel', 'main.go');
  await page.locator('.monaco-editor .squiggly-warning').first().waitFor({ timeout: 10000 });
  results.push('settings: golens.severity edited in settings.json applied live (warning -> error -> warning)');
  mark('live settings change checked');
}

async function trustedSession() {
  const session = await openSession('trusted', { trusted: true });
  let failed = true;
  try {
    const page = session.page;
    // --- static diagnostic: squiggle + Problems --------------------------------------------------
    await openFile(page, 'lostcancel', 'main.go');
    mark('lostcancel/main.go open');
    const squiggle = page.locator('.monaco-editor .squiggly-warning').first();
    await squiggle.waitFor({ timeout: 60000 });
    mark('squiggle shown');
    const problemsLabel = await page.locator('#status\\.problems').getAttribute('aria-label');
    if (!/Warnings: 1\b/.test(problemsLabel || '')) {
      throw new Error(`status bar problems: expected "Warnings: 1", got ${JSON.stringify(problemsLabel)}`);
    }
    await page.keyboard.press('Control+Shift+M');
    const problemRow = page.locator('.markers-panel .monaco-list-row', { hasText: 'GL201' }).first();
    await problemRow.waitFor({ timeout: 15000 });
    const problemText = (await problemRow.innerText()).replace(/\s+/g, ' ');
    if (!problemText.includes('cancel function returned by context.WithTimeout is discarded') || !/golens/.test(problemText)) {
      throw new Error(`Problems entry lacks the message or source: ${problemText}`);
    }
    results.push(`problems: ${problemText.trim()}`);
    await shot(page, 'diagnostic', await union(page, ['.part.editor', '.part.panel']));
    mark('Problems entry checked');
    await page.keyboard.press('Control+Shift+M'); // close the panel again: more room for the hover

    // The `_` on line 9 is the whole flagged range: its position and width check the UTF-16 columns.
    const sqBox = await squiggle.boundingBox();
    const charWidth = await page.evaluate(() => {
      const span = document.querySelector('.monaco-editor .view-line span span');
      return span ? span.getBoundingClientRect().width / span.textContent.length : 0;
    });
    if (!(sqBox.width > 0.5 * charWidth && sqBox.width < 1.5 * charWidth)) {
      throw new Error(`squiggle is ${sqBox.width}px wide, expected one character (${charWidth}px)`);
    }

    // --- hover ----------------------------------------------------------------------------------
    // Decorations sit under the text layer, so Playwright's hover() never sees them as
    // actionable: move the mouse to the squiggle's centre instead.
    await page.mouse.move(sqBox.x + sqBox.width / 2, sqBox.y + sqBox.height / 2);
    const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'GL201' }).first();
    await hover.waitFor({ timeout: 15000 });
    // The diagnostic part shows first; the server's part replaces "Loading..." when it arrives.
    const expectedHover = ['The cancel function of a derived context is lost', 'lost-cancel', 'Fix:', 'defer cancel()',
      'GL201 documentation'];
    let hoverText = '';
    try {
      await waitFor('the server hover', async () => {
        hoverText = (await hover.innerText()).replace(/\s+/g, ' ');
        return expectedHover.every((e) => hoverText.includes(e));
      }, 15000);
    } catch {
      throw new Error(`hover lacks ${JSON.stringify(expectedHover.filter((e) => !hoverText.includes(e)))}: ${hoverText}`);
    }
    if (/Why is this bad/.test(hoverText)) {
      throw new Error(`the hover repeats the rule page instead of linking it: ${hoverText}`);
    }
    results.push('hover: rule title, short fix and a link to the page shown');
    await shot(page, 'hover', await around(page, hover, { left: 80, top: 60, right: 40, bottom: 60 }));
    mark('hover checked');

    // The hover's link opens the rule's page rendered (golens explain), not the Markdown file.
    await hover.locator('a', { hasText: 'GL201 documentation' }).first().click({ timeout: 10000 });
    const rulePreview = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame').locator('body');
    await waitFor('the GL201 page rendered in the Markdown preview', async () => {
      const text = await rulePreview.innerText({ timeout: 2000 }).catch(() => '');
      return /GL201/.test(text) && /Why is this bad\?/.test(text);
    }, 20000);
    const tabs = (await page.locator('.tabs-container .tab').allInnerTexts()).join(' | ');
    if (/GL201-lost-cancel\.md/.test(tabs)) {
      throw new Error(`the rule's Markdown file was opened as a file: ${tabs}`);
    }
    results.push(`rule link: the GL201 page opened rendered (tabs: ${tabs.replace(/\s+/g, ' ')})`);
    // Close the page with the mouse: keys would go to the preview's webview, not the workbench.
    const ruleTab = page.locator('.tabs-container .tab', { hasText: 'GL201' }).first();
    await ruleTab.hover();
    await ruleTab.locator('.tab-actions .codicon-close').first().click();
    await ruleTab.waitFor({ state: 'detached', timeout: 10000 });
    await page.locator('.tabs-container .tab', { hasText: 'main.go' }).first().click();
    await openFile(page, 'lostcancel', 'main.go');
    mark('rule link checked');
    await page.mouse.move(5, 400);
    await page.keyboard.press('Escape');

    // --- status bar -------------------------------------------------------------------------------
    const status = await statusItem(page);
    await status.waitFor({ timeout: 15000 });
    await waitFor('status bar "golens: no trace" or a loaded trace',
      async () => /golens: no trace|\.trace/.test(await status.innerText()), 15000);
    results.push(`status bar: ${(await status.innerText()).trim()}`);

    await checkLiveSettings(session);

    // --- quick fix --------------------------------------------------------------------------------
    if (RUN_QUICKFIX) {
      const before = await editorText(page);
      await page.mouse.click(sqBox.x + sqBox.width / 2, sqBox.y + sqBox.height / 2);
      await page.keyboard.press('Control+.');
      const widget = page.locator('.action-widget');
      await widget.waitFor({ timeout: 15000 });
      const rows = widget.locator('.monaco-list-row.action');
      await rows.first().waitFor({ timeout: 15000 });
      const titles = (await rows.allInnerTexts()).map((t) => t.trim());
      // The fix itself, not "suppress this finding".
      const index = titles.findIndex((t) => /cancel/i.test(t) && !/ignore|suppress|disable/i.test(t));
      if (index < 0) {
        throw new Error(`no fix for GL201 among the code actions: ${JSON.stringify(titles)}`);
      }
      await shot(page, 'quickfix-menu', await around(page, widget, { left: 120, top: 80, right: 60, bottom: 20 }));
      // Rows do not take Playwright clicks; the first is focused: walk down to ours.
      for (let i = 0; i < index; i++) {
        await page.keyboard.press('ArrowDown');
      }
      await page.keyboard.press('Enter');
      await waitFor('the fix to change the text', async () => (await editorText(page)) !== before, 10000);
      await squiggle.waitFor({ state: 'detached', timeout: 15000 });
      const after = await editorText(page);
      if (!/ctx, cancel := context\.WithTimeout/.test(after) || !/defer cancel\(\)/.test(after)) {
        throw new Error(`the fix did not name and defer the cancel function:\n${after}`);
      }
      await waitFor('status bar problems back to none',
        async () => !/Warnings|Errors/.test(await page.locator('#status\\.problems').getAttribute('aria-label') || ''), 10000);
      results.push(`quick fix "${titles[index]}" applied; squiggle and Problems entry cleared`);
      await shot(page, 'quickfix-applied');
      mark('quick fix checked');
    }

    // --- trace --------------------------------------------------------------------------------
    if (RUN_TRACE) {
      const tracePath = path.join(session.ws, 'handler_leak', 'go1.27.trace');
      await runCommand(page, 'golens: Load Trace');
      // VS Code's own file dialog in the browser: a quick input holding a path.
      const pathInput = page.locator('.quick-input-widget input.input');
      await pathInput.waitFor({ timeout: 10000 });
      // The dialog fills in its default folder and lists it asynchronously; typing before that
      // lands in the middle of its own update ("…/workspace//tmp/…"). Wait for that state.
      const row = (name) => page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first();
      await waitFor('the file dialog to show the workspace folder', async () =>
        (await pathInput.inputValue()) === session.ws + path.sep && await row('handler_leak').isVisible(), 15000)
        .catch(async (e) => { throw new Error(`${e.message}; it holds ${await pathInput.inputValue()}`); });
      // The dialog completes and navigates as the path changes: type it, let it settle on the
      // file (its row listed, the input holding the whole path), then accept.
      await pathInput.fill(path.dirname(tracePath) + path.sep);
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'go1.27.trace' }).first()
        .waitFor({ timeout: 10000 });
      await pathInput.pressSequentially(path.basename(tracePath), { delay: 20 });
      await waitFor('the dialog to hold the trace path', async () => (await pathInput.inputValue()) === tracePath, 10000)
        .catch(async (e) => { throw new Error(`${e.message}; it holds ${await pathInput.inputValue()}`); });
      await page.keyboard.press('Enter');
      await waitFor('the status bar to show the loaded trace',
        async () => /go1\.27\.trace/.test(await status.innerText()), 30000);
      results.push(`status bar after loading: ${(await status.innerText()).trim()}`);
      mark('trace loaded');

      // The evidence reaches the editor: a hover at the leaking `go` statement shows it. The
      // server parses in the background, so hover again until it has.
      await openFile(page, 'handler_leak', 'main.go');
      const word = page.locator('.monaco-editor .view-line', { hasText: 'go refreshCache(r.URL.Path)' })
        .locator('span span', { hasText: /^refreshCache$/ }).first();
      await word.waitFor({ timeout: 15000 });
      let traceHover = '';
      await waitFor('a hover with the trace evidence', async () => {
        await page.mouse.move(5, 400);
        await page.keyboard.press('Escape');
        const box = await word.boundingBox();
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        const h = page.locator('.monaco-hover:not(.hidden)').first();
        try {
          await h.waitFor({ timeout: 3000 });
          await new Promise((r) => setTimeout(r, 500));
          traceHover = (await h.innerText()).replace(/\s+/g, ' ');
        } catch {
          traceHover = '';
        }
        return /Trace evidence/.test(traceHover) && traceHover.includes('go1.27.trace');
      }, 45000).catch((e) => { throw new Error(`${e.message}; last hover: ${traceHover}`); });
      results.push(`trace hover: ${traceHover.slice(0, 160)}…`);
      await shot(page, 'trace-hover', await around(page, page.locator('.monaco-hover:not(.hidden)').first(),
        { left: 60, top: 40, right: 40, bottom: 40 }));
      await page.mouse.move(5, 400);
      await page.keyboard.press('Escape');
      await shot(page, 'trace-status');
      mark('trace hover checked');

      // A click on the status bar item opens the summary in the Markdown preview.
      await status.click();
      await page.locator('.tabs-container .tab.active', { hasText: /Preview/ }).waitFor({ timeout: 15000 });
      const preview = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame').locator('body');
      await waitFor('the trace summary in the preview', async () => {
        const text = await preview.innerText({ timeout: 2000 }).catch(() => '');
        return /golens trace summary/i.test(text) && /goroutine/i.test(text);
      }, 20000);
      await shot(page, 'trace-summary');
      results.push('trace summary opened from the status bar');
      mark('trace summary checked');

      // The trace report in a webview beside the code: the rows and nanoseconds golens trace prints.
      await runCommand(page, 'golens: Show Trace Report');
      let reportFrame = null;
      await waitFor('the trace report webview', async () => {
        for (const frame of page.frames()) {
          if ((await frame.$$('#findings tbody tr').catch(() => [])).length) {
            reportFrame = frame;
            return true;
          }
        }
        return false;
      }, 120000);
      const shown = await reportFrame.$$eval('#findings tbody tr', (trs) => trs.map((tr) =>
        `${tr.cells[0].textContent} ${tr.querySelector('.loc').dataset.line} ${tr.cells[4].dataset.ns}`));
      const cli = spawnSync(GOLENS_SERVER, ['trace', tracePath, '--root', session.ws, '--format', 'json'],
        { encoding: 'utf8', timeout: 120000 });
      const expected = JSON.parse(cli.stdout).findings.map((f) =>
        `${f.rule} ${f.start.line} ${(f.evidence.blocked || {}).total_ns || f.evidence.total_ns || 0}`);
      if (JSON.stringify(shown) !== JSON.stringify(expected)) {
        throw new Error(`the report's findings differ from golens trace:\n${shown.join('\n')}\nvs\n${expected.join('\n')}`);
      }
      const firstGroup = await reportFrame.$eval('#timeline .tl-row.leaked', (row) => row.dataset.label);
      await shot(page, 'trace-report');
      results.push(`trace report webview: ${shown.length} findings as golens trace prints them; first group ${firstGroup}`);
      mark('trace report checked');
    }

    if (!RUN_TRACE) {
      // A server without the trace commands: each says so, nothing fails silently.
      const toast = (command) => page.locator('.notification-toast', { hasText: `lacks ${command})` }).first();
      await status.click();
      await toast('golens.showTraceSummary').waitFor({ timeout: 15000 });
      await runCommand(page, 'golens: Load Trace');
      await toast('golens.loadTrace').waitFor({ timeout: 15000 });
      if (await page.locator('.quick-input-widget input.input').isVisible()) {
        throw new Error('a file picker opened for a server that cannot load traces');
      }
      await shot(page, 'trace-unsupported');
      results.push('trace commands: the server lacks them and both the status bar click and Load Trace say so');
      mark('unsupported trace commands checked');
    }

    if (session.consoleErrors.some((e) => /golens/i.test(e))) {
      throw new Error(`browser console errors mention golens:\n${session.consoleErrors.join('\n')}`);
    }
    failed = false;
  } finally {
    const output = await closeSession(session, failed);
    if (!failed) {
      // Settings changes must not have restarted the server.
      const starts = (output.match(/starting golens /g) || []).length;
      if (starts !== 1) {
        throw new Error(`the server was started ${starts} times, expected once:\n${output}`);
      }
    }
  }
}

/** PATH without any directory holding a `golens` program. */
function pathWithoutGolens(value) {
  return (value || '').split(path.delimiter)
    .filter((dir) => dir !== '' && !fs.existsSync(path.join(dir, 'golens')))
    .join(path.delimiter);
}

/** Restricted Mode: a server path from the workspace's settings is not run; static checks are.
 * The workspace also carries its own `golens` Python package, and the server is found as
 * `python -m golens` (golens.server.python in the user settings, nothing on PATH): Python must
 * import the installed golens, never the folder's. */
async function untrustedSession() {
  const marker = path.join(os.tmpdir(), `golens-e2e-untrusted-ran-${process.pid}`);
  fs.rmSync(marker, { force: true });
  const hostileMarker = path.join(os.tmpdir(), `golens-e2e-hostile-package-ran-${process.pid}`);
  fs.rmSync(hostileMarker, { force: true });
  const evil = path.join(os.tmpdir(), `golens-e2e-evil-${process.pid}.sh`);
  fs.writeFileSync(evil, `#!/bin/sh\ntouch '${marker}'\necho golens 6.6.6\n`, { mode: 0o755 });
  const session = await openSession('untrusted', {
    trusted: false,
    workspaceSettings: { 'golens.server.path': evil, 'golens.trace.autoLoad': true },
    userSettings: { 'golens.server.path': '', 'golens.server.python': GOLENS_PYTHON },
    prepare: (ws, env) => {
      const payload = `open(${JSON.stringify(hostileMarker)}, "a").write(__name__ + "\\n")\nprint("golens 6.6.6")\n`;
      for (const pkg of ['golens', 'multiprocessing']) {
        fs.mkdirSync(path.join(ws, pkg));
        fs.writeFileSync(path.join(ws, pkg, '__init__.py'), payload);
        fs.writeFileSync(path.join(ws, pkg, '__main__.py'), payload);
      }
      env.PATH = pathWithoutGolens(env.PATH);
      delete env.PYTHONSAFEPATH;
    },
  });
  let failed = true;
  try {
    const page = session.page;
    await openFile(page, 'lostcancel', 'main.go');
    await page.locator('.monaco-editor .squiggly-warning').first().waitFor({ timeout: 60000 });
    const status = await statusItem(page);
    await waitFor('status bar "static only"', async () => /static only/.test(await status.innerText()), 15000);
    await shot(page, 'untrusted');
    await shot(page, 'untrusted-statusbar', await around(page, status, { left: 240, top: 4, right: 140, bottom: 4 }));
    if (fs.existsSync(marker)) {
      throw new Error('the server path from the untrusted workspace settings was run');
    }
    if (fs.existsSync(hostileMarker)) {
      throw new Error(`the workspace's own golens package ran: ${fs.readFileSync(hostileMarker, 'utf8')}`);
    }
    results.push('restricted mode: python -m golens found the installed golens, the workspace\'s golens/ never ran');
    results.push(`restricted mode: static diagnostics shown, status "${(await status.innerText()).trim()}", workspace server.path not run`);
    if (RUN_TRACE) {
      // The workspace holds a trace and asks for auto-loading; in Restricted Mode the extension
      // sends trace.autoLoad=false and trusted=false, and no trace evidence may appear. The
      // trusted session shows evidence within a few seconds, so 10 s of none is a real "none".
      await openFile(page, 'handler_leak', 'main.go');
      await page.locator('.monaco-editor .squiggly-warning, .monaco-editor .squiggly-info').first().waitFor({ timeout: 30000 });
      await new Promise((r) => setTimeout(r, 10000));
      await page.keyboard.press('Control+Shift+M');
      await page.locator('.markers-panel .monaco-list-row').first().waitFor({ timeout: 15000 });
      const rows = (await page.locator('.markers-panel .monaco-list-row').allInnerTexts()).join('\n');
      if (/golens-trace|GT\d{3}|— trace:/.test(rows)) {
        throw new Error('Restricted Mode: trace evidence appeared although the extension sent trace.autoLoad=false and '
          + `trusted=false (the server must honour them):\n${rows}`);
      }
      await shot(page, 'untrusted-no-trace');
      results.push('restricted mode: no trace evidence although the workspace has a trace');
    }
    mark('[untrusted] checked');
    failed = false;
  } finally {
    await closeSession(session, failed);
    fs.rmSync(evil, { force: true });
    fs.rmSync(marker, { force: true });
    const ranLate = fs.existsSync(hostileMarker);
    fs.rmSync(hostileMarker, { force: true });
    if (ranLate && !failed) {
      // Also after the session: a restart or a trace parse child may have come later.
      throw new Error('the workspace\'s own golens package ran during the untrusted session');
    }
  }
}

/** The platform .vsix alone: a fresh profile, no golens on PATH, no server setting. The
 * extension makes its venv from the bundled wheels (offline) and the finding appears. */
async function bundledSession() {
  const session = await openSession('bundled', {
    trusted: true,
    vsix: VSIX_BUNDLED,
    userSettings: { 'golens.server.path': '' },
    prepare: (_ws, env) => {
      env.PATH = pathWithoutGolens(env.PATH);
      // No index to reach: the install must come from the wheels in the .vsix.
      env.PIP_NO_INDEX = '1';
      env.PIP_INDEX_URL = 'http://127.0.0.1:9/unreachable';
    },
  });
  let failed = true;
  let output = '';
  try {
    const page = session.page;
    await openFile(page, 'lostcancel', 'main.go');
    await page.locator('.monaco-editor .squiggly-warning').first().waitFor({ timeout: 120000 });
    mark('[bundled] squiggle shown');
    failed = false;
  } finally {
    output = await closeSession(session, failed);
  }
  if (!/installed the bundled server into /.test(output) || !/found via bundled/.test(output)) {
    throw new Error(`the server did not come from the bundled wheels:\n${output}`);
  }
  results.push(`bundled: ${path.basename(VSIX_BUNDLED)} alone (no golens on PATH) installed its server and showed GL201`);
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const old of fs.readdirSync(ARTIFACTS)) {
    if (old.endsWith('.png') || old.endsWith('.log')) {
      fs.rmSync(path.join(ARTIFACTS, old));
    }
  }
  try {
    await trustedSession();
    await untrustedSession();
    if (VSIX_BUNDLED) {
      await bundledSession();
    }
  } catch (error) {
    console.error(`[e2e] FAILED: ${error && error.stack ? error.stack : error}`);
    process.exitCode = 1;
  }
  mark('done');
  for (const r of results) {
    console.log(`[e2e] ok: ${r}`);
  }
  console.log(`[e2e] timings: ${timings.join('; ')}`);
  console.log(`[e2e] conditional checks: quickfix=${RUN_QUICKFIX ? 'ran' : 'skipped'} trace=${RUN_TRACE ? 'ran' : 'skipped'}`
    + ` bundled=${VSIX_BUNDLED ? 'ran' : 'skipped'}`);
  console.log(process.exitCode ? 'e2e: FAILED' : 'e2e: PASSED');
}

/** The golens output channel as the extension host logged it (for the failure report). */
function findExtensionLog(userDir) {
  const logs = path.join(userDir, 'logs');
  if (!fs.existsSync(logs)) {
    return undefined;
  }
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (/golens/i.test(entry.name) && entry.name.endsWith('.log')) {
        found.push(full);
      }
    }
  };
  walk(logs);
  return found.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
