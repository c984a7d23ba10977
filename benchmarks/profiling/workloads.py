"""What one timed call does: a denoising step, a training step, a whole video, a conv pass.

Each builder sets up its inputs once and returns a closure with no arguments, so the timer
measures the model and nothing else (no input allocation, no host-to-device copies).

Precision: with a half-precision dtype the frozen networks run in that dtype and training runs
under autocast with the adapters kept in float32 (master weights), as mixed-precision training
of the released code does; AdamW on half-precision weights would lose its updates.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from benchmarks.profiling.models import Contender
from benchmarks.timing import Workload
from simda.model.adapters import DepthwiseTemporalConv
from simda.model.frames import FrameLayout, frame_layout

CFG_BATCH = 2  # classifier-free guidance runs the conditional and unconditional halves together
TIMESTEP = 500  # any timestep costs the same; a mid-schedule one avoids special cases
GIB = 2**30


@dataclass(frozen=True)
class StepInputs:
    """One model call's arguments, and the noise a training step regresses onto."""

    sample: torch.Tensor
    timestep: torch.Tensor
    context: torch.Tensor
    target: torch.Tensor


@dataclass(frozen=True)
class Shapes:
    """Clips per call, frames per clip, latent side, latent channels."""

    batch: int
    frames: int
    latent_size: int
    channels: int


def step_inputs(contender: Contender, shapes: Shapes, device: torch.device, dtype: torch.dtype) -> StepInputs:
    """Random latents and text embeddings laid out as ``contender`` takes them, the same seed for all."""
    generator = torch.Generator().manual_seed(0)
    clip_shape = (shapes.batch, shapes.channels, shapes.frames, shapes.latent_size, shapes.latent_size)
    sample = torch.randn(clip_shape, generator=generator)
    context = torch.randn(shapes.batch, 77, contender.context_dim, generator=generator)
    if contender.fold_frames:
        sample = sample.transpose(1, 2).flatten(0, 1)
    if contender.context_per_frame:
        context = context.repeat_interleave(shapes.frames, dim=0)
    return StepInputs(
        sample=sample.to(device, dtype),
        timestep=torch.tensor(TIMESTEP, device=device),
        context=context.to(device, dtype),
        target=torch.randn(sample.shape, generator=generator).to(device, dtype),
    )


def autocast_to(dtype: torch.dtype, device: torch.device) -> contextlib.AbstractContextManager[object]:
    """Mixed precision in ``dtype`` when it is a half type; nothing in float32."""
    return torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32)


def inference_step(model: nn.Module, inputs: StepInputs) -> Workload:
    """One denoising step without autograd (for classifier-free guidance, the batch holds both halves)."""
    return torch.inference_mode()(functools.partial(model, inputs.sample, inputs.timestep, inputs.context))


def training_step(
    model: nn.Module, inputs: StepInputs, dtype: torch.dtype, optimizer: torch.optim.Optimizer | None = None
) -> Workload:
    """Forward, noise-prediction MSE, backward, and an optimizer step when one is given.

    Without an optimizer this is the floor: the frozen 2D UNet's forward and backward with the
    gradient taken w.r.t. its input (set ``inputs.sample`` to require grad). That is the backward
    SimDA's adapters need through the frozen layers above them, without weight gradients the
    frozen base never computes.
    """

    def step() -> object:
        with autocast_to(dtype, inputs.sample.device):
            prediction = model(inputs.sample, inputs.timestep, inputs.context)
        prediction = getattr(prediction, "sample", prediction)  # diffusers' output object, or SimDA's tensor
        loss = F.mse_loss(prediction.float(), inputs.target.float())
        loss.backward()
        if optimizer is not None:
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        inputs.sample.grad = None
        return loss

    return step


def forward_backward(model: nn.Module, inputs: StepInputs, dtype: torch.dtype) -> Workload:
    """A training step without the optimizer, its gradients dropped after: what the kernel count reads.

    The optimizer is left out because AdamW's CPU path loops over the parameters on the host where a
    GPU runs one multi-tensor kernel per operation; the count would measure that loop, not the model.
    """
    step = training_step(model, inputs, dtype)

    def run() -> object:
        loss = step()
        model.zero_grad(set_to_none=True)
        return loss

    return run


def resident_bytes(module: nn.Module, optimizer: torch.optim.Optimizer | None = None) -> int:
    """Bytes a training run keeps between steps: weights, buffers and optimizer state."""
    tensors = [*module.parameters(), *module.buffers()]
    if optimizer is not None:
        tensors += [value for state in optimizer.state.values() for value in state.values() if torch.is_tensor(value)]
    return sum(tensor.numel() * tensor.element_size() for tensor in tensors)


def peak_memory_gib(workload: Workload, device: torch.device, resident: int) -> float | None:
    """Peak GPU memory of ``workload`` as if its model were alone on the GPU; None off CUDA.

    Every contender stays resident during the run (the timings interleave them), so the raw
    peak would count all of them. Instead: the step's peak above what was allocated before it,
    plus the bytes the workload's own model and optimizer keep resident.
    """
    if device.type != "cuda":
        return None
    torch.cuda.synchronize(device)
    before = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    workload()
    torch.cuda.synchronize(device)
    return (torch.cuda.max_memory_allocated(device) - before + resident) / GIB


def temporal_conv_pair(
    channels: int, frames: int, size: int, device: torch.device, dtype: torch.dtype
) -> dict[str, Workload]:
    """Forward and backward of the temporal adapter's depth-wise (3,1,1) conv, two ways.

    ``shifted_adds`` is SimDA's ``DepthwiseTemporalConv`` on the frame-folded tensor it sees in
    the model; ``conv3d`` is ``nn.Conv3d(groups=c)`` on the ``(b, c, f, h, w)`` clip, without
    the permutes the model would need around it (in its favour). Both under training precision.
    """
    shifted = DepthwiseTemporalConv(channels).to(device)
    conv3d = nn.Conv3d(channels, channels, (3, 1, 1), padding=(1, 0, 0), groups=channels).to(device)
    generator = torch.Generator().manual_seed(0)
    clip = torch.randn(1, channels, frames, size, size, generator=generator).to(device, dtype)
    folded = clip.transpose(1, 2).flatten(0, 1).contiguous()

    def pass_of(module: nn.Module, x: torch.Tensor, layout: FrameLayout | None) -> Workload:
        x.requires_grad_(True)
        upstream = torch.randn(x.shape, generator=generator).to(device, dtype)

        def run() -> object:
            with autocast_to(dtype, device), frame_layout(layout) if layout else contextlib.nullcontext():
                out = module(x)
            out.backward(upstream.to(out.dtype))
            module.zero_grad(set_to_none=True)
            x.grad = None
            return out

        return run

    return {
        "shifted_adds": pass_of(shifted, folded, FrameLayout(frames)),
        "conv3d": pass_of(conv3d, clip, None),
    }
