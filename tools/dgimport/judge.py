"""EDM's FID feature network (fid.py: `pickle.load(f)` of inception-2015-12-05.pkl, called as
`net(images, return_features=True)` on uint8 [N, 3, H, W] images in 0..255) as a `dg eval --judge` network:
forward(x) -> [N, F] on images in [-1, 1], turned into the 8-bit images EDM's generate.py writes first."""

import torch


class EightBitFeatures(torch.nn.Module):
    def __init__(self, detector, channels):
        super().__init__()
        self.detector = detector
        self.grey = channels == 1  # fid.py repeats a grey-scale channel three times

    def forward(self, x):
        # generate.py: (x * 127.5 + 128).clip(0, 255).to(uint8), i.e. round half up onto the 8-bit grid.
        images = torch.floor(x * 127.5 + 128.0).clamp(0, 255).to(torch.uint8)
        if self.grey:
            images = images.repeat(1, 3, 1, 1)
        return self.detector(images, return_features=True).to(torch.float32)


def reference_features(detector, x, channels):
    """What fid.py computes for the same images, for the check before writing."""
    images = (x * 127.5 + 128).clip(0, 255).to(torch.uint8)
    if channels == 1:
        images = images.repeat([1, 3, 1, 1])
    return detector(images, return_features=True).to(torch.float64)
