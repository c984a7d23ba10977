"""The model core: SimDA's adapters, Latent-Shift Attention and video UNet on the frozen Stable Diffusion base.

Nothing in this package imports the engines, the commands or the benchmarks above it.
"""
