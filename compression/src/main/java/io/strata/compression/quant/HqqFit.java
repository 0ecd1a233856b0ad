// Fitting the scale and zero point of one quantization group: min-max init, HQQ proximal zero-point refinement, least-squares scale.
package io.strata.compression.quant;

import io.strata.compression.Halfs;

/**
 * How a group's {@code (scale, zero)} are fitted to its weights.
 *
 * <p>Start from min-max round-to-nearest ({@code s = (max − min)/maxq}, {@code z = −min/s}). Then
 * {@code iterations} steps of HQQ's half-quadratic solver (Badri &amp; Shaji, 2023): with the
 * inverse scale {@code si = 1/s},
 * <pre>
 *   q   = clamp(round(w·si + z), 0, maxq)          codes for the current zero
 *   e   = shrink_p(w − (q − z)/si, β)             proximal step of the l_p (p &lt; 1) error
 *   z   = mean(q − (w − e)·si)                    closed-form zero for the shrunk error
 *   β  *= κ
 * </pre>
 * where {@code shrink_p(x, β) = sign(x)·max(|x| − |x|^(p−1)/β, 0)}; as in HQQ the loop stops
 * when its mean absolute error stops falling. After that, {@code scaleRefits} rounds of a
 * least-squares fit of {@code w ≈ s·(q − z)} over the current codes also move the scale.
 *
 * <p>Every candidate is scored with its parameters rounded to the stored f16 precision and
 * codes recomputed from those rounded parameters; the group keeps the candidate with the
 * smallest squared error, the min-max start included, so a fit is never worse than plain
 * round-to-nearest in {@code ‖W − Ŵ‖₂}.
 *
 * @param iterations  HQQ proximal iterations (HQQ default 20); 0 gives plain min-max RTN
 * @param lpNorm      p of the l_p error norm, 0 &lt; p ≤ 1 (HQQ default 0.7)
 * @param beta        initial β of the half-quadratic split (HQQ default 10)
 * @param kappa       growth of β per iteration (HQQ default 1.01)
 * @param scaleRefits least-squares (scale, zero) refits after the proximal loop
 */
public record HqqFit(int iterations, float lpNorm, float beta, float kappa, int scaleRefits) {
    /** HQQ's defaults (p = 0.7, β = 10, κ = 1.01, 20 iterations) plus two scale refits. */
    public static final HqqFit DEFAULT = new HqqFit(20, 0.7f, 10f, 1.01f, 2);
    /** Plain min-max round-to-nearest: the baseline every fit is compared with. */
    public static final HqqFit RTN = new HqqFit(0, 0.7f, 10f, 1.01f, 0);

    public HqqFit {
        if (iterations < 0 || scaleRefits < 0) {
            throw new IllegalArgumentException("iterations and scaleRefits must be >= 0, found " + iterations + ", " + scaleRefits);
        }
        if (!(lpNorm > 0 && lpNorm <= 1) || !(beta > 0) || !(kappa >= 1)) {
            throw new IllegalArgumentException("need 0 < lpNorm <= 1, beta > 0, kappa >= 1; found p=" + lpNorm
                    + ", beta=" + beta + ", kappa=" + kappa);
        }
    }

    /**
     * Fits one group. Writes the stored (f16) scale and zero to {@code params[0..1]} as floats
     * and the codes of {@code w[off .. off+len)} to {@code codes[0 .. len)}.
     *
     * @param w      weights (any units); the group is {@code w[off .. off+len)}
     */
    public void fitGroup(float[] w, int off, int len, int maxCode, float[] params, int[] codes) {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < len; j++) {
            float v = w[off + j];
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException("non-finite weight " + v + " at group offset " + (off + j));
            }
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float range = max - min;
        if (range == 0f) { // constant group: one level reproduces it exactly
            float s = stored(Math.abs(max));
            float z = max >= 0 ? 0f : 1f;
            params[0] = s;
            params[1] = z;
            int q = max == 0 ? 0 : (max > 0 ? 1 : 0);
            for (int j = 0; j < len; j++) codes[j] = q;
            return;
        }
        float bestS = stored(range / maxCode), bestZ = stored((0f - min) / (range / maxCode)); // 0f − min: no −0 zero point
        double bestErr = sqError(w, off, len, maxCode, bestS, bestZ);

        // HQQ proximal loop on the zero point, in the inverse-scale form HQQ uses.
        float si = 1f / bestS, z = -min * si, beta = this.beta;
        double prevL1 = Double.POSITIVE_INFINITY;
        for (int it = 0; it < iterations; it++) {
            double zsum = 0, l1 = 0;
            for (int j = 0; j < len; j++) {
                float v = w[off + j];
                float q = Math.min(maxCode, Math.max(0, Math.round(v * si + z)));
                float err = v - (q - z) / si;
                l1 += Math.abs(err);
                zsum += q - (v - shrink(err, beta)) * si;
            }
            z = (float) (zsum / len);
            beta *= kappa;
            float s = stored(1f / si), zs = stored(z);
            double e = sqError(w, off, len, maxCode, s, zs);
            if (e < bestErr) {
                bestErr = e;
                bestS = s;
                bestZ = zs;
            }
            if (l1 >= prevL1) break; // HQQ's stopping rule: the l1 error stopped falling
            prevL1 = l1;
        }

        // Least-squares (scale, zero) for the codes of the best candidate: w ≈ a·q + b, s = a, z = −b/a.
        for (int r = 0; r < scaleRefits; r++) {
            double sq = 0, sw = 0, sqq = 0, sqw = 0;
            for (int j = 0; j < len; j++) {
                float v = w[off + j];
                int q = code(v, bestS, bestZ, maxCode);
                sq += q;
                sw += v;
                sqq += (double) q * q;
                sqw += (double) q * v;
            }
            double var = sqq - sq * sq / len;
            if (var <= 0) break;
            double a = (sqw - sq * sw / len) / var;
            if (!(a > 0)) break;
            double b = (sw - a * sq) / len;
            float s = stored((float) a), zs = stored((float) (-b / a));
            if (!(s > 0)) break;
            double e = sqError(w, off, len, maxCode, s, zs);
            if (e < bestErr) {
                bestErr = e;
                bestS = s;
                bestZ = zs;
            } else {
                break;
            }
        }
        params[0] = bestS;
        params[1] = bestZ;
        for (int j = 0; j < len; j++) codes[j] = code(w[off + j], bestS, bestZ, maxCode);
    }

    /** The code of weight v for stored scale s and zero z: nearest level, clamped. */
    static int code(float v, float s, float z, int maxCode) {
        if (s == 0f) return 0;
        return Math.min(maxCode, Math.max(0, Math.round(v / s + z)));
    }

    private static double sqError(float[] w, int off, int len, int maxCode, float s, float z) {
        if (!Float.isFinite(s) || !Float.isFinite(z)) return Double.POSITIVE_INFINITY;
        double e = 0;
        for (int j = 0; j < len; j++) {
            float v = w[off + j];
            float d = v - (code(v, s, z, maxCode) - z) * s;
            e += (double) d * d;
        }
        return e;
    }

    private float shrink(float x, float beta) {
        float ax = Math.abs(x);
        float t = lpNorm == 1f ? 1f / beta : (float) Math.pow(ax + 1e-8f, lpNorm - 1) / beta;
        return Math.signum(x) * Math.max(ax - t, 0f);
    }

    /** Rounds to the f16 precision the parameters are stored in. */
    static float stored(float v) {
        return Halfs.f16ToFloat(Halfs.floatToF16(v));
    }
}
