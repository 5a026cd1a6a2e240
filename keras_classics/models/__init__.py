"""One module per family; importing them fills the registry."""

from keras_classics.models.vgg import VGG11, VGG13, VGG16, VGG19

__all__ = ["VGG11", "VGG13", "VGG16", "VGG19"]
