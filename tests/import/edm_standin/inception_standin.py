"""A stand-in of the form of EDM's FID feature network (fid.py loads inception-2015-12-05.pkl with pickle.load and
calls it as net(images, return_features=True) on uint8 [N, 3, H, W] images in 0..255), written for this test: a small
convolutional network returning 64 features."""

import torch


class FeatureStandIn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 16, 4, stride=4)
        self.fc = torch.nn.Linear(16, 64)

    def forward(self, images, return_features=False):
        if images.dtype != torch.uint8:
            raise TypeError("expects uint8 images")
        x = images.to(torch.float32) / 127.5 - 1  # the real network resizes and normalises inside, too
        features = self.fc(torch.relu(self.conv(x)).mean(dim=(2, 3)))
        return features if return_features else features.softmax(dim=1)
