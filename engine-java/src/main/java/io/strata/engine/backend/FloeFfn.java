// FloE's sparse expert forward on the host, from the expert's fast blob and its row loader.
package io.strata.engine.backend;

import io.strata.compression.Matrix;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.FloeCodec;
import io.strata.compression.floe.DenseExpert;
import io.strata.compression.floe.PartialRows;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.kernel.Parallel;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.quant.QuantizedMatrix;
import java.util.Arrays;

/**
 * For n tokens, {@code x (n, H) → y (n, H)}:
 * <pre>
 *   v    = x·W_upᵀ                       (n, I)  on the resident up (INT2 fused kernel, or bf16)
 *   mask = |v| &gt; t                               per token; the rows of the union are made resident (partial load)
 *   h_k  = SiLU(W_gate[i_k,:]·x_t) · v_t[i_k]    gathered gate rows
 *   y_t  = Σ_k h_k · W_downT[i_k,:]              gathered transposed down rows
 * </pre>
 * The residency (which rows are in the fast copy, and the copies) belongs to whoever implements {@link PartialRows};
 * this class only computes.
 */
public final class FloeFfn {
    private FloeFfn() {}

    /** x (n, H) read from {@code be}, the result written to out (n, H) of {@code be}. */
    public static void forward(Backend be, EncodedExpert fast, PartialRows rows, QuantKernels kernels, Buf in, int n, Buf out) {
        int h = fast.params().hidden();
        float[] x = new float[n * h], y = new float[n * h];
        be.read(in, x, 0, n * h);
        forward(fast, rows, kernels, x, n, y);
        be.write(out, y, 0, n * h);
    }

    /** y (n, H) = FloE(x (n, H)); returns Σ active channels over the tokens. */
    public static int forward(EncodedExpert fast, PartialRows rows, QuantKernels kernels, float[] x, int n, float[] y) {
        int hidden = fast.params().hidden(), inter = fast.params().intermediate();
        if (x.length < n * hidden || y.length < n * hidden) {
            throw new IllegalArgumentException(fast.params().codec() + " expert: " + n + " tokens need x and y of " + n * hidden
                    + " floats, found " + x.length + " and " + y.length);
        }
        float[] v = new float[n * inter]; // (n, I)
        up(fast, kernels, x, n, v);
        float t = rows.threshold();
        int[][] idx = new int[n][];       // per token: active channels, ascending
        boolean[] need = new boolean[inter];
        int total = 0;
        for (int tok = 0; tok < n; tok++) {
            int[] ix = new int[inter];
            int count = 0, base = tok * inter;
            for (int i = 0; i < inter; i++) {
                if (Math.abs(v[base + i]) > t) {
                    ix[count++] = i;
                    need[i] = true;
                }
            }
            idx[tok] = Arrays.copyOf(ix, count);
            total += count;
            rows.activation(count, inter);
        }
        rows.ensureRows(need);
        Matrix gate = FloeCodec.bf16View(fast, "gate"), downT = FloeCodec.bf16View(fast, "downT");
        float[] xt = new float[hidden], yt = new float[hidden], h = new float[inter];
        for (int tok = 0; tok < n; tok++) {
            int[] ix = idx[tok];
            int count = ix.length, base = tok * inter;
            System.arraycopy(x, tok * hidden, xt, 0, hidden);
            Arrays.fill(yt, 0f);
            if (count > 0) {
                kernels.gatherRows(gate, ix, count, xt, h);
                for (int k = 0; k < count; k++) h[k] = DenseExpert.silu(h[k]) * v[base + ix[k]];
                kernels.scatterRows(downT, ix, h, count, yt);
            }
            System.arraycopy(yt, 0, y, tok * hidden, hidden);
        }
        return total;
    }

    /** {@code v (n, I) = x (n, H) · W_upᵀ} on the resident up, rows split across threads. */
    public static void up(EncodedExpert fast, QuantKernels kernels, float[] x, int n, float[] v) {
        int inter = fast.params().intermediate();
        if (fast.params().part("up").format().equals("bf16")) {
            Matrix up = FloeCodec.bf16View(fast, "up");
            Parallel.forRange(inter, 64, (a, b) -> Kernels.dense().matmul(up, x, n, v, a, b));
        } else {
            QuantizedMatrix up = FloeCodec.upView(fast);
            Parallel.forRange(inter, 64, (a, b) -> kernels.matmul(up, x, n, v, a, b));
        }
    }
}
