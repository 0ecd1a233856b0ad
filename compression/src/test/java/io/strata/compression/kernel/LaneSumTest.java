// The fixed-order lane sums against their plain-Java specification, and sum4 against four single sums.
package io.strata.compression.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LaneSumTest {
    @Test
    void vectorSumsFollowTheButterflyBitForBit() {
        int l = LaneSum.L;
        SplittableRandom r = new SplittableRandom(5);
        float[] p = new float[1 + 4 * l];
        float[] out = new float[4 * 3];
        for (int trial = 0; trial < 200; trial++) {
            // mixed magnitudes so a different order would round differently
            for (int i = 0; i < p.length; i++) p[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
            for (int k = 0; k < 4; k++) {
                assertEquals(Float.floatToRawIntBits(LaneSum.sumScalar(p, 1 + k * l, l)), Float.floatToRawIntBits(LaneSum.sum(p, 1 + k * l)),
                        "trial " + trial + " vector " + k);
            }
            LaneSum.sum4(p, 1, out, 1, 3);
            for (int k = 0; k < 4; k++) {
                assertEquals(Float.floatToRawIntBits(LaneSum.sum(p, 1 + k * l)), Float.floatToRawIntBits(out[1 + 3 * k]), "sum4 lane " + k);
            }
        }
    }
}
