// A block-quantized SwiGLU expert on the host: the fused CPU kernels straight from the codec blob.
package io.strata.engine.backend;

import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.Fp8Codec;
import io.strata.compression.codec.GgmlCodec;
import io.strata.compression.codec.GroupQuantCodec;
import io.strata.compression.floe.DenseExpert;
import io.strata.compression.fp8.Fp8Kernels;
import io.strata.compression.fp8.Fp8Matrix;
import io.strata.compression.ggml.GgmlKernels;
import io.strata.compression.ggml.GgmlMatrix;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.Parallel;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.quant.QuantizedMatrix;
import io.strata.tiering.ExpertLayout;

/**
 * {@code out = Ŵ_down · (SiLU(Ŵ_gate·x) ⊙ Ŵ_up·x)} with each Ŵ read from the blob by the kernel of its layout:
 * {@link QuantKernels} for int8/4/3/2 groups, {@link GgmlKernels} for ggml blocks (GGUF's Q8_0, Q4_K, ...),
 * {@link Fp8Kernels} for block-scaled FP8. No weight is expanded to floats in memory.
 */
public final class HostQuantFfn {
    private static final QuantKernels KERNELS = Kernels.quant();
    private static final GgmlKernels GGML = GgmlKernels.best();
    private static final Fp8Kernels FP8 = Fp8Kernels.best();

    private HostQuantFfn() {}

    /** One projection: out (n, rows) rows [r0, r1) = x (n, cols) · Wᵀ. */
    private interface Proj {
        int rows();

        int cols();

        void matmul(float[] x, int n, float[] out, int r0, int r1);
    }

    private record Quant(QuantizedMatrix w) implements Proj {
        public int rows() {
            return w.rows();
        }

        public int cols() {
            return w.cols();
        }

        public void matmul(float[] x, int n, float[] out, int r0, int r1) {
            KERNELS.matmul(w, x, n, out, r0, r1);
        }
    }

    private record Ggml(GgmlMatrix w) implements Proj {
        public int rows() {
            return w.rows();
        }

        public int cols() {
            return w.cols();
        }

        public void matmul(float[] x, int n, float[] out, int r0, int r1) {
            GGML.matmul(w, x, n, out, r0, r1);
        }
    }

    private record Fp8(Fp8Matrix w) implements Proj {
        public int rows() {
            return w.rows();
        }

        public int cols() {
            return w.cols();
        }

        public void matmul(float[] x, int n, float[] out, int r0, int r1) {
            FP8.matmul(w, x, n, out, r0, r1);
        }
    }

    /** The projection {@code part} of e, by the layout its codec names. */
    private static Proj proj(EncodedExpert e, String part) {
        return switch (ExpertLayout.of(e.params())) {
            case ExpertLayout.GroupQuant q -> new Quant(GroupQuantCodec.view(e, part));
            case ExpertLayout.Ggml g -> new Ggml(GgmlCodec.view(e, part));
            case ExpertLayout.Fp8 f -> new Fp8(Fp8Codec.view(e, part));
            default -> throw new IllegalArgumentException(e.params().codec() + " expert: not a block-quantized layout (int*, gguf-*, fp8)");
        };
    }

    /** x (n, H) read from {@code be}, the result written to out (n, H) of {@code be}. */
    public static void forward(Backend be, EncodedExpert e, Buf in, int n, Buf out) {
        int h = e.params().hidden();
        float[] x = new float[n * h], y = new float[n * h];
        be.read(in, x, 0, n * h);
        forward(e, x, n, y);
        be.write(out, y, 0, n * h);
    }

    /** As {@link #forward(Backend, EncodedExpert, Buf, int, Buf)} with gpt-oss's biases and clamped SwiGLU (glu may be null). */
    public static void forward(Backend be, EncodedExpert e, Buf in, int n, Buf out, ClampedGlu glu) {
        if (glu == null) {
            forward(be, e, in, n, out);
            return;
        }
        int h = e.params().hidden();
        float[] x = new float[n * h], y = new float[n * h];
        be.read(in, x, 0, n * h);
        int inter = glu.gateBias().length();
        float[] gb = new float[inter], ub = new float[inter], db = new float[h];
        be.read(glu.gateBias(), gb, 0, inter);
        be.read(glu.upBias(), ub, 0, inter);
        be.read(glu.downBias(), db, 0, h);
        forward(e, x, n, y, gb, ub, db, glu.alpha(), glu.limit());
        be.write(out, y, 0, n * h);
    }

    /** y (n, H) = the expert on x (n, H), host arrays. */
    public static void forward(EncodedExpert e, float[] x, int n, float[] y) {
        forward(e, x, n, y, null, null, null, 0, Float.NaN);
    }

    /**
     * y (n, H) = the expert on x (n, H), host arrays; with biases gb, ub (I) and db (H) non-null, the gpt-oss form
     * ({@link ClampedGlu}) with its alpha and limit, else the plain SwiGLU.
     */
    public static void forward(EncodedExpert e, float[] x, int n, float[] y, float[] gb, float[] ub, float[] db, float alpha, float limit) {
        Proj gate = proj(e, "gate"), up = proj(e, "up"), down = proj(e, "down");
        int h = gate.cols(), inter = gate.rows();
        if (up.rows() != inter || up.cols() != h || down.rows() != h || down.cols() != inter) {
            throw new IllegalArgumentException(e.params().codec() + " expert: gate " + gate.rows() + "x" + gate.cols() + ", up " + up.rows()
                    + "x" + up.cols() + ", down " + down.rows() + "x" + down.cols() + " do not form a SwiGLU expert");
        }
        float[] g = new float[n * inter], u = new float[n * inter];
        // The activation of a chunk's rows runs on the thread that computed them, inside the parallel call: it is
        // elementwise, so the bits do not change, and the other threads no longer wait for one to apply it to all
        // n·inter values between the two calls.
        Parallel.forRange(inter, 64, (a, b) -> {
            gate.matmul(x, n, g, a, b);
            up.matmul(x, n, u, a, b);
            for (int t = 0; t < n; t++) {
                int o = t * inter;
                if (gb == null) {
                    for (int i = o + a; i < o + b; i++) g[i] = DenseExpert.silu(g[i]) * u[i];
                } else {
                    for (int i = o + a; i < o + b; i++) g[i] = ClampedGlu.apply(g[i] + gb[i - o], u[i] + ub[i - o], alpha, limit);
                }
            }
        });
        Parallel.forRange(h, 64, (a, b) -> down.matmul(g, n, y, a, b));
        if (db != null) for (int i = 0; i < y.length; i++) y[i] += db[i % h];
    }
}
