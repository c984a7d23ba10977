"""VBench's quality dimensions, each computed exactly as vbench 0.1.5 computes it (see each module)."""
