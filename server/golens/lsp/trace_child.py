"""The trace parser's child process:
`python -I -m golens.lsp.trace_child FD TRACE ROOT THRESHOLDS PARTIAL_EVERY_S`
(started by golens.lsp.trace_parse through golens.childproc)."""

import json
import sys

from golens.childproc import child_connection
from golens.lsp.trace_parse import _parse_in_child


def main(argv: list[str]) -> None:
    connection, (trace_path, root, thresholds, partial_every_s) = child_connection(argv)
    _parse_in_child(connection, trace_path, root, json.loads(thresholds), float(partial_every_s))


if __name__ == "__main__":
    main(sys.argv[1:])
