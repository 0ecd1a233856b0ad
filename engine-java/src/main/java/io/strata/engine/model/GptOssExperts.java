// gpt-oss experts: the stacked checkpoint tensors (dequantized or MXFP4) turned into gate, up and down of one expert.
package io.strata.engine.model;

import io.strata.compression.DType;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.engine.checkpoint.CheckpointException;
import io.strata.engine.checkpoint.ModelSource;
import io.strata.engine.checkpoint.TensorInfo;
import io.strata.engine.checkpoint.WeightSource;
import io.strata.tiering.ExpertWeights;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A gpt-oss layer stores all experts in two stacked tensors, in one of two forms:
 * <ul>
 *   <li>as transformers saves the dequantized model: {@code mlp.experts.gate_up_proj} (E, hidden, 2I) and
 *       {@code down_proj} (E, I, hidden), transposed ({@code x @ W}), gate and up interleaved on the last axis
 *       (column 2j is gate row j, column 2j+1 up row j);</li>
 *   <li>as the releases ship them: {@code gate_up_proj_blocks} (E, 2I, hidden/32, 16) and {@code down_proj_blocks}
 *       (E, hidden, I/32, 16) uint8, two e2m1 codes a byte (element 2i in the low nibble), with
 *       {@code *_scales} (E, rows, cols/32) uint8 e8m0 exponents (bias 127); rows of gate_up interleave gate and up.</li>
 * </ul>
 * The biases {@code gate_up_proj_bias} (E, 2I) and {@code down_proj_bias} (E, hidden) are dense weights
 * ({@link ModelWeights}). This class gives one expert as three matrices in Strata's orientation (gate and up
 * (I, hidden), down (hidden, I)), decoded into a fresh off-heap copy (BF16, which holds MXFP4 and BF16 values exactly;
 * F32 for F32/F16 checkpoints): the checkpoint's orientation and the MXFP4 packing are not what the dense kernels read.
 */
public final class GptOssExperts {
    private GptOssExperts() {}

    /** The e2m1 values of the 16 codes (sign in bit 3). */
    private static final float[] E2M1 = {0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f, -0f, -0.5f, -1f, -1.5f, -2f, -3f, -4f, -6f};

    public static final int MXFP4_BLOCK = 32;

    public static String prefix(int layer) {
        return TensorNames.layer(layer, "mlp.experts.");
    }

    /**
     * Every expert tensor name a layer may hold (the stacked forms, and one matrix per expert and part as a GGUF file
     * gives them), for what pack leaves out of the dense weights.
     */
    public static java.util.List<String> tensorNames(int layer, int experts) {
        String p = prefix(layer);
        java.util.List<String> r = new java.util.ArrayList<>(java.util.List.of(p + "gate_up_proj", p + "down_proj", p + "gate_up_proj_blocks",
                p + "gate_up_proj_scales", p + "down_proj_blocks", p + "down_proj_scales"));
        for (int e = 0; e < experts; e++) for (int part = 0; part < 3; part++) r.add(TensorNames.expert(Architecture.GPT_OSS, layer, e, part));
        return r;
    }

    /** Whether src holds layer's experts as MXFP4 blocks and scales. */
    public static boolean isMxfp4(WeightSource src, int layer) {
        return src.has(prefix(layer) + "gate_up_proj_blocks");
    }

    /** Expert e of layer l as gate, up (I, H) and down (H, I) matrices (BF16, or F32 from an F32/F16 checkpoint). */
    public static ExpertWeights expert(ModelConfig c, WeightSource src, int l, int e) {
        int h = c.hidden(), inter = c.expertIntermediate();
        if (!(src instanceof ModelSource ms)) {
            throw new CheckpointException("gpt-oss experts of layer " + l + " must come from a checkpoint (found " + src.getClass().getSimpleName() + ")");
        }
        String p = prefix(l);
        if (src.has(TensorNames.expert(Architecture.GPT_OSS, l, e, 0))) {
            // One matrix per expert and part, gate and up apart (a GGUF file as llama.cpp converts gpt-oss)
            return new ExpertWeights(src.matrix(TensorNames.expert(Architecture.GPT_OSS, l, e, 0), inter, h),
                    src.matrix(TensorNames.expert(Architecture.GPT_OSS, l, e, 1), inter, h),
                    src.matrix(TensorNames.expert(Architecture.GPT_OSS, l, e, 2), h, inter));
        }
        float[] gateUp, down; // (2I, H) and (H, I), row-major, gate and up rows interleaved
        DType dt = DType.BF16; // exact for MXFP4 and BF16 checkpoints: half the memory of F32
        if (isMxfp4(src, l)) {
            gateUp = mxfp4(ms, p + "gate_up_proj", c.numExperts(), e, 2 * inter, h);
            down = mxfp4(ms, p + "down_proj", c.numExperts(), e, h, inter);
        } else {
            dt = ms.load(p + "gate_up_proj").dtype() == DType.BF16 ? DType.BF16 : DType.F32;
            gateUp = transposed(ms, p + "gate_up_proj", c.numExperts(), e, h, 2 * inter);
            down = transposed(ms, p + "down_proj", c.numExperts(), e, inter, h);
        }
        float[] gate = new float[inter * h], up = new float[inter * h];
        for (int j = 0; j < inter; j++) {
            System.arraycopy(gateUp, (2 * j) * h, gate, j * h, h);
            System.arraycopy(gateUp, (2 * j + 1) * h, up, j * h, h);
        }
        String name = p + "expert" + e;
        return new ExpertWeights(matrix(name + ".gate", gate, inter, h, dt), matrix(name + ".up", up, inter, h, dt),
                matrix(name + ".down", down, h, inter, dt));
    }

