"""See-through model classes (torch/diffusers inside; import only from jobs) and the weight catalogue.

`catalog` and `arch` import no torch at module level; `cross_frame`, `layer_unet`, `transparent_vae` and
`loading` do.
"""
