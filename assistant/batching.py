"""Coalescing of concurrent calls into one batched call, without a thread or a timer.

The first caller leads a batch of everything queued (up to ``max_batch`` items); the others wait
for their result. A lone call runs at once; batches form only while the batched function is busy
anyway. Used for query vectors (``embeddings.Embedder.embed_query``) and for the reader's scores
(``read.model.ReaderModel``): on 2 cores, one forward pass over many rows costs much less than
the same rows in separate passes that contend for the cores.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


class Coalescer(Generic[In, Out]):
    """``run(item)`` returns ``fn([item, …])[i]`` for its own item, sharing calls of ``fn`` with
    the callers that arrive while one runs. ``fn`` maps a batch to one result per item, in order."""

    def __init__(self, fn: Callable[[list[In]], Sequence[Out]], max_batch: int = 16) -> None:
        self._fn = fn
        self._max = max_batch
        self._cv = threading.Condition()
        self._queue: list[_Pending] = []
        self._busy = False

    def run(self, item: In) -> Out:
        me = _Pending(item)
        with self._cv:
            self._queue.append(me)
        while True:
            with self._cv:
                while not me.done and self._busy:
                    self._cv.wait()
                if me.done:
                    return me.result()
                # lead: the oldest queued items (ours among them unless more than max_batch
                # were waiting before it, then the loop leads the next batch too)
                batch, self._queue = self._queue[: self._max], self._queue[self._max :]
                self._busy = True
            self._run(batch)

    def _run(self, batch: list[_Pending]) -> None:
        try:
            results = self._fn([p.item for p in batch])
            for p, r in zip(batch, results):
                p.value = r
        except BaseException as exc:  # every waiter of the batch gets the error, not a hang
            for p in batch:
                p.error = exc
        finally:
            with self._cv:
                for p in batch:
                    p.done = True
                self._busy = False
                self._cv.notify_all()


class _Pending:
    __slots__ = ("item", "value", "error", "done")

    def __init__(self, item) -> None:
        self.item = item
        self.value = None
        self.error: BaseException | None = None
        self.done = False

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value
