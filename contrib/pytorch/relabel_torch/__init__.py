"""PyTorch side of Relabel: the engine's SegNets with the same tensor names and metadata,
safetensors model files, the CamVid-export dataset and the training recipe's pieces.

Nothing here is needed by the Relabel application; it is for training elsewhere (a GPU
cluster, torchrun + DistributedDataParallel) and bringing the model back.
"""
from .safetensors_io import SafetensorsError, read_safetensors, write_safetensors  # noqa: F401
from .models import (ARCHS, SegNet, SegNetBasic, build_model, load_model,  # noqa: F401
                     make_metadata, save_model)
