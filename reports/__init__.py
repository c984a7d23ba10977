"""Reports: MLflow runs turned into tables and plots beside the paper's numbers."""
