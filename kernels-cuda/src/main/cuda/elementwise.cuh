// Small kernels of the MoE block and the residual stream: router softmax + top-k, SwiGLU,
// axpy/add/scale, bias, clamp, embedding lookup, gather and FloE's channel selection.
#pragma once
#include "common.cuh"

#define GRID_STRIDE(i, count) \
    for (long i = (long)blockIdx.x * blockDim.x + threadIdx.x; i < (count); i += (long)gridDim.x * blockDim.x)

// Router: for each token t, p = softmax(logits[t, :E]) (f32); pick the k largest (ties -> lower
// expert id), ids[t, :k] in descending order; weights[t, j] = p[ids[t,j]], divided by their sum
// when normalize != 0 (Mixtral / Qwen3 norm_topk_prob), left as is otherwise (OLMoE, Qwen2-MoE).
//   logits (n, E) f32, ids (n, k) int32, weights (n, k) f32. grid = n, block = 32, smem = E floats.
extern "C" __global__ void __launch_bounds__(32)
    strata_router_topk(const float* __restrict__ logits, int E, int k, int normalize, int* __restrict__ ids,
                       float* __restrict__ weights) {
    STRATA_DYNAMIC_SMEM(float, p);  // (E) probabilities; picked entries become -1
    const int t = blockIdx.x, lane = threadIdx.x;
    const float* lg = logits + (long)t * E;
    float mx = -INFINITY;
    for (int e = lane; e < E; e += 32) mx = fmaxf(mx, lg[e]);
    mx = warp_max(mx);
    float sum = 0.f;
    for (int e = lane; e < E; e += 32) { float v = expf(lg[e] - mx); p[e] = v; sum += v; }
    sum = warp_sum(sum);
    for (int e = lane; e < E; e += 32) p[e] /= sum;
    __syncwarp();
    float picked = 0.f;
    for (int j = 0; j < k; j++) {
        float best = -2.f; int bestId = 0x7FFFFFFF;
        for (int e = lane; e < E; e += 32)
            if (p[e] > best) { best = p[e]; bestId = e; }  // strided ascending: first max wins per lane
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) {
            float ob = __shfl_xor_sync(0xFFFFFFFFu, best, o);
            int oi = __shfl_xor_sync(0xFFFFFFFFu, bestId, o);
            if (ob > best || (ob == best && oi < bestId)) { best = ob; bestId = oi; }
        }
        if (lane == 0) {
            ids[(long)t * k + j] = bestId;
            weights[(long)t * k + j] = best;
            p[bestId] = -1.f;
        }
        picked += best;
        __syncwarp();
    }
    if (normalize && lane == 0)
        for (int j = 0; j < k; j++) weights[(long)t * k + j] /= picked;
}

