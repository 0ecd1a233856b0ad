// Locates shared test data (the reactor root's ../shared) and builds synthetic traces.
package io.strata.tiering;

import io.strata.tiering.trace.RoutingTrace;
import io.strata.tiering.trace.TraceStep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;

public final class TestData {
    private TestData() {}

    /** The reactor root (system property strata.root, set by surefire), or the working directory's parent. */
    public static Path root() {
        String r = System.getProperty("strata.root");
        return r != null ? Path.of(r) : Path.of("..").toAbsolutePath().normalize();
    }

    /** A file under ../shared, or the test is skipped when it is absent. */
    public static Path shared(String relative) {
        Path p = root().resolve("../shared").resolve(relative).normalize();
        Assumptions.assumeTrue(Files.isRegularFile(p), "shared data absent: " + p);
        return p;
    }

    /** A file under the repository, or the test is skipped when it is absent. */
    public static Path repo(String relative) {
        Path p = root().resolve(relative);
        Assumptions.assumeTrue(Files.isRegularFile(p), "repository file absent: " + p);
        return p;
    }

    /** One layer, top-1: token i requests ids[i]. */
    public static RoutingTrace sequence(int numExperts, int... ids) {
        List<TraceStep> steps = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            steps.add(new TraceStep(i, 0, new int[] {ids[i]}, new float[0]));
        }
        return new RoutingTrace("seq", 1, numExperts, 1, steps);
    }

    /** Random routing with a Zipf-like skew per layer (distinct experts per step). */
    public static RoutingTrace random(long seed, int layers, int experts, int topK, int tokens) {
        SplittableRandom r = new SplittableRandom(seed);
        List<TraceStep> steps = new ArrayList<>();
        double[][] p = new double[layers][experts];
        for (int l = 0; l < layers; l++) {
            for (int e = 0; e < experts; e++) {
                p[l][e] = 1.0 / Math.pow(1 + r.nextInt(experts), 1.1);
            }
        }
        for (int t = 0; t < tokens; t++) {
            for (int l = 0; l < layers; l++) {
                int[] ids = new int[topK];
                float[] w = new float[topK];
                boolean[] used = new boolean[experts];
                double total = 0;
                for (double v : p[l]) {
                    total += v;
                }
                for (int k = 0; k < topK; k++) {
                    int e;
                    do {
                        double u = r.nextDouble() * total;
                        e = 0;
                        while (e < experts - 1 && (u -= p[l][e]) > 0) {
                            e++;
                        }
                    } while (used[e]);
                    used[e] = true;
                    ids[k] = e;
                    w[k] = 1f / topK;
                }
                steps.add(new TraceStep(t, l, ids, w));
            }
        }
        return new RoutingTrace("random", layers, experts, topK, steps);
    }
}
