// The compression report's KL is a KL, and its sweep specs (codec@sparsity) parse or fail with a clear message.
package io.strata.bench.floe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CompressionExperimentTest {
    @Test
    void klMatchesADirectComputationAndSweepSpecsParse() {
        float[] p = {1f, 2f, 0.5f, -1f}, q = {0.5f, 2.5f, 0f, -0.5f};
        double[] sp = softmax(p), sq = softmax(q);
        double want = 0;
        for (int i = 0; i < 4; i++) want += sp[i] * Math.log(sp[i] / sq[i]);
        assertEquals(want, CompressionExperiment.kl(p, q, 0, 4), 1e-12);
        assertEquals(0, CompressionExperiment.kl(p, p, 0, 4), 1e-12);
        var s = CompressionExperiment.CodecSpec.parse("floe@0.5", 0.85);
        assertEquals("floe", s.codec());
        assertEquals(0.5, s.sparsity());
        assertEquals("floe@0.50", s.label(0.85));
        assertEquals("floe", CompressionExperiment.CodecSpec.parse("floe", 0.85).label(0.85));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CompressionExperiment.CodecSpec.parse("int4@0.5", 0.85));
        assertTrue(e.getMessage().contains("only floe codecs take @sparsity"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CompressionExperiment.CodecSpec.parse("floe@1.5", 0.85));
        assertTrue(e.getMessage().contains("sparsity must be in [0, 1), found 1.5"), e.getMessage());
    }

    static double[] softmax(float[] x) {
        double z = 0;
        double[] e = new double[x.length];
        for (int i = 0; i < x.length; i++) z += e[i] = Math.exp(x[i]);
        for (int i = 0; i < x.length; i++) e[i] /= z;
        return e;
    }
}
