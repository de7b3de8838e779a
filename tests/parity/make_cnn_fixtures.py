#!/usr/bin/python3
"""PyTorch reference for the CNN family (tests/test_cnn_models.cpp): each model
built from torch.nn with the layout of include/genlab/models/cnn/, its
state_dict, an input batch, the logits (eval mode, or train mode with the BatchNorm running statistics
after the step) and the gradient of
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


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return torch.relu(h + (self.downsample(x) if self.downsample is not None else x))


class ResNet(nn.Module):
    def __init__(self, cin, classes, widths, blocks):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        c = widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            layer = []
            for b in range(n):
                layer.append(BasicBlock(c, w, 2 if b == 0 and i > 0 else 1))
                c = w
            setattr(self, f"layer{i + 1}", nn.Sequential(*layer))
        self.n = len(widths)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        for i in range(self.n):
            h = getattr(self, f"layer{i + 1}")(h)
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(h, 1), 1))


MODELS = {
    # name: (constructor, input shape, train mode: batch statistics, running stats saved after)
    "lenet5": (lambda: lenet5(1, 10, 28), (3, 1, 28, 28), False),
    "lenet5_rgb16": (lambda: lenet5(3, 7, 16), (2, 3, 16, 16), False),
    "vgg": (lambda: vgg(3, 5, 16, (8, 16), 2, 32), (2, 3, 16, 16), False),
    "resnet": (lambda: ResNet(1, 10, (4, 8, 16), (1, 2, 1)), (3, 1, 12, 12), True),
}


def main(path):
    torch.manual_seed(0)
    out = {}
    for name, (make, shape, train) in MODELS.items():
        model = make().double().train(train)
        x = torch.randn(*shape, dtype=torch.float64)
        for k, v in model.state_dict().items():
            out[f"{name}.state.{k}"] = v.clone()
        y = model(x)
        if train:  # the running statistics after this one step
            for k, v in model.state_dict().items():
                if "running" in k or "num_batches" in k:
                    out[f"{name}.after.{k}"] = v.clone()
        w = torch.randn(*y.shape, dtype=torch.float64)
        (y * w).sum().backward()
        for k, p in model.named_parameters():
            out[f"{name}.grad.{k}"] = p.grad
        out[f"{name}.x"], out[f"{name}.y"], out[f"{name}.w"] = x, y.detach(), w
    save_safetensors(path, out)


if __name__ == "__main__":
    main(sys.argv[1])
