// Recall and precision of a predicted channel mask against the true one.
package io.strata.compression.floe;

/**
 * @param truePositives channels both predicted and truly active
 * @param predicted     channels predicted active
 * @param actual        channels truly active
 * @param channels      channels compared (I)
 */
public record MaskQuality(int truePositives, int predicted, int actual, int channels) {
    /** Fraction of truly active channels that were predicted; 1 when none were active. */
    public double recall() {
        return actual == 0 ? 1.0 : (double) truePositives / actual;
    }

    /** Fraction of predicted channels that are truly active; 1 when none were predicted. */
    public double precision() {
        return predicted == 0 ? 1.0 : (double) truePositives / predicted;
    }

    /** Compares two masks of equal length. */
    public static MaskQuality of(boolean[] predicted, boolean[] truth) {
        if (predicted.length != truth.length) {
            throw new IllegalArgumentException("masks differ in length: predicted " + predicted.length + ", true " + truth.length);
        }
        int tp = 0, p = 0, a = 0;
        for (int i = 0; i < truth.length; i++) {
            if (predicted[i]) p++;
            if (truth[i]) a++;
            if (predicted[i] && truth[i]) tp++;
        }
        return new MaskQuality(tp, p, a, truth.length);
    }

    /** Sums counts over several comparisons (micro-averaged recall and precision). */
    public MaskQuality plus(MaskQuality o) {
        return new MaskQuality(truePositives + o.truePositives, predicted + o.predicted, actual + o.actual, channels + o.channels);
    }
}
