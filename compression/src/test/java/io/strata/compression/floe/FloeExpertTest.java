// The FloE forward against the dense SwiGLU expert and its own scalar twin; calibration, predictor and traffic.
package io.strata.compression.floe;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.compression.DType;
import io.strata.compression.TestData;
import io.strata.compression.codec.CodecParams;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.ExpertCodecs;
import io.strata.compression.codec.ExpertWeights;
import io.strata.compression.codec.FloeCodec;
import io.strata.compression.kernel.QuantKernels;
import io.strata.compression.kernel.Kernels;
import io.strata.compression.quant.HqqFit;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FloeExpertTest {
    static final int H = 256, I = 320;

    static ExpertWeights expert(Random rnd, int hidden, int inter) {
        return new ExpertWeights(TestData.matrix("gate", TestData.gaussian(rnd, inter * hidden, 0.05f), inter, hidden, DType.BF16),
                TestData.matrix("up", TestData.gaussian(rnd, inter * hidden, 0.05f), inter, hidden, DType.BF16),
                TestData.matrix("down", TestData.gaussian(rnd, hidden * inter, 0.05f), hidden, inter, DType.BF16));
    }

    static List<QuantKernels> kernels() {
        List<QuantKernels> l = new ArrayList<>(List.of(Kernels.scalarQuant()));
        QuantKernels v = Kernels.vectorQuantOrNull();
        if (v != null) l.add(v);
        return l;
    }

    @Test
    void withoutSparsityAndExactUpItIsTheDenseExpert() {
        Random rnd = new Random(1);
        ExpertWeights w = expert(rnd, H, I);
        EncodedExpert e = ExpertCodecs.byName("floe-bf16up").encode(w, Arena.ofAuto());
        float[] x = TestData.gaussian(rnd, H, 1f), ref = new float[H], dense = new float[H], y = new float[H];
        DenseExpert.reference(w, x, ref);
        DenseExpert.forward(w, x, dense);
        assertTrue(TestData.relErr(ref, dense) < 1e-5, "dense kernels vs reference " + TestData.relErr(ref, dense));
        for (QuantKernels k : kernels()) {
            FloeExpert f = FloeExpert.of(e, 0f, k);
            int count = f.forward(x, y, f.newScratch());
            assertEquals(I, count, k.name() + ": t = 0 keeps every channel");
            assertTrue(TestData.relErr(ref, y) < 1e-5, k.name() + ": FloE(t=0, bf16 up) vs dense " + TestData.relErr(ref, y));
            float[] yr = new float[H];
            assertEquals(I, f.forwardReference(x, yr));
            assertTrue(TestData.relErr(ref, yr) < 1e-6, "reference twin vs dense " + TestData.relErr(ref, yr));
        }
    }

    @Test
    void sparseForwardMatchesItsScalarTwin() {
        Random rnd = new Random(2);
        ExpertWeights w = expert(rnd, H, I);
        EncodedExpert e = new FloeCodec().encode(w, Arena.ofAuto());
        float[] x = TestData.gaussian(rnd, H, 1f);
        // t halfway between two neighbouring |v| near the 85 % quantile, so rounding cannot flip a channel
        FloeExpert probe = FloeExpert.of(e, 0f, Kernels.scalarQuant());
        float[] v = new float[I];
        probe.up(x, v);
        float[] a = new float[I];
        for (int i = 0; i < I; i++) a[i] = Math.abs(v[i]);
        Arrays.sort(a);
        int q = (int) (0.85 * I);
        float t = (a[q] + a[q + 1]) / 2;
        for (QuantKernels k : kernels()) {
            FloeExpert f = FloeExpert.of(e, t, k);
            float[] y = new float[H], yr = new float[H];
            FloeExpert.Scratch s = f.newScratch();
            int count = f.forward(x, y, s);
            assertEquals(I - q - 1, count, k.name());
            assertEquals(count, f.forwardReference(x, yr));
            for (int j = 0; j < count; j++) assertTrue(Math.abs(s.v()[s.indices()[j]]) > t);
            assertTrue(TestData.relErr(yr, y) < 1e-5, k.name() + ": sparse forward vs twin " + TestData.relErr(yr, y));
        }
    }

    @Test
    void int2UpErrorIsBoundedAndReported() {
        Random rnd = new Random(3);
        ExpertWeights w = expert(rnd, H, I);
        EncodedExpert e = new FloeCodec().encode(w, Arena.ofAuto());
        FloeExpert dense0 = FloeExpert.of(e, 0f, Kernels.quant());
        double errNoSparsity = CompressionReport.floeOutputRelativeError(w, dense0, 8, 11);
        // calibrate t for 85 % sparsity on other inputs
        List<float[]> samples = new ArrayList<>();
        for (int s = 0; s < 32; s++) {
            float[] v = new float[I];
            dense0.up(TestData.gaussian(rnd, H, 1f), v);
            samples.add(v);
        }
        float t = ThresholdCalibration.threshold(samples, 0.85);
        double err85 = CompressionReport.floeOutputRelativeError(w, FloeExpert.of(e, t, Kernels.quant()), 8, 11);
        System.out.printf("FloE INT2 up [I=%d, H=%d]: output rel. error %.3f at t=0, %.3f at 85%% sparsity (t=%.4f)%n", I, H,
                errNoSparsity, err85, t);
        // INT2 HQQ up alone: ~0.3-0.4 relative error on Gaussian weights
        assertTrue(errNoSparsity < 0.45, "INT2 up, no sparsity: " + errNoSparsity);
        assertTrue(err85 < 0.8, "INT2 up, 85% sparsity: " + err85);
        assertTrue(err85 > errNoSparsity);
    }

    @Test
    void thresholdIsTheSparsityQuantileOfAbsoluteValues() {
        float[] v = new float[100];
        for (int i = 0; i < 100; i++) v[i] = (i % 2 == 0 ? 1 : -1) * (i + 1); // |v| = 1..100
        List<float[]> s = List.of(Arrays.copyOf(v, 40), Arrays.copyOfRange(v, 40, 100));
        assertEquals(85f, ThresholdCalibration.threshold(s));
        assertEquals(0.85, ThresholdCalibration.sparsity(s, 85f), 1e-12);
        assertEquals(90f, ThresholdCalibration.threshold(s, 0.9));
        assertEquals(0f, ThresholdCalibration.threshold(s, 0.0));
        float[] th = ThresholdCalibration.thresholds(List.of(s, List.of(new float[] {-3, 1, 2, 4})), 0.5);
        assertArrayEquals(new float[] {50f, 2f}, th);
        var ex = assertThrows(IllegalArgumentException.class, () -> ThresholdCalibration.thresholds(List.of(s, List.of()), 0.85));
        assertTrue(ex.getMessage().startsWith("layer 1"), ex.getMessage());
    }

    @Test
    void intraExpertPredictorRecallAndPrecision() {
        assertEquals(new MaskQuality(2, 3, 4, 6), MaskQuality.of(new boolean[] {true, true, true, false, false, false},
                new boolean[] {true, false, true, true, true, false}));
        MaskQuality m = new MaskQuality(2, 3, 4, 6);
        assertEquals(0.5, m.recall());
        assertEquals(2.0 / 3, m.precision());

        Random rnd = new Random(4);
        ExpertWeights next = expert(rnd, H, I);
        EncodedExpert e = new FloeCodec().encode(next, Arena.ofAuto());
        FloeExpert f = FloeExpert.of(e, 0f, Kernels.quant());
        IntraExpertPredictor p = new IntraExpertPredictor(Kernels.quant());
        // t for 85 % sparsity of the INT2 up outputs, as the FloE forward uses them
        List<float[]> calib = new ArrayList<>();
        for (int s = 0; s < 16; s++) {
            float[] v = new float[I];
            f.up(TestData.gaussian(rnd, H, 1f), v);
            calib.add(v);
        }
        float t = ThresholdCalibration.threshold(calib);
        MaskQuality same = null, near = null, far = null, exactUp = null;
        for (int s = 0; s < 32; s++) {
            float[] xNext = TestData.gaussian(rnd, H, 1f), v = new float[I], vExact = new float[I];
            f.up(xNext, v);
            boolean[] truth = IntraExpertPredictor.maskOf(v, t); // the mask layer L+1 will use
            DenseExpertAccess.up(next, xNext, vExact);
            float[] early1 = xNext.clone(), early2 = xNext.clone();
            for (int c = 0; c < H; c++) {
                float n = (float) rnd.nextGaussian();
                early1[c] += 0.3f * n; // the earlier hidden state: correlated with x_{L+1}
                early2[c] += 1.0f * n;
            }
            same = plus(same, p.evaluate(xNext, FloeCodec.upView(e), t, truth));
            near = plus(near, p.evaluate(early1, FloeCodec.upView(e), t, truth));
            far = plus(far, p.evaluate(early2, FloeCodec.upView(e), t, truth));
            exactUp = plus(exactUp, MaskQuality.of(truth, IntraExpertPredictor.maskOf(vExact, t)));
        }
        System.out.printf("intra-expert predictor (micro-averaged, 32 tokens): noise 0.3σ recall %.2f precision %.2f; "
                + "noise 1σ recall %.2f precision %.2f; INT2 mask vs exact-up mask recall %.2f precision %.2f%n",
                near.recall(), near.precision(), far.recall(), far.precision(), exactUp.recall(), exactUp.precision());
        assertEquals(1.0, same.recall());
        assertEquals(1.0, same.precision());
        assertTrue(near.recall() > far.recall() && near.precision() > far.precision(), near + " vs " + far);
        assertTrue(near.recall() > 0.7, near.toString());
    }

    static MaskQuality plus(MaskQuality a, MaskQuality b) {
        return a == null ? b : a.plus(b);
    }

    @Test
    void bytesMovedPerActivation() {
        CodecParams olmoe = new FloeCodec().layout(2048, 1024);
        CompressionReport.FloeTraffic t85 = CompressionReport.floeTraffic(olmoe, 0.15);
        // ceil(0.15·1024) = 154 channels · (4096 + 4096) B
        assertEquals(154, t85.channels());
        assertEquals(154L * 8192, t85.movedBytes());
        assertEquals(6L * 2048 * 1024, t85.bf16Bytes());
        assertEquals(655360, t85.residentBytes());
        assertTrue(t85.fractionOfBf16() <= 1.0 / 8, "85% sparsity: " + t85.fractionOfBf16());
        CompressionReport.FloeTraffic t90 = CompressionReport.floeTraffic(new FloeCodec().layout(4096, 14336), 0.10);
        assertEquals(1434, t90.channels());
        assertEquals(1434L * 16384, t90.movedBytes());
        assertEquals(1434.0 * 16384 / (6.0 * 4096 * 14336), t90.fractionOfBf16(), 1e-12);
        // moved/bf16 = 4H·dI / 6HI = (2/3)·density: the 1/8 goal needs density ≤ 3/16, sparsity ≥ 81.25 %
        assertTrue(CompressionReport.floeTraffic(olmoe, 0.20).fractionOfBf16() > 1.0 / 8);
    }

    @Test
    void reportsForEveryCodec() {
        Random rnd = new Random(5);
        ExpertWeights w = expert(rnd, 128, 192);
        double[] bits = {16, 8.5, 4.5, 2.5, (2.5 + 32) / 3};
        String[] names = {"bf16", "int8", "int4", "int2", "floe"};
        double prevErr = -1;
        for (int i = 0; i < names.length; i++) {
            CompressionReport.ExpertReport r = CompressionReport.report(ExpertCodecs.byName(names[i]), w, 4, 7);
            System.out.println(r);
            assertEquals(bits[i], r.bitsPerParameter(), 1e-9, names[i]);
            assertEquals(16 / bits[i], r.compressionRatio(), 1e-9, names[i]);
            if (i < 4) {
                assertTrue(r.weightError().get("all") > prevErr, names[i]);
                prevErr = r.weightError().get("all");
            }
        }
        assertEquals(0.0, CompressionReport.report(ExpertCodecs.byName("bf16"), w, 2, 7).outputRelativeError());
    }
}
