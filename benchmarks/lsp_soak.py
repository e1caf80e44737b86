"""Soak tests of the language server: nothing drifts, nothing grows, nothing stalls.

    python benchmarks/lsp_soak.py [--edits 100000] [--changes 100000] [--nesting 400 1500 1000]

edits       random edit sequences (CRLF, lone CR, astral characters, past-end columns, columns
            inside characters, 1-3 changes per didChange, all three position encodings) through
            the server's protocol in-process; after every notification the server's text is
            compared with a client model written from the spec (tests/lsp/client_model.py), and
            after each document's 200 notifications its diagnostics with a fresh open's. Target: 0
            divergences in >= 100,000 edits.
memory      didChange notifications (insert, then delete, a character) through the protocol;
            RSS before and after. Target: growth < 20 MB for 100,000.
check       the engine alone on each pathological file below: seconds, findings and rule
            crashes (target: well under 2 s each, 0 crashes).
stall       the real `golens serve` over stdio: a pathological file (N nested `for { select {`,
            N nested `go func() {`, N functions, N nested blocks under a held lock; the functions
            take longer than the default per-file budget and are stopped) is opened and, while it
            is checked, hover requests on another file are sent every 10 ms; prints the worst
            latency of those unrelated requests (target < 100 ms) and whether the file's check
            lost findings to a crash.
"""

import argparse
import asyncio
import gc
import random
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import BaseLanguageClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lsp"))
from client_model import (  # noqa: E402
    BASE,
    Change,
    InProcessSession,
    apply,
    random_changes,
    run_in_loop,
)

SERVER = [sys.executable, "-m", "golens", "serve"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def soak_edits(total_edits: int, seed: int) -> dict:
    """Random edits until `total_edits` changes were applied; counts divergent documents."""
    rng = random.Random(seed)
    edits = notifications = documents = divergent = diagnostic_checks = 0
    first_failure = None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)

        def run() -> None:
            nonlocal edits, notifications, documents, divergent, diagnostic_checks, first_failure
            while edits < total_edits:
                encoding = ("utf-16", "utf-8", "utf-32")[documents % 3]
                session = InProcessSession(encoding)
                session.initialize(root.as_uri())
                for _ in range(20):  # documents per server
                    documents += 1
                    uri = (root / f"d{documents}.go").as_uri()
                    text = BASE
                    session.open(uri, text)
                    diverged = False
                    for version in range(2, 202):
                        changes = random_changes(rng, text, encoding)
                        for change in changes:
                            text = apply(text, change, encoding)
                        session.change(uri, version, changes)
                        notifications += 1
                        edits += len(changes)
                        if not diverged and session.text(uri) != text:
                            diverged = True
                            first_failure = first_failure or (encoding, documents, version)
                        if version == 201:
                            fresh = (root / f"fresh{documents}.go").as_uri()
                            session.open(fresh, text)
                            diagnostic_checks += 1
                            if session.diagnostics(uri) != session.diagnostics(fresh):
                                diverged = True
                                first_failure = first_failure or (encoding, documents, version, "diagnostics")
                            session.close(fresh)
                    divergent += diverged
                    session.close(uri)
                    if edits >= total_edits:
                        return

        started = time.perf_counter()
        run_in_loop(run)
        seconds = time.perf_counter() - started
    return {"edits": edits, "notifications": notifications, "documents": documents,
            "diagnostic_comparisons": diagnostic_checks, "divergent_documents": divergent,
            "first_failure": first_failure, "seconds": seconds}


