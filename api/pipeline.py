"""The schema's own extensions run as one schema extension (`Pipeline`).

For each request strawberry makes every extension (`factory()`), then for each of the four
phases (operation, parse, validation, execution) looks every extension up for that phase's
hook (`ExtensionContextManagerBase.get_hook`) and wraps each hook it finds in a
`contextlib.contextmanager` made for that request (`functools.wraps` and all), entered on
an `ExitStack`. With seven extensions that was 28 look-ups and seven context managers per
request, for hooks that each do a line or two.

`Pipeline` is one extension holding the parts (made per request, as before, by the same
factories, in the same order): in each phase it runs the parts' hooks of that phase in
the list's order up to their `yield`, then the phase, then the rest of each hook in the
reverse order, which is the order strawberry's `ExitStack` runs them in. Every part's hook
is a plain generator (checked when a pipeline first meets a part's class), none catches
an exception at its `yield` or has a `finally`, so when a phase raises, no hook's rest
runs, under strawberry's stack as here; when a hook raises before its `yield`, the later
ones do not start, as strawberry's `enter_context` stops there. The parts' results
(`get_results`) are merged in the list's order, as strawberry merges extensions' results.
So every answer, error and `extensions` entry is the same; `api.schema.build_schema`
puts the pipeline where the parts stood, before any other extension (tracing)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any, Final

from strawberry.extensions import SchemaExtension

Hook = Callable[[SchemaExtension], Iterator[None]]
PHASES: Final = ("on_operation", "on_parse", "on_validate", "on_execute")
Hooks = dict[str, tuple[tuple[int, Hook], ...]]  # by phase: (position of the part, its hook)

_hooks_by_classes: dict[tuple[type[SchemaExtension], ...], Hooks] = {}


def _hooks(parts: list[SchemaExtension]) -> Hooks:
    """For each phase, (position, hook) of the parts that have one, in the list's order."""
    classes = tuple(type(part) for part in parts)
    found = _hooks_by_classes.get(classes)
    if found is not None:
        return found
    found = {}
    for phase in PHASES:
        default = getattr(SchemaExtension, phase)
        hooks: list[tuple[int, Hook]] = []
        for position, kind in enumerate(classes):
            hook = getattr(kind, phase)
            if hook is default:
                continue
            if not inspect.isgeneratorfunction(hook):
                raise TypeError(f"{kind.__name__}.{phase}: a pipeline runs generator hooks only")
            hooks.append((position, hook))
        found[phase] = tuple(hooks)
    for kind in classes:
        for name in ("on_stream_result", "resolve"):
            if getattr(kind, name) is not getattr(SchemaExtension, name):
                raise TypeError(f"{kind.__name__}.{name}: not run by a pipeline")
        if inspect.iscoroutinefunction(kind.get_results):
            raise TypeError(f"{kind.__name__}.get_results: a pipeline merges sync results")
    _hooks_by_classes[classes] = found
    return found


class Pipeline(SchemaExtension):
    """Several schema extensions, made per request by `factories`, run as one (the
    module's doc)."""

    def __init__(self, factories: list[Callable[[], SchemaExtension]]) -> None:
        super().__init__()
        self.parts = [factory() for factory in factories]
        self._phases = _hooks(self.parts)

    def _run(self, phase: str) -> Iterator[None]:
        parts = self.parts
        context = self.execution_context
        running: list[Iterator[None]] = []
        for position, hook in self._phases[phase]:
            part = parts[position]
            part.execution_context = context
            generator = hook(part)
            next(generator)  # up to its yield; an exception stops the phase here
            running.append(generator)
        yield
        for generator in reversed(running):
            for _ in generator:  # the rest of the hook, which must not yield again
                raise RuntimeError("a schema extension's hook yielded twice")

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        for part in self.parts:  # strawberry gives each extension the request's context
            part.execution_context = context
        yield from self._run("on_operation")

    def on_parse(self) -> Iterator[None]:
        yield from self._run("on_parse")

    def on_validate(self) -> Iterator[None]:
        yield from self._run("on_validate")

    def on_execute(self) -> Iterator[None]:
        yield from self._run("on_execute")

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context
        results: dict[str, Any] = {}
        for part in self.parts:
            part.execution_context = context
            results.update(part.get_results())  # type: ignore[arg-type]  # sync: checked
        return results
