import importlib

import pytest

import metrics


def test_every_export_resolves_to_its_module_object():
    for name in metrics.__all__:
        module = importlib.import_module(metrics._EXPORTS[name])
        assert getattr(metrics, name) is getattr(module, name)


def test_unknown_attribute_raises():
    with pytest.raises(AttributeError, match="not_a_metric"):
        metrics.not_a_metric  # noqa: B018