// DeepSeek-V2/V3 and GLM-4.5 router, for each token t (as transformers' DeepseekV3TopkRouter):
//   score = softmax(logits[t]) (scoring 0) or sigmoid(logits[t]) (scoring 1); choice = score + bias (bias or null);
//   nGroup > 1: experts split into nGroup equal groups scored by their best choice (groupTop2 = 0) or the sum of
//   their two best (groupTop2 = 1); only the topkGroup best groups (ties -> lower group) stay;
//   ids[t, :k] = the k best remaining choices (descending, ties -> lower id); weights = their scores, divided by
//   their sum (+1e-20) when normalize, times scale.
//   logits (n, E) f32, bias (E) f32 or null, ids (n, k) int32, weights (n, k) f32.
//   grid = n, block = 32, smem = (2·E + nGroup) floats. The caller checks k ≤ topkGroup · E / nGroup.
extern "C" __global__ void __launch_bounds__(32)
    strata_router_grouped(const float* __restrict__ logits, const float* __restrict__ bias, int E, int k, int scoring,
                          int nGroup, int topkGroup, int groupTop2, int normalize, float scale, int* __restrict__ ids,
                          float* __restrict__ weights) {
    STRATA_DYNAMIC_SMEM(float, sm);
    float* score = sm;           // (E)
    float* choice = sm + E;      // (E); masked and picked entries become -inf
    float* gs = sm + 2 * E;      // (nGroup); kept groups become +inf
    const int t = blockIdx.x, lane = threadIdx.x;
    const float* lg = logits + (long)t * E;
    if (scoring == 0) {
        float mx = -INFINITY;
        for (int e = lane; e < E; e += 32) mx = fmaxf(mx, lg[e]);
        mx = warp_max(mx);
        float sum = 0.f;
        for (int e = lane; e < E; e += 32) { float v = expf(lg[e] - mx); score[e] = v; sum += v; }
        sum = warp_sum(sum);
        for (int e = lane; e < E; e += 32) score[e] /= sum;
    } else {
        for (int e = lane; e < E; e += 32) score[e] = 1.f / (1.f + expf(-lg[e]));
    }
    for (int e = lane; e < E; e += 32) choice[e] = score[e] + (bias ? bias[e] : 0.f);
    __syncwarp();
    if (nGroup > 1) {
        const int per = E / nGroup;
        for (int g = lane; g < nGroup; g += 32) {
            float best = -INFINITY, second = -INFINITY;
            for (int e = g * per; e < (g + 1) * per; e++) {
                float c = choice[e];
                if (c > best) { second = best; best = c; } else if (c > second) { second = c; }
            }
            gs[g] = groupTop2 ? best + (per > 1 ? second : 0.f) : best;
        }
        __syncwarp();
        if (lane == 0) {  // nGroup is small (8 in DeepSeek-V3): one lane picks
            for (int j = 0; j < topkGroup; j++) {
                int bg = -1;
                for (int g = 0; g < nGroup; g++)
                    if (gs[g] != INFINITY && (bg < 0 || gs[g] > gs[bg])) bg = g;
                gs[bg] = INFINITY;
            }
        }
        __syncwarp();
        for (int e = lane; e < E; e += 32)
            if (gs[e / per] != INFINITY) choice[e] = -INFINITY;
        __syncwarp();
    }
    float picked = 0.f;
    for (int j = 0; j < k; j++) {
        float best = -INFINITY; int bestId = 0x7FFFFFFF;
        for (int e = lane; e < E; e += 32)
            if (choice[e] > best) { best = choice[e]; bestId = e; }
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) {
            float ob = __shfl_xor_sync(0xFFFFFFFFu, best, o);
            int oi = __shfl_xor_sync(0xFFFFFFFFu, bestId, o);
            if (ob > best || (ob == best && oi < bestId)) { best = ob; bestId = oi; }
        }
        if (lane == 0) {
            ids[(long)t * k + j] = bestId;
            weights[(long)t * k + j] = score[bestId];
            choice[bestId] = -INFINITY;
        }
        picked += score[bestId];
        __syncwarp();
    }
    if (lane == 0)
        for (int j = 0; j < k; j++) {
            float w = weights[(long)t * k + j];
            weights[(long)t * k + j] = (normalize ? w / (picked + 1e-20f) : w) * scale;
        }
}

// out[i] = silu(gate[i]) · up[i] = gate[i] / (1 + e^−gate[i]) · up[i];  (count) f32, out may alias.
extern "C" __global__ void strata_swiglu(const float* gate, const float* up, float* out, long count) {
    GRID_STRIDE(i, count) {
        float g = gate[i];
        out[i] = g / (1.f + expf(-g)) * up[i];
    }
}

// gpt-oss's expert activation, in place over gate: with g = gate[i] + gateBias[i % inter] and
// u = up[i] + upBias[i % inter], g' = min(g, limit), u' = clamp(u, −limit, limit),
// gate[i] = (u' + 1) · g' · σ(alpha · g').  gate, up (count = n·inter) f32; gateBias, upBias (inter) f32.
extern "C" __global__ void strata_clamped_glu(float* gate, const float* __restrict__ up, const float* __restrict__ gateBias,
                                              const float* __restrict__ upBias, int inter, float alpha, float limit, long count) {
    GRID_STRIDE(i, count) {
        const int j = (int)(i % inter);
        const float g = fminf(gate[i] + gateBias[j], limit);
        const float u = fminf(fmaxf(up[i] + upBias[j], -limit), limit);
        gate[i] = (u + 1.f) * (g / (1.f + expf(-alpha * g)));
    }
}

