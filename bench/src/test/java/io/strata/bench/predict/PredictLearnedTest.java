// The learned MLP predictor: training lowers the loss and beats the frequency prior on structured data.
package io.strata.bench.predict;

import io.strata.engine.predict.*;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictLearnedTest {
    static final int H = 16, E = 8, K = 2, LAYERS = 3;

    /**
     * Structured data: hidden states are Gaussian; layer l routes to the top-2 of A_l·x, for fixed random A_l, with
     * a bias that makes experts 0 and 1 the most frequent overall (so the prior is not trivially bad). The router
     * input of every layer is the same x, so a network from layer 0 can learn layers 1 and 2 exactly.
     */
    static RoutingDataset data(int sequences, int tokens, long seed) {
        Random shapeRnd = new Random(42), r = new Random(seed);
        float[][][] a = new float[LAYERS][E][H];
        for (float[][] m : a) for (float[] row : m) for (int i = 0; i < H; i++) row[i] = (float) shapeRnd.nextGaussian();
        List<RoutingDataset.Sequence> seqs = new ArrayList<>();
        for (int s = 0; s < sequences; s++) {
            float[][][] hid = new float[tokens][LAYERS][];
            int[][][] ex = new int[tokens][LAYERS][];
            for (int t = 0; t < tokens; t++) {
                float[] x = new float[H];
                for (int i = 0; i < H; i++) x[i] = (float) r.nextGaussian();
                for (int l = 0; l < LAYERS; l++) {
                    hid[t][l] = x;
                    float[] logit = new float[E];
                    for (int e = 0; e < E; e++) {
                        for (int i = 0; i < H; i++) logit[e] += a[l][e][i] * x[i];
                        if (e < 2) logit[e] += 2f;
                    }
                    ex[t][l] = TopM.of(logit, K);
                }
            }
            seqs.add(new RoutingDataset.Sequence("s" + s, hid, ex));
        }
        boolean[] moe = new boolean[LAYERS];
        java.util.Arrays.fill(moe, true);
        return new RoutingDataset(LAYERS, E, K, H, moe, seqs);
    }

    @Test
    void trainingReducesLossAndBeatsThePrior(@TempDir Path tmp) {
        RoutingDataset d = data(10, 200, 7);
        RoutingDataset.Split split = d.splitEvery(5); // 8 sequences train, 2 test
        List<LearnedPredictor.TrainLog> log = new ArrayList<>();
        var opt = new LearnedPredictor.Options(64, new Mlp.TrainOptions(15, 32, 3e-3f, 1));
        LearnedPredictor learned = LearnedPredictor.train(d, split.train(), 2, opt, log);
        assertEquals(3, log.size(), "nets for (0,1), (0,2), (1,1)");
        for (LearnedPredictor.TrainLog l : log) {
            assertEquals(1600, l.samples());
            assertTrue(l.lossAfter() < 0.6 * l.lossBefore(), "loss did not fall enough: " + l);
        }
        FrequencyPrior prior = FrequencyPrior.train(d, split.train());
        PredictorEval.Report r = PredictorEval.run(List.of(learned, prior), new int[] {1, 2}, K, d, split.test());
        double learned1 = r.totals().get(0).recall(), learned2 = r.totals().get(1).recall();
        double prior1 = r.totals().get(2).recall(), prior2 = r.totals().get(3).recall();
        assertTrue(learned1 > prior1 + 0.25 && learned2 > prior2 + 0.25,
                "learned recall " + learned1 + ", " + learned2 + " vs prior " + prior1 + ", " + prior2 + "\n" + r.table());
        assertTrue(learned1 > 0.8, "learned recall at depth 1: " + learned1);

        Path f = tmp.resolve("learned.json");
        learned.save(f);
        LearnedPredictor back = LearnedPredictor.load(f);
        float[] x = d.sequences().get(9).hidden()[3][0];
        assertArrayEquals(learned.scores(0, 2, x), back.scores(0, 2, x), 1e-6f);
        assertEquals(2, back.maxAhead());
        assertTrue(!back.covers(1, 2) && !back.covers(2, 1));
    }
}
