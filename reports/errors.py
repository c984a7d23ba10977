"""The report's own error, importable without MLflow so ``python -m reports.build --help`` stays fast."""


class ReportInputError(ValueError):
    """The report was asked for something the store does not hold, or the store does not answer."""
