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

    @Test
    void negativeLogLikelihoodIsTheLogSoftmaxOfTheTarget() {
        // logits (0, ln 3): softmax (1/4, 3/4)
        float[] lg = {5f, 0f, (float) Math.log(3), 7f};
        assertEquals(-Math.log(0.75), CompressionExperiment.nll(lg, 1, 2, 1), 1e-6);
        assertEquals(-Math.log(0.25), CompressionExperiment.nll(lg, 1, 2, 0), 1e-6);
        // large logits: log-sum-exp stays finite
        assertEquals(Math.log(2), CompressionExperiment.nll(new float[] {1000f, 1000f}, 0, 2, 0), 1e-9);
    }

    @Test
    void csvHasOneRowPerCodecAndAColumnPerLayer() {
        var a = new CompressionExperiment.CodecResult("int4", 4.25, 3.76, 100, 0, 100, 0.26, 800, null, 0.1, 0.12, 0.9, 0.05, 0.4,
                null, null, null, 12.5, new double[] {0.11, Double.NaN, 0.13});
        var b = new CompressionExperiment.CodecResult("bf16", 16, 1, 400, 0, 400, 1, 3200, null, 0, 0, 1, 0, 0,
                null, null, null, 12.0, new double[] {0, Double.NaN, 0});
        var r = new CompressionExperiment.Report("m", "machine", 8, 16, 4, 2, 400, 4, 1, 10, 20, 0.85, 30, new float[3], new double[3],
                java.util.List.of(a, b), null, null, null, 57, 12.0);
        String[] lines = ReportWriter.csv(r).split("\n");
        assertEquals(3, lines.length);
        assertTrue(lines[0].endsWith(",layer_err_0,layer_err_1,layer_err_2"), lines[0]);
        String[] row = lines[1].split(",", -1);
        assertEquals(lines[0].split(",").length, row.length);
        assertEquals("int4", row[0]);
        assertEquals("12.5000", row[8]);
        assertEquals("", row[15], "a dense layer has no expert error");
        assertTrue(ReportWriter.layerTable(r).contains("| int4 | 0.1100 | - | 0.1300 |"), ReportWriter.layerTable(r));
    }
}