def soak_memory(changes: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        result: dict = {}

        async def run() -> None:
            session = InProcessSession("utf-16")
            session.initialize(root.as_uri())
            uri = (root / "a.go").as_uri()
            session.open(uri, BASE)
            insert = Change((9, 1), (9, 1), "x")
            delete = Change((9, 1), (9, 2), "")
            warmup = min(2000, changes // 10)
            before = 0.0
            for n in range(changes + warmup):
                if n == warmup:
                    gc.collect()
                    before = rss_mb()
                session.change(uri, n + 2, [insert if n % 2 == 0 else delete])
                if n % 100 == 0:
                    await asyncio.sleep(0)  # let the scheduled diagnostics run, as a client's pauses would
            await asyncio.sleep(0.05)
            gc.collect()
            result.update(changes=changes, rss_before_mb=before, rss_after_mb=rss_mb(),
                          request_futures=len(session.server.protocol._request_futures))

        started = time.perf_counter()
        asyncio.run(run())
        result["seconds"] = time.perf_counter() - started
        result["growth_mb"] = result["rss_after_mb"] - result["rss_before_mb"]
    return result


PATHOLOGICAL = {
    "nested for/select": lambda n: "package p\n\nfunc f(c chan int) {\n" + "for {\nselect {\ncase <-c:\n" * n
    + "}\n}\n" * n + "}\n",
    "nested go func": lambda n: "package p\n\nfunc f() {\n" + "go func() {\n" * n + "}()\n" * n + "}\n",
    "many functions": lambda n: "package p\n\nimport (\n\t\"context\"\n\t\"sync\"\n)\n\n" + "".join(
        f"func f{i}(ctx context.Context, c chan int, mu *sync.Mutex) {{\n\tmu.Lock()\n\tdefer mu.Unlock()\n\tfor {{\n"
        "\t\tselect {\n\t\tcase <-ctx.Done():\n\t\t\treturn\n\t\tcase v := <-c:\n\t\t\tgo func() { c <- v }()\n"
        "\t\t}\n\t}\n}\n\n" for i in range(n)),
    "nested blocks under a lock": lambda n: (
        "package p\n\nimport (\n\t\"context\"\n\t\"sync\"\n)\n\nvar mu sync.Mutex\n\nfunc f(ch chan int) {\n\tmu.Lock()\n"
        + "{\n" * n + "ctx, _ := context.WithCancel(context.Background())\n_ = ctx\nch <- 1\nmu.Lock()\n" + "}\n" * n + "}\n"),
}


def check_pathological(name: str, nesting: int) -> dict:
    from golens.document import Document
    from golens.engine import Engine

    engine = Engine()
    engine.check(Document(b"package p\n", "warm.go"))  # rule modules imported outside the timing
    source = PATHOLOGICAL[name](nesting).encode()
    started = time.perf_counter()
    result = engine.check(Document(source, "big.go"))
    return {"file": name, "nesting": nesting, "bytes": len(source), "seconds": time.perf_counter() - started,
            "findings": sorted({f.rule for f in result.findings}), "crashes": [f.rule for f in result.failures]}


class Client(BaseLanguageClient):
    def __init__(self) -> None:
        super().__init__("golens-soak", "1")
        self.published: dict[str, asyncio.Future] = {}
        self.logs: list[str] = []

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            future = self.published.get(params.uri)
            if future is not None and not future.done():
                future.set_result(params)

        @self.feature(types.WINDOW_LOG_MESSAGE)
        def logged(params: types.LogMessageParams) -> None:
            self.logs.append(params.message)

        @self.feature("golens/traceStatus")
        def trace_status(params: object) -> None:
            pass


async def stall(name: str, nesting: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "go.mod").write_text("module example.com/soak\n\ngo 1.22\n")
        small = root / "small.go"
        small.write_text(BASE)
        big = root / "big.go"
        big.write_text(PATHOLOGICAL[name](nesting))
        client = Client()
        await client.start_io(*SERVER)
        try:
            await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(),
                                                                 root_uri=root.as_uri()))
            client.initialized(types.InitializedParams())
            client.published[small.as_uri()] = asyncio.get_running_loop().create_future()
            client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
                uri=small.as_uri(), language_id="go", version=1, text=BASE)))
            await asyncio.wait_for(client.published[small.as_uri()], 30)
            done = client.published[big.as_uri()] = asyncio.get_running_loop().create_future()
            started = time.perf_counter()
            client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
                uri=big.as_uri(), language_id="go", version=1, text=big.read_text())))
            worst = first = 0.0
            hovers = 0
            while not done.done():
                sent = time.perf_counter()
                await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
                    text_document=types.TextDocumentIdentifier(uri=small.as_uri()),
                    position=types.Position(line=8, character=30))), 600)
                if hovers == 0:
                    # Queued behind the didOpen, which parses the whole file on the event loop.
                    first = time.perf_counter() - sent
                else:
                    worst = max(worst, time.perf_counter() - sent)
                hovers += 1
                await asyncio.sleep(0.01)
            check_seconds = time.perf_counter() - started
            crashed = [line for line in client.logs if "crashed" in line or "failed" in line]
            stopped = any("checkBudgetMs" in line for line in client.logs)
            await client.shutdown_async(None)
            client.exit(None)
        finally:
            await client.stop()
    return {"file": name, "nesting": nesting, "bytes": len(PATHOLOGICAL[name](nesting)),
            "check_s": check_seconds, "hovers": hovers, "worst_hover_ms": worst * 1000, "first_hover_ms": first * 1000,
            "rules_crashed": len(crashed), "stopped": stopped}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=100_000)
    parser.add_argument("--nesting", type=int, nargs=4, default=[400, 5000, 8000, 2000],
                        metavar=("SELECT", "GO", "FUNCTIONS", "LOCK"))
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--only", choices=("edits", "memory", "check", "stall"))
    args = parser.parse_args()
    status = 0
    if args.only in (None, "edits"):
        r = soak_edits(args.edits, args.seed)
        print(f"edits: {r['edits']} edits in {r['notifications']} didChange over {r['documents']} documents, "
              f"{r['diagnostic_comparisons']} diagnostic comparisons: {r['divergent_documents']} divergent documents "
              f"({r['seconds']:.0f} s){'; first: ' + repr(r['first_failure']) if r['first_failure'] else ''}")
        status |= r["divergent_documents"] > 0
    if args.only in (None, "memory"):
        r = soak_memory(args.changes)
        print(f"memory: {r['changes']} didChange: RSS {r['rss_before_mb']:.1f} -> {r['rss_after_mb']:.1f} MB "
              f"(growth {r['growth_mb']:+.1f} MB, target < 20), {r['request_futures']} futures left "
              f"({r['seconds']:.0f} s)")
        status |= r["growth_mb"] >= 20
    if args.only in (None, "check"):
        for name, nesting in zip(PATHOLOGICAL, args.nesting, strict=True):
            r = check_pathological(name, nesting)
            print(f"check: {r['file']} x{r['nesting']} ({r['bytes'] // 1024} KB): {r['seconds']:.2f} s, "
                  f"findings {', '.join(r['findings']) or 'none'}; {len(r['crashes'])} rule crashes")
            status |= bool(r["crashes"])
    if args.only in (None, "stall"):
        for name, nesting in zip(PATHOLOGICAL, args.nesting, strict=True):
            r = asyncio.run(stall(name, nesting))
            print(f"stall: {r['file']} x{r['nesting']} ({r['bytes'] // 1024} KB): checked in {r['check_s']:.2f} s; "
                  f"worst unrelated hover during the check {r['worst_hover_ms']:.0f} ms over {r['hovers'] - 1} "
                  f"(target < 100), the first one, behind the open's parse, {r['first_hover_ms']:.0f} ms; "
                  f"{r['rules_crashed']} rule crashes"
                  f"{'; stopped at the per-file budget' if r['stopped'] else ''}")
    return int(status)


if __name__ == "__main__":
    raise SystemExit(main())
