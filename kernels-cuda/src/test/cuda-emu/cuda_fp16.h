// Stand-in for CUDA's cuda_fp16.h when the kernels are compiled as host C++ (cuda_emu.h defines what they use).
#pragma once
