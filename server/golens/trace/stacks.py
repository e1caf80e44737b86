"""Stack frames and the trace-wide table of interned stacks.

Stack IDs on the wire are only meaningful inside one generation; the reader
maps each generation's IDs onto trace-wide IDs here, deduplicating identical
stacks across generations. Trace-wide stack ID 0 means "no stack".
"""

from __future__ import annotations

from typing import NamedTuple


class Frame(NamedTuple):
    """One logical frame (inlined calls are already separate frames)."""

    func: str
    file: str
    line: int
    pc: int

    @property
    def is_bogus(self) -> bool:
        """The runtime writes PC-0 frames with no symbol for some events."""
        return self.pc == 0 and not self.func


class Stack(NamedTuple):
    """A call stack, innermost (leaf) frame first."""

    id: int
    frames: tuple[Frame, ...]

    @property
    def is_bogus(self) -> bool:
        return all(f.is_bogus for f in self.frames)

    @property
    def leaf(self) -> Frame | None:
        return self.frames[0] if self.frames else None

    @property
    def root(self) -> Frame | None:
        return self.frames[-1] if self.frames else None

    def first_frame(self, skip_prefixes: tuple[str, ...] = ("runtime.", "internal/", "sync.", "time.")) -> Frame | None:
        """The innermost frame whose function does not start with a skipped prefix."""
        for f in self.frames:
            if f.func and not f.func.startswith(skip_prefixes):
                return f
        return None


NO_STACK = Stack(0, ())


class StackTable:
    """All distinct stacks of a trace, addressed by trace-wide ID."""

    def __init__(self) -> None:
        self._stacks: list[Stack] = [NO_STACK]
        self._by_frames: dict[tuple[Frame, ...], int] = {(): 0}
        self._frames: dict[tuple[int, str, str, int], Frame] = {}

    def __len__(self) -> int:
        return len(self._stacks) - 1

    def __getitem__(self, stack_id: int) -> Stack:
        return self._stacks[stack_id]

    def get(self, stack_id: int) -> Stack | None:
        """The stack, or ``None`` for ID 0 ("no stack")."""
        return self._stacks[stack_id] if stack_id else None

    def __iter__(self):
        return iter(self._stacks[1:])

    def frame(self, pc: int, func: str, file: str, line: int) -> Frame:
        key = (pc, func, file, line)
        f = self._frames.get(key)
        if f is None:
            f = self._frames[key] = Frame(func, file, line, pc)
        return f

    def intern(self, frames: tuple[Frame, ...]) -> int:
        sid = self._by_frames.get(frames)
        if sid is None:
            sid = len(self._stacks)
            self._stacks.append(Stack(sid, frames))
            self._by_frames[frames] = sid
        return sid