    /** W (out, in) of expert e from a transposed stacked tensor (E, in, out). */
    private static float[] transposed(ModelSource ms, String name, int experts, int e, int in, int out) {
        TensorInfo t = tensor(ms, name, experts, in, out);
        if (!t.dtype().isFloat()) {
            throw new CheckpointException(t.file() + ": tensor " + name + " has dtype " + t.dtype() + ", expected F32, F16 or BF16");
        }
        long per = (long) in * out * t.dtype().bytes;
        Matrix m = new Matrix(name, t.data().asSlice(e * per, per), t.dtype(), in, out);
        float[] w = new float[out * in];
        for (int i = 0; i < in; i++) for (int o = 0; o < out; o++) w[o * in + i] = m.get(i, o);
        return w;
    }

    /** W (rows, cols) of expert e from {@code name_blocks} (E, rows, cols/32, 16) and {@code name_scales} (E, rows, cols/32). */
    private static float[] mxfp4(ModelSource ms, String name, int experts, int e, int rows, int cols) {
        if (cols % MXFP4_BLOCK != 0) {
            throw new CheckpointException(ms.path() + ": " + name + "_blocks: the input dimension " + cols + " is not a multiple of the MXFP4 block (32)");
        }
        int g = cols / MXFP4_BLOCK;
        TensorInfo b = tensor(ms, name + "_blocks", experts, rows, g, MXFP4_BLOCK / 2);
        TensorInfo s = tensor(ms, name + "_scales", experts, rows, g);
        if (b.dtype() != DType.U8 || s.dtype() != DType.U8) {
            throw new CheckpointException(b.file() + ": MXFP4 tensors " + name + "_blocks / _scales have dtypes " + b.dtype() + " / " + s.dtype() + ", expected U8 / U8");
        }
        return decodeMxfp4(b.data().asSlice((long) e * rows * g * 16, (long) rows * g * 16), s.data().asSlice((long) e * rows * g, (long) rows * g), rows, cols);
    }

    /**
     * Reference decoder of the checkpoints' MXFP4 form: blocks (rows, cols/32, 16) bytes, scales (rows, cols/32)
     * e8m0 bytes; element (r, 32k + 2i + j) = E2M1[nibble j of byte i of block (r, k)] · 2^(scale(r, k) − 127).
     */
    public static float[] decodeMxfp4(MemorySegment blocks, MemorySegment scales, int rows, int cols) {
        int g = cols / MXFP4_BLOCK;
        float[] w = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < g; k++) {
                int sc = Byte.toUnsignedInt(scales.get(java.lang.foreign.ValueLayout.JAVA_BYTE, (long) r * g + k));
                float scale = Math.scalb(1f, sc - 127);
                long bo = ((long) r * g + k) * 16;
                int o = r * cols + k * MXFP4_BLOCK;
                for (int i = 0; i < 16; i++) {
                    int v = Byte.toUnsignedInt(blocks.get(java.lang.foreign.ValueLayout.JAVA_BYTE, bo + i));
                    w[o + 2 * i] = E2M1[v & 15] * scale;
                    w[o + 2 * i + 1] = E2M1[v >>> 4] * scale;
                }
            }
        }
        return w;
    }

    private static TensorInfo tensor(ModelSource ms, String name, long... shape) {
        if (!ms.has(name)) {
            throw new CheckpointException(ms.path() + ": missing tensor " + name + " (expected shape " + Arrays.toString(shape) + ")");
        }
        TensorInfo t = ms.load(name);
        if (!Arrays.equals(t.shape(), shape)) {
            throw new CheckpointException(t.file() + ": tensor " + name + " has shape " + t.shapeString() + ", expected " + Arrays.toString(shape));
        }
        return t;
    }

    /** v as an off-heap matrix of dt (F32, or BF16 for values it holds exactly). */
    private static Matrix matrix(String name, float[] v, int rows, int cols, DType dt) {
        MemorySegment m = Arena.ofAuto().allocate((long) v.length * dt.bytes, 64);
        if (dt == DType.BF16) {
            for (int i = 0; i < v.length; i++) m.setAtIndex(Layouts.I16, i, io.strata.compression.Halfs.floatToBf16(v[i]));
        } else {
            MemorySegment.copy(v, 0, m, Layouts.F32, 0, v.length);
        }
        return new Matrix(name, m, dt, rows, cols);
    }
}