// y[i] += alpha · x[i];  (count) f32.
extern "C" __global__ void strata_axpy(float* y, const float* __restrict__ x, float alpha, long count) {
    GRID_STRIDE(i, count) y[i] += alpha * x[i];
}

// y[i] += alpha[alphaIndex] · x[i], alpha read on the device (the router's weight for one expert,
// so the combine needs no device-to-host round trip);  (count) f32.
extern "C" __global__ void strata_axpy_dev(float* y, const float* __restrict__ x, const float* __restrict__ alpha,
                                           int alphaIndex, long count) {
    const float a = alpha[alphaIndex];
    GRID_STRIDE(i, count) y[i] += a * x[i];
}

// out[i] = a[i] + b[i];  (count) f32, out may alias a or b (residual add).
extern "C" __global__ void strata_add(const float* a, const float* b, float* out, long count) {
    GRID_STRIDE(i, count) out[i] = a[i] + b[i];
}

// x[i] *= alpha;  (count) f32.
extern "C" __global__ void strata_scale(float* x, float alpha, long count) {
    GRID_STRIDE(i, count) x[i] *= alpha;
}

// x[r, c] += bias[c];  x (rows, dim) f32, bias (dim) f32.
extern "C" __global__ void strata_bias_add(float* x, const float* __restrict__ bias, int dim, long count) {
    GRID_STRIDE(i, count) x[i] += bias[i % dim];
}

// x[i] = min(max(x[i], lo), hi);  (count) f32.
extern "C" __global__ void strata_clamp(float* x, float lo, float hi, long count) {
    GRID_STRIDE(i, count) x[i] = fminf(fmaxf(x[i], lo), hi);
}

// out[t, :] = (float) table[ids[t], :];  table (vocab, dim), ids (n) int32, out (n, dim) f32.
#define STRATA_EMBED(NAME, E)                                                                           \
    extern "C" __global__ void NAME(const Elem<E>::storage* __restrict__ table, const int* __restrict__ ids, \
                                    float* __restrict__ out, int dim, long count) {                      \
        GRID_STRIDE(i, count) {                                                                          \
            long t = i / dim;                                                                            \
            out[i] = Elem<E>::get(table, (long)ids[t] * dim + (i - t * dim));                            \
        }                                                                                                \
    }
STRATA_EMBED(strata_embed_bf16, BF16)
STRATA_EMBED(strata_embed_f16, F16)
STRATA_EMBED(strata_embed_f32, F32)

// out[j] = in[idx[j]];  idx (m) int32, out (m) f32.
extern "C" __global__ void strata_gather(const float* __restrict__ in, const int* __restrict__ idx,
                                         float* __restrict__ out, long m) {
    GRID_STRIDE(j, m) out[j] = in[idx[j]];
}

// FloE channel selection: idx[0..count) = ascending i with |v[i]| > threshold; *count written.
//   v (len) f32, idx (len) int32 capacity, count (1) int32. grid = 1, block = 1024: one block
// keeps the order stable without a second pass (len is one expert's intermediate size).
extern "C" __global__ void __launch_bounds__(1024)
    strata_select_above(const float* __restrict__ v, int len, float threshold, int* __restrict__ idx,
                        int* __restrict__ count) {
    __shared__ int warpCounts[32];
    __shared__ int base;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    if (threadIdx.x == 0) base = 0;
    __syncthreads();
    for (int c0 = 0; c0 < len; c0 += blockDim.x) {
        const int i = c0 + threadIdx.x;
        const bool keep = i < len && fabsf(v[i]) > threshold;
        const unsigned ballot = __ballot_sync(0xFFFFFFFFu, keep);
        if (lane == 0) warpCounts[warp] = __popc(ballot);
        __syncthreads();
        int before = base;
        for (int w = 0; w < warp; w++) before += warpCounts[w];
        if (keep) idx[before + __popc(ballot & ((1u << lane) - 1u))] = i;
        __syncthreads();
        if (threadIdx.x == 0) {
            int total = 0;
            for (int w = 0; w < nw; w++) total += warpCounts[w];
            base += total;
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) *count = base;
}
