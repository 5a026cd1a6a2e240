"""One module per family; importing them fills the registry."""

from keras_classics.models.alexnet import AlexNet
from keras_classics.models.inception import GoogLeNet, InceptionV2, InceptionV3, aux_loss_weights
from keras_classics.models.lenet import LeNet5
from keras_classics.models.nin import NiN
from keras_classics.models.vgg import VGG11, VGG13, VGG16, VGG19
from keras_classics.models.resnet import (
    ResNet18, ResNet20, ResNet32, ResNet34, ResNet44, ResNet50, ResNet50V2, ResNet56, ResNet101, ResNet101V2,
    ResNet110, ResNet152, ResNet152V2, ResNeXt50_32x4d, ResNeXt101_32x8d,
)
from keras_classics.models.densenet import DenseNet121, DenseNet161, DenseNet169, DenseNet201

__all__ = ["LeNet5", "AlexNet", "NiN", "VGG11", "VGG13", "VGG16", "VGG19", "GoogLeNet", "InceptionV2", "InceptionV3", "aux_loss_weights"]
__all__ += [
    "ResNet18", "ResNet34", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2", "ResNet152V2",
    "ResNeXt50_32x4d", "ResNeXt101_32x8d", "ResNet20", "ResNet32", "ResNet44", "ResNet56", "ResNet110",
    "DenseNet121", "DenseNet161", "DenseNet169", "DenseNet201",
]
