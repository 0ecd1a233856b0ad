// Grid and block sizes of every kernel, as pure arithmetic (tested without a GPU).
package io.strata.kernels.cuda;

import io.strata.compression.DType;

/** Launch geometry; the constants mirror the #defines in src/main/cuda/*.cuh. */
public final class LaunchConfig {
    private LaunchConfig() {}

    /** STRATA_BLOCK: threads per block of the row-per-warp and elementwise kernels. */
    public static final int BLOCK = 256;
    /** Warps per block (one output row each) of the matrix-vector kernels. */
    public static final int WARPS_PER_BLOCK = BLOCK / 32;
    /** Largest token count of one matrix-vector launch (the _n8 kernels). */
    public static final int MAX_TOKENS = 8;
    /** DOWNT_ROWS: selected rows one block of the transposed-down kernel handles. */
    public static final int DOWNT_ROWS = 32;
    /** QGROUP: the quantization group along columns. */
    public static final int QUANT_GROUP = 64;
    /** ATT_WARPS and ATT_MAX_HEAD_DIM of the attention kernel. */
    public static final int ATTENTION_THREADS = 256;
    public static final int ATTENTION_MAX_HEAD_DIM = 256;
    /** Grid-stride kernels never need more blocks than this to fill any GPU we target. */
    public static final int MAX_ELEMENTWISE_BLOCKS = 4096;

    /** Blocks for a matrix-vector over {@code rows} output rows: one warp per row. */
    public static int matvecBlocks(int rows) {
        if (rows <= 0) throw new IllegalArgumentException("matvec rows must be > 0, found " + rows);
        return (rows + WARPS_PER_BLOCK - 1) / WARPS_PER_BLOCK;
    }

    /** Elements one 16-byte load carries for a dense weight type (the kernels' vector width). */
    public static int elementsPer16Bytes(DType dtype) {
        return switch (dtype) {
            case BF16, F16 -> 8;
            case F32 -> 4;
            default -> throw new IllegalArgumentException("weight dtype must be F32, F16 or BF16, found " + dtype);
        };
    }

    /** (grid.x, grid.y) of the transposed-down accumulate over {@code m} selected rows of {@code cols} columns. */
    public static int[] downTransposedGrid(DType dtype, int m, int cols) {
        if (m <= 0 || cols <= 0) throw new IllegalArgumentException("down-transposed needs m, cols > 0, found " + m + ", " + cols);
        long colsPerBlock = (long) BLOCK * elementsPer16Bytes(dtype);
        return new int[] {(int) ((cols + colsPerBlock - 1) / colsPerBlock), (m + DOWNT_ROWS - 1) / DOWNT_ROWS};
    }

    /** Blocks of a grid-stride elementwise kernel over {@code count} elements. */
    public static int elementwiseBlocks(long count) {
        if (count <= 0) throw new IllegalArgumentException("elementwise count must be > 0, found " + count);
        return (int) Math.min(MAX_ELEMENTWISE_BLOCKS, (count + BLOCK - 1) / BLOCK);
    }

    /** True when the dense kernel takes its 16-byte-load path (else the scalar path; both are correct). */
    public static boolean matvecVectorPath(DType dtype, int cols) {
        return cols % elementsPer16Bytes(dtype) == 0 && cols % 4 == 0;
    }

    /** Checks a quantized shape: cols must be a whole number of groups. */
    public static void checkQuantShape(int bits, int rows, int cols, String where) {
        if (bits != 4 && bits != 2) throw new IllegalArgumentException(where + ": quantized bits must be 4 or 2, found " + bits);
        if (rows <= 0 || cols <= 0 || cols % QUANT_GROUP != 0) {
            throw new IllegalArgumentException(where + ": quantized matrix needs cols % " + QUANT_GROUP + " == 0, found ["
                    + rows + ", " + cols + "]");
        }
    }

    /** Checks attention's head geometry. */
    public static void checkAttention(int heads, int kvHeads, int headDim) {
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("attention: heads (" + heads + ") must be a positive multiple of kvHeads (" + kvHeads + ")");
        }
        if (headDim <= 0 || headDim > ATTENTION_MAX_HEAD_DIM) {
            throw new IllegalArgumentException("attention: headDim must be 1.." + ATTENTION_MAX_HEAD_DIM + ", found " + headDim);
        }
    }
}
