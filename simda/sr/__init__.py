"""The super-resolution stage (paper, section 3.4): the x4 upscaler adapted by the same adapters and LSA.

``upscaler`` loads or builds the frozen image upscaler, ``pipeline`` runs the second stage on a
generated video, ``training`` tunes its adapters in the shared training loop, and ``flags`` holds the
``--sr`` settings that generation, training and the benchmarks share.
"""
