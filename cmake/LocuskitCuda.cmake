# CUDA kernels (include/locuskit/cuda/): built only when LOCUSKIT_WITH_CUDA is ON, or AUTO and nvcc
# is found. Filled in by the CUDA work (issue 7).
