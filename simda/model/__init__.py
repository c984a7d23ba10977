"""The model core: SimDA's adapters, Latent-Shift Attention and video UNet on the frozen Stable Diffusion base.

Everything a SimDA model is made of lives here: its config, how the clip's layout reaches modules deep
inside diffusers' UNet (``frames``), the adapters, Latent-Shift Attention, the video UNet wrapper, the
adapter checkpoint, parameter counts, and the frozen base with its offline tokenizer and loading. Nothing
in this package imports the engines, the commands or the benchmarks above it.
"""
