#!/usr/bin/python3
"""PyTorch reference for the CNN family (tests/test_cnn_models.cpp): each model
built from torch.nn with the layout of include/genlab/models/cnn/, its
state_dict, an input batch, the eval-mode logits and the gradient of
sum(logits * w) for every parameter. genlab loads the state_dict by name and
must reproduce both.

Run: /usr/bin/python3 tests/parity/make_cnn_fixtures.py tests/parity/cnn_models.safetensors
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import save_safetensors  # noqa: E402


class Classifier(nn.Module):
    def __init__(self, features, classifier):
        super().__init__()
        self.features, self.classifier = features, classifier

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def lenet5(in_channels=1, classes=10, image=28):
    s = (image // 2 - 4) // 2
    return Classifier(
        nn.Sequential(nn.Conv2d(in_channels, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2)),
        nn.Sequential(nn.Linear(16 * s * s, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, classes)))


def vgg(in_channels, classes, image, channels, convs, hidden):
    layers, c, s = [], in_channels, image
    for out in channels:
        for _ in range(convs):
            layers += [nn.Conv2d(c, out, 3, padding=1), nn.ReLU()]
            c = out
        layers.append(nn.MaxPool2d(2))
        s //= 2
    return Classifier(nn.Sequential(*layers),
                      nn.Sequential(nn.Linear(c * s * s, hidden), nn.ReLU(), nn.Dropout(0.5), nn.Linear(hidden, classes)))


MODELS = {
    # name: (constructor, input shape)
    "lenet5": (lambda: lenet5(1, 10, 28), (3, 1, 28, 28)),
    "lenet5_rgb16": (lambda: lenet5(3, 7, 16), (2, 3, 16, 16)),
    "vgg": (lambda: vgg(3, 5, 16, (8, 16), 2, 32), (2, 3, 16, 16)),
}


def main(path):
    torch.manual_seed(0)
    out = {}
    for name, (make, shape) in MODELS.items():
        model = make().double().eval()
        x = torch.randn(*shape, dtype=torch.float64)
        y = model(x)
        w = torch.randn(*y.shape, dtype=torch.float64)
        (y * w).sum().backward()
        for k, v in model.state_dict().items():
            out[f"{name}.state.{k}"] = v
        for k, p in model.named_parameters():
            out[f"{name}.grad.{k}"] = p.grad
        out[f"{name}.x"], out[f"{name}.y"], out[f"{name}.w"] = x, y.detach(), w
    save_safetensors(path, out)


if __name__ == "__main__":
    main(sys.argv[1])
