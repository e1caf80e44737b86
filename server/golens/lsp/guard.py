"""Every handler runs behind a guard: an exception is logged to the client and answered with a
harmless fallback, never raised into pygls (which would turn it into an error popup or, for a
notification, a dropped edit without any trace in the editor's log)."""

from __future__ import annotations

import asyncio
import functools
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from golens.lsp.server import GolensServer

H = TypeVar("H", bound=Callable[..., Any])


def guarded(fallback: Callable[[], Any] | None = None) -> Callable[[H], H]:
    """Wrap a `(ls, params)` handler; `fallback()` builds the answer when the handler fails."""

    def decorate(handler: H) -> H:
        def recover(ls: GolensServer) -> Any:
            ls.report_handler_error(handler.__name__, traceback.format_exc())
            return fallback() if fallback is not None else None

        if asyncio.iscoroutinefunction(handler):
            @functools.wraps(handler)
            async def async_wrapper(ls: GolensServer, params: Any) -> Any:
                try:
                    return await handler(ls, params)
                except Exception:
                    return recover(ls)

            return cast(H, async_wrapper)

        @functools.wraps(handler)
        def wrapper(ls: GolensServer, params: Any) -> Any:
            try:
                return handler(ls, params)
            except Exception:
                return recover(ls)

        return cast(H, wrapper)

    return decorate


def guarded_command(name: str) -> Callable[[H], H]:
    """Wrap a `(ls, *args)` workspace command the same way; a failure answers `None` and is
    reported under the command's name (what the user invoked), not the Python function's."""

    def decorate(handler: H) -> H:
        if asyncio.iscoroutinefunction(handler):
            @functools.wraps(handler)
            async def async_wrapper(ls: GolensServer, *args: Any) -> Any:
                try:
                    return await handler(ls, *args)
                except Exception:
                    ls.report_handler_error(name, traceback.format_exc())
                    return None

            return cast(H, async_wrapper)

        @functools.wraps(handler)
        def wrapper(ls: GolensServer, *args: Any) -> Any:
            try:
                return handler(ls, *args)
            except Exception:
                ls.report_handler_error(name, traceback.format_exc())
                return None

        return cast(H, wrapper)

    return decorate
