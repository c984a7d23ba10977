"""A machine-independent cost measure: how many kernels one step launches, from the PyTorch profiler; and,
where the machine does matter, which kernels SimDA's extra time per step is spent in.

A GPU step of SimDA at 16x256x256 is partly host-bound: the host spends longer queueing small
kernels than the GPU spends running them. The time of that depends on the machine, but the number
of kernels does not, so it can be tracked on any CPU and checked in the tests' time budget.

What is counted, from the operations the profiler records at the dispatcher (CPU activity only):

* ``aten_ops``: every aten operation the host dispatched, nested ones and views included: each
  costs the host a trip through the dispatcher, which is what a host-bound step waits on;
* ``kernels``: the innermost *computing* operations: neither a view (its result aliases its input:
  ``view``, ``transpose``, ``chunk``...), nor a change of metadata, nor a bare allocation, and
  calling no other computing operation. Composites (``linear``, ``group_norm``) count through the
  operation that does the work (``addmm``, ``native_group_norm``), once. A GPU launches at least one
  kernel for each of these and none for the rest, so this is a floor on the launches of a step.

Counts depend on the architecture and on which backend a CPU op dispatches to, barely on shapes,
so the tiny frames of a CPU run count the same kernels per layer as 16x256x256 frames on a GPU.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import torch
from diffusers.models.attention import BasicTransformerBlock
from torch import nn
from torch.autograd.profiler_util import FunctionEvent
from torch.profiler import ProfilerActivity, profile

from benchmarks.timing import Workload

# Operations that only allocate or rewrite a tensor's metadata: no kernel on a GPU. The schemas
# cannot tell these apart (``_unsafe_view`` does not declare its alias, in-place ones are writes).
NO_KERNEL = frozenset(
    {
        "aten::empty",
        "aten::empty_like",
        "aten::empty_strided",
        "aten::resize_",
        "aten::_unsafe_view",
        "aten::as_strided_",
        "aten::detach_",
        "aten::set_",
        "aten::lift_fresh",
    }
)


@dataclass(frozen=True)
class KernelCount:
    """The aten operations one call dispatched, and the kernels among them (see the module docstring)."""

    aten_ops: int
    kernels: int


@functools.cache
def is_view(name: str) -> bool:
    """Whether the aten operation ``name`` returns an alias of an input in every overload (a view).

    Read from the operator schemas (``Tensor(a) self -> Tensor(a)``), not from a hand-kept list.
    """
    packet = getattr(torch.ops.aten, name.removeprefix("aten::"), None)
    schemas = [] if packet is None else [getattr(packet, overload)._schema for overload in packet.overloads()]
    tensor_schemas = [schema for schema in schemas if schema.returns and all(_tensor(ret) for ret in schema.returns)]
    return bool(tensor_schemas) and all(
        all(ret.alias_info is not None and not ret.alias_info.is_write for ret in schema.returns)
        for schema in tensor_schemas
    )


def _tensor(argument: torch.Argument) -> bool:
    """A schema return that is a tensor or a list of them (``slice.str`` returns a string: not a view)."""
    return str(argument.type) in ("Tensor", "List[Tensor]")


def computes(event: FunctionEvent) -> bool:
    """Whether a profiled event is an aten operation that does work (not a view, metadata or allocation)."""
    return event.name.startswith("aten::") and event.name not in NO_KERNEL and not is_view(event.name)


@functools.cache
def has_device_kernel(name: str) -> bool:
    """Whether the operation has its own CPU or CUDA kernel rather than only a composite of others."""
    packet = getattr(torch.ops.aten, name.removeprefix("aten::"), None)
    overloads = [] if packet is None else packet.overloads()
    qualified = [name if overload == "default" else f"{name}.{overload}" for overload in overloads]
    registered = [op for op in qualified if torch._C._dispatch_has_kernel(op)]  # not the TorchScript-only ones
    return any(torch._C._dispatch_has_kernel_for_dispatch_key(op, key) for op in registered for key in ("CPU", "CUDA"))


def launches_kernel(event: FunctionEvent) -> bool:
    """A computing operation with its own device kernel, or one that hands its work to no other.

    ``addmm`` has its own kernel and also copies its bias first (two kernels); ``conv2d`` ->
    ``convolution`` -> ``mkldnn_convolution`` is one: only the innermost computes.
    """

    def any_computing(events: list[FunctionEvent]) -> bool:
        return any(computes(child) or any_computing(child.cpu_children) for child in events)

    return computes(event) and (has_device_kernel(event.name) or not any_computing(event.cpu_children))


def count_kernels(workload: Workload) -> KernelCount:
    """Count the operations and kernels of one call of ``workload``, after one unprofiled call.

    The first call builds what later calls reuse (cached indices, lazily made buffers), so it is
    not what a denoising step costs.
    """
    workload()
    with profile(activities=[ProfilerActivity.CPU]) as recorded:
        workload()
    events = [event for event in recorded.events() if event.name.startswith("aten::")]
    return KernelCount(aten_ops=len(events), kernels=sum(launches_kernel(event) for event in events))


def transformer_blocks(model: nn.Module) -> int:
    """How many transformer blocks (diffusers' ``BasicTransformerBlock``) a model holds."""
    return sum(isinstance(module, BasicTransformerBlock) for module in model.modules())


def kernel_table(
    inference: Mapping[str, KernelCount], training: Mapping[str, KernelCount], blocks: int, reference: str
) -> pd.DataFrame:
    """Kernels and aten operations of one inference step and one training forward and backward per variant
    (``count_kernels`` of each).

    ``added_per_block``: the variant's inference kernels above ``reference`` (the frozen 2D UNet on
    the same frames) per transformer block of the UNet, which is where SimDA's parts sit.
    """
    rows = [
        {
            "variant": name,
            "inference_kernels": step.kernels,
            "inference_aten_ops": step.aten_ops,
            "training_kernels": training[name].kernels if name in training else math.nan,
            "training_aten_ops": training[name].aten_ops if name in training else math.nan,
        }
        for name, step in inference.items()
    ]
    table = pd.DataFrame(rows)
    floor = table.set_index("variant").loc[reference, "inference_kernels"]
    table["added_per_block"] = ((table["inference_kernels"] - floor) / blocks).round(2)
    return table


def time_by_kernel(workload: Workload, device: torch.device) -> pd.DataFrame:
    """Milliseconds and calls per kernel of one call of ``workload``, after one unprofiled call: device kernels
    by name on a GPU, aten operations' own (self) time on a CPU, each at least a microsecond. Names lose the
    namespaces that every kernel shares, so that the part that tells them apart is left when they are cut to a
    readable width."""
    workload()
    on_gpu = device.type == "cuda"
    if on_gpu:
        torch.cuda.synchronize(device)
    with profile(activities=[ProfilerActivity.CUDA if on_gpu else ProfilerActivity.CPU]) as recorded:
        workload()
        if on_gpu:
            torch.cuda.synchronize(device)
    field = "self_device_time_total" if on_gpu else "self_cpu_time_total"  # microseconds
    rows = [(short_kernel_name(e.key), getattr(e, field) / 1e3, e.count) for e in recorded.key_averages()]
    table = pd.DataFrame(rows, columns=["kernel", "ms", "calls"]).groupby("kernel").sum()
    return table[table["ms"] >= 1e-3]  # the table's resolution: a kernel under 1 us would print as 0.000 ms


def short_kernel_name(name: str, width: int = 90) -> str:
    for shared in ("void ", "at::native::", "(anonymous namespace)::", "cudnn::engines_precompiled::"):
        name = name.replace(shared, "")
    return name[:width]


def kernel_time_table(reference: Workload, variant: Workload, device: torch.device, rows: int = 15) -> pd.DataFrame:
    """The ``rows`` kernels whose time grows most from ``reference``'s step to ``variant``'s, then the totals:
    where a variant's extra time per step goes (on a GPU, the device time; the host's launching is not in it)."""
    times = [time_by_kernel(workload, device) for workload in (reference, variant)]
    joined = times[0].join(times[1], how="outer", lsuffix="_reference", rsuffix="_variant").fillna(0)
    table = pd.DataFrame(
        {
            "reference_ms": joined["ms_reference"],
            "variant_ms": joined["ms_variant"],
            "extra_ms": joined["ms_variant"] - joined["ms_reference"],
            "reference_calls": joined["calls_reference"].astype(int),
            "variant_calls": joined["calls_variant"].astype(int),
        }
    )
    top = table.sort_values("extra_ms", ascending=False).head(rows)
    total = table.sum().to_frame("all kernels").T.astype(top.dtypes.to_dict())
    return pd.concat([top, total]).rename_axis("kernel").reset_index().round(3)
