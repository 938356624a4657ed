"""One model trained by several processes: ``torch.distributed`` set up from torchrun's environment.

``torchrun --standalone --nproc_per_node=N -m lstm_viz train ...`` starts N copies of the same
command; :func:`setup` sees torchrun's ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK`` and joins them
into one process group (gloo on the CPU, nccl on CUDA, one GPU per process). A plain
``python -m lstm_viz train`` has no ``WORLD_SIZE`` (or 1) and gets :class:`World` ``()``, a world of
one process in which every method below does nothing: plain runs do exactly what they did.

How the batch is shared. Every process draws the same *global* batch (``batch_size`` rows, the
batch rng seeded alike in all of them) and keeps its own slice of rows (:meth:`World.shard`). Seeding
the rng by rank instead would draw other batches, so N processes would train on different data
than one process with the same global batch; with the slice, a 2-process run follows the
1-process run up to float rounding (tests/system/test_distributed.py measures how close). Drawing a whole
batch to keep a part costs a few microseconds of indexing per step.

The loss is the mean over the *global* batch's targets: DistributedDataParallel averages the
gradients of the N processes, so each weights its own mean loss by its share of the targets
(:meth:`World.share`); a batch with -100 targets (classifiers, the memory task) split unevenly
still gets the exact global-mean gradient. The run's clock and Stop button are rank 0's
(:meth:`World.from_main`), so every process leaves the loop at the same step and uses the same
learning rate. Only rank 0 evaluates, writes the model, its card and history, and logs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

IGNORE = -100  # the target of a position without loss (as F.cross_entropy's ignore_index)


@dataclass(frozen=True)
class World:
    """The processes training one model; ``World()`` is a plain run of one process."""

    rank: int = 0  # 0 evaluates, saves and logs
    size: int = 1
    device: torch.device = torch.device("cpu")  # where this process trains (and its collectives run)
    owns_group: bool = False  # setup() started the process group, so close() ends it

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def check_batch(self, batch_size: int) -> int:
        """Rows per process; ValueError when the global batch does not split evenly."""
        if batch_size % self.size:
            raise ValueError(
                f"batch_size {batch_size} cannot be split over {self.size} processes: "
                f"give a multiple of {self.size} (it is the global batch, shared by all of them)"
            )
        return batch_size // self.size

    def shard(self, *tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """This process's rows of each (B, ...) tensor of the global batch."""
        if self.size == 1:
            return tensors
        rows = self.check_batch(len(tensors[0]))
        return tuple(t[self.rank * rows : (self.rank + 1) * rows] for t in tensors)

    def share(self, loss: torch.Tensor, logits: torch.Tensor, local_targets: int, global_targets: int) -> torch.Tensor:
        """This process's part of the global batch's mean loss, scaled for DDP's gradient average.

        DDP averages the N gradients, so the part is ``N * sum_local / n_global``, i.e. the local mean
        ``loss`` times ``N * local_targets / global_targets`` (exactly 1.0 when the targets split
        evenly). A slice without targets contributes a zero that still reaches every parameter (DDP
        expects a gradient for each).
        """
        if self.size == 1:
            return loss
        if local_targets == 0:
            return logits.sum() * 0.0
        return loss * (self.size * local_targets / global_targets)

    def total(self, part: float) -> float:
        """The global batch's mean loss from each process's :meth:`share` (the sum of the parts over N)."""
        if self.size == 1:
            return part
        value = torch.tensor([part], dtype=torch.float64, device=self.device)
        torch.distributed.all_reduce(value)
        return float(value.item()) / self.size

    def from_main(self, *values: float) -> tuple[float, ...]:
        """Rank 0's ``values`` in every process (the clock, the stop flag: they must agree)."""
        if self.size == 1:
            return values
        tensor = torch.tensor(values, dtype=torch.float64, device=self.device)
        torch.distributed.broadcast(tensor, src=0)
        return tuple(float(v) for v in tensor.tolist())

    def wrap(self, module: torch.nn.Module) -> torch.nn.Module:
        """``model`` in DistributedDataParallel (its parameters are rank 0's from here on), or itself."""
        if self.size == 1:
            return module
        from torch.nn.parallel import DistributedDataParallel

        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=device_ids)

    def close(self) -> None:
        if self.owns_group and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def setup(device: torch.device) -> World:
    """The world torchrun started (its environment variables), or ``World(device=device)`` for a plain run.

    On CUDA each process takes the GPU of its ``LOCAL_RANK`` and the nccl backend; on the CPU, gloo.
    """
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World(device=device)
    if not torch.distributed.is_available():
        raise ValueError(f"WORLD_SIZE is {size}, but this torch build has no torch.distributed")
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        if local_rank >= torch.cuda.device_count():
            raise ValueError(
                f"process {rank} wants GPU {local_rank}, but this machine has {torch.cuda.device_count()}: "
                "start at most one process per GPU (--nproc_per_node)"
            )
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    owns = not torch.distributed.is_initialized()
    if owns:  # MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE come from torchrun
        backend = "nccl" if device.type == "cuda" else "gloo"
        torch.distributed.init_process_group(backend=backend, init_method="env://", device_id=_device_id(device))
    world = World(rank=rank, size=size, device=device, owns_group=owns)
    # Every process has checked its arguments (a new model's name included) before rank 0 writes anything.
    torch.distributed.barrier()
    return world


def _device_id(device: torch.device) -> torch.device | None:
    """nccl binds the group to this process's GPU (eager init, no guessing); gloo takes no device."""
    return device if device.type == "cuda" else None
