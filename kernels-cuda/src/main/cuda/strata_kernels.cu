// The one translation unit of Strata's CUDA kernels: build.sh compiles it into strata.fatbin
// (SASS for sm_75/80/86/89/90 + compute_75 PTX), which ships in the kernels-cuda jar.
// Every kernel is extern "C" so the Java launchers find it by its plain name.
#include "common.cuh"
#include "matvec.cuh"
#include "quant.cuh"
#include "mxfp4.cuh"
#include "blocks.cuh"
#include "norm_rope.cuh"
#include "attention.cuh"
#include "mla.cuh"
#include "elementwise.cuh"
