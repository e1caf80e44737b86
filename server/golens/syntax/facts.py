"""Facts: what one declaration tells the checks of every other declaration of its package.

A check module may define `summarize(unit) -> Iterable[Fact]`; the engine unions the summaries of
every declaration of the package (open buffers over files on disk, see `golens.package`) into one
`Facts` value, reachable as `unit.file.facts`. Each kind of fact is a named tuple declared here, and
checks ask for one kind at a time (`facts.of(ResetMethod)`): two kinds with equal fields never
compare equal, and the engine can tell which kinds a declaration's checks read, so that a change in
one kind re-checks only the declarations that asked for it.
"""

from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple, TypeVar, cast

# --- the kinds of facts ------------------------------------------------------------------------


class FieldKind(NamedTuple):
    """A struct field whose type has a known kind (MUTEX, WAITGROUP, CTX, ...)."""

    struct: str
    field: str
    kind: str


class FieldType(NamedTuple):
    """A named struct field (`client *conn`) whose type, pointer or not, is a type declared in
    the package: what `r.client.mu` resolves through."""

    struct: str
    field: str
    type: str


class EmbeddedKind(NamedTuple):
    """A struct embeds a sync primitive: its methods are promoted to the struct."""

    struct: str
    kind: str


class VarKind(NamedTuple):
    """A package-level variable whose type has a known kind."""

    name: str
    kind: str


class SyncField(NamedTuple):
    """A field holding a sync primitive; `field` is "" for an embedded one (which is also listed
    under its type name, the name Go gives the embedded field)."""

    struct: str
    field: str
    kind: str
    pointer: bool


class StructFieldType(NamedTuple):
    """A value field of a package-local named type (copying the struct copies it)."""

    struct: str
    type: str


class LocalType(NamedTuple):
    """A type declared in the package, with its shape: "interface", "pointer" or "other"."""

    name: str
    shape: str


class ResetMethod(NamedTuple):
    """`func (*Type) Reset()` exists."""

    type: str


class Acquires(NamedTuple):
    """The method locks its receiver's field (`""`: the receiver itself) before anything else."""

    type: str
    method: str
    field: str
    lock: str = "Lock"  # or "RLock"


class PoolVar(NamedTuple):
    """A package-level sync.Pool, and whether its literal sets New."""

    name: str
    has_new: bool


class PoolNewSet(NamedTuple):
    """Some declaration assigns `name.New = ...`."""

    name: str


class GoStarted(NamedTuple):
    """`go name(...)` or `go x.name(...)` appears in the top-level function `caller`."""

    name: str
    caller: str


class StopCalled(NamedTuple):
    """`x.field.Stop()` appears somewhere in the package."""

    field: str


class FuncDecl(NamedTuple):
    """A package-level function that shadows a builtin of the same name."""

    name: str


class ChanMakeField(NamedTuple):
    """`field: make(chan T[, n])` or `x.field = make(...)`: "buffered" or "unbuffered"."""

    field: str
    buffering: str


class ChanMakeVar(NamedTuple):
    """`var name = make(chan T[, n])` at package level."""

    name: str
    buffering: str


class ChanUse(NamedTuple):
    """What a function does with a channel it was handed: its parameter at `param`, or (`param`
    -1) the field `field` of its receiver. `op` is send, recv, range, close or escape (anything
    else that lets other code reach the channel: stored, returned, passed on)."""

    param: int
    field: str
    op: str


class FuncSummary(NamedTuple):
    """What a package-level function or method does, from its own body (not nested literals):
    the checks follow `calls` through other summaries (`golens.syntax.summaries`)."""

    name: str
    receiver: str  # the receiver's type name; "" for a function
    calls: tuple[str, ...]  # same-package functions (`f`) and methods on its receiver (`Type.m`)
    done: tuple[str, ...]  # WaitGroups it calls Done on (`wg`, `s.wg`)
    resets: tuple[int, ...]  # positions of parameters it calls Reset() on
    blocks: str  # what blocks in it ("time.Sleep", "wg.Wait()", ...); "" when nothing does
    locks: tuple[str, ...]  # receiver fields it locks ("" for a receiver that embeds the mutex)
    ends: bool  # it never returns normally: panic, t.Fatal*/FailNow, os.Exit, runtime.Goexit
    # the channels among its parameters and receiver fields it uses, function literals included
    # (a goroutine it starts that receives from one still receives from it)
    channels: tuple[ChanUse, ...] = ()


class FieldLockGroupUses(NamedTuple):
    """A declaration locks `x.lock_field` and calls these WaitGroup methods (`"group.Add"`,
    `"group.Wait"`, `"group.Go"`) on fields: a mutex used only around a group's Add and Wait."""

    lock_field: str
    group_uses: tuple[str, ...]


class ChanField(NamedTuple):
    """A field of channel type of a named struct (`results chan T`, `<-chan T`, `chan<- T`)."""

    struct: str
    field: str


