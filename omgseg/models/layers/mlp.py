"""A plain multi-layer perceptron whose ``nn.Sequential`` layout (Linear at 0, 2, 4, ReLU
between) matches the original checkpoints' keys (``mask_embed.{0,2,4}``)."""
from torch import nn


def build_mlp(in_dim: int, hidden_dim: int, out_dim: int, num_layers: int = 3) -> nn.Sequential:
    """Linear -> ReLU -> ... -> Linear with ``num_layers`` Linear layers."""
    dims = [in_dim] + [hidden_dim] * (num_layers - 1) + [out_dim]
    layers: list[nn.Module] = []
    for i in range(num_layers):
        layers.append(nn.Linear(dims[i], dims[i + 1]))
        if i < num_layers - 1:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)
