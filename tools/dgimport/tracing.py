"""Making the upstream networks traceable without changing their code (docs/IMPORT.md, "What the tracer needs").

Three patterns of NVlabs/edm and alsdudrla10/DG stop torch.jit.trace; `traceable()` works around each for the
duration of a trace, and the checks in import-edm.py compare the traced file with the untouched Python network:
- padding computed from a weight's shape (`w.shape[-1] // 2`, EDM's Conv2d) is a tensor under tracing, which
  conv2d refuses: the convolution functions receive it as the int it is (it depends only on the weights' shapes);
- a torch.autograd.Function (EDM's AttentionOp) cannot be saved in a TorchScript file: its forward is traced inline,
  and autograd differentiates those operations (the same derivative its hand-written backward computes);
- gradient checkpointing through an autograd.Function (DG's guided_diffusion.nn.CheckpointFunction) fails to trace:
  likewise inlined; it only trades memory for recomputation, so the values and gradients are the same.
"""

import contextlib

import torch
import torch.nn.functional as F

_CONVOLUTIONS = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
_INTEGER_ARGUMENTS = ("stride", "padding", "dilation", "groups", "output_padding")


class _InlineContext:
    """Stands in for the ctx of an autograd.Function whose forward is traced inline (nothing is saved)."""

    needs_input_grad = ()
    saved_tensors = ()

    def save_for_backward(self, *tensors):
        pass

    def mark_dirty(self, *tensors):
        pass

    def mark_non_differentiable(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        pass


def _as_int(value):
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_floating_point():
        return int(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_as_int(v) for v in value)
    return value


def _integer_arguments(function):
    def call(*args, **kwargs):
        return function(*args, **{k: (_as_int(v) if k in _INTEGER_ARGUMENTS else v) for k, v in kwargs.items()})
    return call


def _user_functions():
    """Every torch.autograd.Function subclass defined outside torch (the imported checkouts' own)."""
    found, todo = [], list(torch.autograd.Function.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if not cls.__module__.startswith("torch"):
            found.append(cls)
    return found


def _inline_apply(cls, *args):
    return cls.forward(_InlineContext(), *args)


@contextlib.contextmanager
def traceable():
    saved = {name: getattr(F, name) for name in _CONVOLUTIONS}
    patched = []
    try:
        for name, function in saved.items():
            setattr(F, name, _integer_arguments(function))
        for cls in _user_functions():
            patched.append((cls, cls.__dict__.get("apply")))
            cls.apply = classmethod(_inline_apply)
        yield [f"{c.__module__}.{c.__name__}" for c, _ in patched]
    finally:
        for name, function in saved.items():
            setattr(F, name, function)
        for cls, own in patched:
            if own is None:
                del cls.apply
            else:
                cls.apply = own