class ChanFieldUse(NamedTuple):
    """Somewhere in the package, `x.field` is used as a channel: `op` is send, recv, range, close,
    escape (stored, returned, passed to code that is not followed, assigned from another channel,
    its address taken) or arg (passed as argument number `argument` to the package-level function `call`,
    whose summary says what it does). `struct` is x's type when the syntax shows it (a receiver or
    parameter), "" when it does not: then the use may be any struct's `field`. An escape is
    always recorded under "", and a struct literal that fills fields by position as (T, "")."""

    struct: str
    field: str
    op: str
    call: str = ""
    argument: int = -1


class GroupDoneSite(NamedTuple):
    """A declaration calls `x.group_field.Done()` (`lock_fields`: the mutex fields it locks,
    `calls`: the names it calls), or takes the group's address (`escapes`: its Done calls are
    then out of sight). Tells a Wait under a lock whether the counted goroutines need the lock."""

    group_field: str
    lock_fields: tuple[str, ...]
    calls: tuple[str, ...]
    escapes: bool = False


class BoolConst(NamedTuple):
    """A package-level `const name = true` or `= false`: a branch on it is decided when compiling
    (`if debug { return }` with debug false is no path at all)."""

    name: str
    value: bool


class CondUse(NamedTuple):
    """A sync.Cond is signalled (`op` "signal": Signal or Broadcast, called or as a func value) or
    handed on (`op` "escape": passed, returned, stored, its address taken) somewhere in the
    package. `name` is the field or package-level variable ("?" for a signal on a parameter, a
    local or an expression: some Cond of the package, which one is unknown)."""

    name: str
    op: str


class ElementType(NamedTuple):
    """A struct field that holds values of a package-local named type in a slice, an array or
    a map (`items []Item`, `byName map[string]Item`): ranging over it copies them."""

    struct: str
    field: str
    type: str


class ReleasesFirst(NamedTuple):
    """A method of `type` unlocks the receiver's `field` ("" for the receiver itself) before it
    locks it: it is entered with the lock held, so another method may return holding it."""

    type: str
    field: str


Fact = (FieldKind | FieldType | EmbeddedKind | VarKind | SyncField | StructFieldType | LocalType | ResetMethod | Acquires
        | PoolVar | PoolNewSet | GoStarted | StopCalled | FuncDecl | ChanMakeField | ChanMakeVar
        | FieldLockGroupUses | FuncSummary | BoolConst | CondUse | ReleasesFirst | GroupDoneSite | ElementType
        | ChanField | ChanFieldUse)

F = TypeVar("F", bound=tuple[object, ...])

_EMPTY: frozenset[tuple[object, ...]] = frozenset()


class Facts:
    """The union of the summaries of a package's declarations, grouped by kind.

    Immutable. Equal fact sets compare and hash equal, so a cached result made under equal facts
    stays valid. `of(kind)` returns the same frozenset object for as long as this value lives,
    which lets callers compare one kind's facts by identity."""

    __slots__ = ("_by_kind", "_hash", "_indexes")

    def __init__(self, facts: Iterable[tuple[object, ...]] = ()):
        grouped: dict[type, set[tuple[object, ...]]] = {}
        for fact in facts:
            grouped.setdefault(type(fact), set()).add(fact)
        self._by_kind: dict[type, frozenset[tuple[object, ...]]] = {kind: frozenset(found) for kind, found in grouped.items()}
        self._hash: int | None = None
        self._indexes: dict[type, dict[str, list[tuple[object, ...]]]] = {}

    def of(self, kind: type[F]) -> frozenset[F]:
        # Grouping by type(fact) makes every member of the set an instance of `kind`.
        return cast("frozenset[F]", self._by_kind.get(kind, _EMPTY))

    def by_name(self, kind: type[F]) -> Mapping[str, list[F]]:
        """Facts of `kind` grouped by their first field (a name), built once per Facts value.
        Ask it for names (`.get(name, ())`): the engine re-checks a declaration that looked up a
        name only when facts under that name change, one that listed them all on any change."""
        index = self._indexes.get(kind)
        if index is None:
            index = self._indexes[kind] = {}
            for fact in self.of(kind):
                index.setdefault(str(fact[0]), []).append(fact)
        return cast("Mapping[str, list[F]]", index)

    def kinds(self) -> dict[type, frozenset[tuple[object, ...]]]:
        return dict(self._by_kind)

    def __contains__(self, fact: object) -> bool:
        return fact in self._by_kind.get(type(fact), _EMPTY)

    def __iter__(self) -> Iterator[tuple[object, ...]]:
        for found in self._by_kind.values():
            yield from found

    def __len__(self) -> int:
        return sum(len(found) for found in self._by_kind.values())

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return isinstance(other, Facts) and self._by_kind == other._by_kind

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._by_kind.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"Facts({len(self)} facts of {len(self._by_kind)} kinds)"


NO_FACTS = Facts()
