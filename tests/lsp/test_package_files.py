"""Open documents follow the other files of their package: an edit in another open file, closing
it, and a change on disk reported through workspace/didChangeWatchedFiles re-check and re-publish
the documents whose findings depend on them (golens.lsp.package_files)."""

from pathlib import Path

from lsprotocol import types

from conftest import GolensClient, session

TYPES = """package shop

import "sync"

type Store struct {
	mu    sync.Mutex
	items map[string]int
}
"""

METHODS = """package shop

func (s *Store) Get(k string) int {
	s.mu.Lock()
	if s.items == nil {
		return 0
	}
	v := s.items[k]
	s.mu.Unlock()
	return v
}
"""


def codes(client: GolensClient, uri: str) -> list[tuple[str, int]]:
    published = client.last_published(uri)
    assert published is not None
    return [(str(d.code), d.range.start.line) for d in published.diagnostics]


def publications(client: GolensClient, uri: str) -> int:
    return sum(1 for p in client.published if p.uri == uri)


async def wait_codes(client: GolensClient, uri: str, expected: list[tuple[str, int]]) -> None:
    await client.wait_for(lambda: client.last_published(uri) is not None and codes(client, uri) == expected,
                          f"{uri}: {expected}")


async def test_other_files_of_the_package_recheck_an_open_document(vscode: GolensClient, workspace: Path):
    client = vscode
    await client.wait_for(lambda: any(
        watcher["globPattern"] == "**/*.go"
        for registration in client.registrations if registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        for watcher in registration.register_options["watchers"]), "the **/*.go watcher")
    types_path, methods_path = workspace / "types.go", workspace / "methods.go"
    types_path.write_text(TYPES)
    methods_path.write_text(METHODS)
    types_uri, methods_uri = types_path.as_uri(), methods_path.as_uri()

    client.open(methods_uri, METHODS)
    # s.mu is a mutex by types.go, read from disk: Get returns with it held.
    assert [(d.code, d.range.start.line) for d in await client.get_diagnostics(methods_uri)] == [("GL406", 5)]

    # Typing in the other file: the field is no mutex any more, so methods.go (still version 1)
    # is checked again and its finding withdrawn.
    client.open(types_uri, TYPES)
    await client.get_diagnostics(types_uri)
    before = publications(client, methods_uri)
    client.insert(types_uri, len(TYPES), "\nfunc helper() int {\n\treturn 1\n}\n")  # no fact methods.go reads
    client.replace(types_uri, "sync.Mutex", "int")
    await wait_codes(client, methods_uri, [])
    assert client.last_published(methods_uri).version == 1
    # One publication: the check after the new function found the same list and sent nothing.
    assert publications(client, methods_uri) == before + 1

    # Closed: the package sees types.go as on disk again.
    client.close(types_uri)
    await wait_codes(client, methods_uri, [("GL406", 5)])

    # Changed on disk, reported by the client's watcher.
    types_path.write_text(TYPES.replace("sync.Mutex", "sync.WaitGroup"))
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=types_uri, type=types.FileChangeType.Changed)]))
    await wait_codes(client, methods_uri, [])
    types_path.unlink()
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=types_uri, type=types.FileChangeType.Deleted)]))
    types_path.write_text(TYPES)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=types_uri, type=types.FileChangeType.Created)]))
    await wait_codes(client, methods_uri, [("GL406", 5)])


async def test_workspace_scope_checks_unopened_files_with_their_package(tmp_path: Path):
    (tmp_path / "go.mod").write_text("module example.com/ws\n\ngo 1.22\n")
    (tmp_path / "types.go").write_text(TYPES)
    methods_uri = (tmp_path / "methods.go").as_uri()
    (tmp_path / "methods.go").write_text(METHODS)
    async with session("vscode", tmp_path, settings={"diagnostics": {"scope": "workspace"}}) as client:
        # Nothing is open: s.mu is a mutex only by types.go, read from disk with methods.go.
        await wait_codes(client, methods_uri, [("GL406", 5)])
