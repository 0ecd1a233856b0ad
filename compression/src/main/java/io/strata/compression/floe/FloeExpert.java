// The FloE sparse expert forward on the CPU: INT2 up, threshold mask, gathered gate rows, gathered transposed down rows.
package io.strata.compression.floe;

import io.strata.compression.Matrix;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.FloeCodec;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.Parallel;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.quant.QuantizedMatrix;

/**
 * One FloE expert over a {@link FloeCodec} blob (views, no copies):
 * <pre>
 *   v    = x·W_upᵀ                      (I)   fused INT2 matvec
 *   mask = { i : |v_i| &gt; t }              count channels, ascending
 *   h_k  = SiLU(W_gate[i_k,:]·x) · v[i_k]   (count)  gathered gate rows
 *   y    = Σ_k h_k · W_downT[i_k,:]        (H)   gathered transposed down rows
 * </pre>
 * With t = 0 and a bf16 up ("floe-bf16up") this is the dense SwiGLU expert.
 */
public final class FloeExpert {
    private final QuantizedMatrix upQ; // [I, H] quantized up, or null when up is bf16
    private final Matrix upDense;      // [I, H] bf16 up, or null when quantized
    private final Matrix gate;         // [I, H] bf16
    private final Matrix downT;        // [I, H] bf16, row i = column i of down
    private final float threshold;     // t, in units of v
    private final QuantKernels kernels;
    private final int hidden, intermediate;

    private FloeExpert(QuantizedMatrix upQ, Matrix upDense, Matrix gate, Matrix downT, float threshold, QuantKernels kernels) {
        this.upQ = upQ;
        this.upDense = upDense;
        this.gate = gate;
        this.downT = downT;
        this.threshold = threshold;
        this.kernels = kernels;
        this.hidden = gate.cols();
        this.intermediate = gate.rows();
    }

    /** The expert in e with its own threshold (0 when none) and the provider's kernels. */
    public static FloeExpert of(EncodedExpert e) {
        Float t = e.params().threshold();
        return of(e, t == null ? 0f : t, Kernels.quant());
    }

    /** The expert in e with threshold t and the given kernels. */
    public static FloeExpert of(EncodedExpert e, float t, QuantKernels kernels) {
        if (!e.params().codec().startsWith(FloeCodec.NAME)) {
            throw new IllegalArgumentException("FloeExpert needs a floe expert, found codec '" + e.params().codec() + "'");
        }
        boolean bf16Up = e.params().part("up").format().equals("bf16");
        return new FloeExpert(bf16Up ? null : FloeCodec.upView(e), bf16Up ? FloeCodec.bf16View(e, "up") : null,
                FloeCodec.bf16View(e, "gate"), FloeCodec.bf16View(e, "downT"), t, kernels);
    }

    /** Working buffers of one forward; one per thread. */
    public static final class Scratch {
        final float[] v;   // (I) up projection
        final float[] h;   // (I) gated values of the active channels, first count used
        final int[] idx;   // (I) active channel indices, first count used

        public Scratch(int intermediate) {
            v = new float[intermediate];
            h = new float[intermediate];
            idx = new int[intermediate];
        }

        /** The up projection of the last forward, (I). */
        public float[] v() {
            return v;
        }

        /** The active channels of the last forward, first {@code count} entries. */
        public int[] indices() {
            return idx;
        }
    }

    public Scratch newScratch() {
        return new Scratch(intermediate);
    }

    /** {@code v = x·W_upᵀ}. x: (H), v: (I). */
    public void up(float[] x, float[] v) {
        if (upQ != null) {
            kernels.matvec(upQ, x, v);
        } else {
            Parallel.forRange(intermediate, 64, (a, b) -> Kernels.dense().matmul(upDense, x, 1, v, a, b));
        }
    }

    /** Active channels {@code {i : |v_i| > t}} ascending into idx; returns their count. v: (I), idx: (≥ I). */
    public static int mask(float[] v, float t, int[] idx) {
        int n = 0;
        for (int i = 0; i < v.length; i++) if (Math.abs(v[i]) > t) idx[n++] = i;
        return n;
    }

    /**
     * The sparse forward. x: (H); y: (H), overwritten. Returns the number of active channels;
     * {@code s.indices()} holds them.
     */
    public int forward(float[] x, float[] y, Scratch s) {
        up(x, s.v);
        int count = mask(s.v, threshold, s.idx);
        kernels.gatherRows(gate, s.idx, count, x, s.h);
        for (int k = 0; k < count; k++) s.h[k] = DenseExpert.silu(s.h[k]) * s.v[s.idx[k]];
        java.util.Arrays.fill(y, 0f);
        if (count > 0) kernels.scatterRows(downT, s.idx, s.h, count, y);
        return count;
    }

    /**
     * The same computation in plain loops with double accumulation (up dequantized weight by
     * weight): the specification of {@link #forward}. Returns the number of active channels.
     */
    public int forwardReference(float[] x, float[] y) {
        float[] v = new float[intermediate];
        for (int i = 0; i < intermediate; i++) {
            double acc = 0;
            for (int c = 0; c < hidden; c++) acc += (double) (upQ != null ? upQ.get(i, c) : upDense.get(i, c)) * x[c];
            v[i] = (float) acc;
        }
        double[] acc = new double[hidden];
        int count = 0;
        for (int i = 0; i < intermediate; i++) {
            if (!(Math.abs(v[i]) > threshold)) continue;
            count++;
            double g = 0;
            for (int c = 0; c < hidden; c++) g += (double) gate.get(i, c) * x[c];
            double h = DenseExpert.silu((float) g) * v[i];
            for (int c = 0; c < hidden; c++) acc[c] += h * downT.get(i, c);
        }
        for (int c = 0; c < hidden; c++) y[c] = (float) acc[c];
        return count;
    }

    public int hidden() {
        return hidden;
    }

    public int intermediate() {
        return intermediate;
    }

    public float threshold() {
        return threshold;
    }

    /** The resident up projection, or null when up is bf16. */
    public QuantizedMatrix upQuantized() {
        return upQ;
    }
}
