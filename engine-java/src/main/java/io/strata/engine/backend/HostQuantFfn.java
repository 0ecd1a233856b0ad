// A group-quantized SwiGLU expert on the host: the fused CPU kernels straight from the codec blob.
package io.strata.engine.backend;

import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.GroupQuantCodec;
import io.strata.compression.floe.DenseExpert;
import io.strata.compression.kernel.Parallel;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.quant.QuantizedMatrix;

/** {@code out = Ŵ_down · (SiLU(Ŵ_gate·x) ⊙ Ŵ_up·x)} with Ŵ read from the blob by {@link QuantKernels}. */
public final class HostQuantFfn {
    private static final QuantKernels KERNELS = Kernels.quant();

    private HostQuantFfn() {}

    /** x (n, H) read from {@code be}, the result written to out (n, H) of {@code be}. */
    public static void forward(Backend be, EncodedExpert e, Buf in, int n, Buf out) {
        int h = e.params().hidden();
        float[] x = new float[n * h], y = new float[n * h];
        be.read(in, x, 0, n * h);
        forward(e, x, n, y);
        be.write(out, y, 0, n * h);
    }

    /** y (n, H) = the expert on x (n, H), host arrays. */
    public static void forward(EncodedExpert e, float[] x, int n, float[] y) {
        QuantizedMatrix gate = GroupQuantCodec.view(e, "gate"), up = GroupQuantCodec.view(e, "up"), down = GroupQuantCodec.view(e, "down");
        int h = gate.cols(), inter = gate.rows();
        if (up.rows() != inter || up.cols() != h || down.rows() != h || down.cols() != inter) {
            throw new IllegalArgumentException(e.params().codec() + " expert: gate " + gate.rows() + "x" + gate.cols() + ", up " + up.rows()
                    + "x" + up.cols() + ", down " + down.rows() + "x" + down.cols() + " do not form a SwiGLU expert");
        }
        float[] g = new float[n * inter], u = new float[n * inter];
        Parallel.forRange(inter, 64, (a, b) -> {
            KERNELS.matmul(gate, x, n, g, a, b);
            KERNELS.matmul(up, x, n, u, a, b);
        });
        for (int i = 0; i < g.length; i++) g[i] = DenseExpert.silu(g[i]) * u[i];
        Parallel.forRange(h, 64, (a, b) -> KERNELS.matmul(down, g, n, y, a, b));
    }
}
