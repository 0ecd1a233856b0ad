// Fixed-order horizontal sums of float vectors: the same bits in the interpreter, C1 and C2.
package io.strata.compression.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Why this exists: {@code FloatVector.reduceLanes(ADD)} leaves the order of the additions to the
 * implementation. Interpreted and C1 code add lane by lane, the C2 intrinsic adds as a tree, so a
 * kernel's result changed in its last bits once the JIT warmed up, and the same prompt and seed
 * could give different tokens. Every reduction here is built from lane-wise adds, blends and
 * constant shuffles, which are exact per lane, so the order is the same whatever runs the code.
 *
 * <p>The order is a butterfly: for {@code k = L/2, L/4, …, 1}, lane {@code i} becomes
 * {@code s[i] + s[i ^ k]}; the sum is lane 0 at the end ({@link #sumScalar} spells it out in
 * plain Java). {@link #sum4} reduces four vectors at once with the same per-vector order, so a row
 * gets the same bits whether it was reduced alone or with three others; reducing four together
 * costs about as many instructions as reducing two alone (the first steps combine two vectors
 * into one).
 *
 * <p>L is the lane count of the preferred species (4, 8 or 16); results differ between machines
 * of different vector width, never between runs on one machine.
 */
final class LaneSum {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    /** Xk: lane i takes lane i ^ k. Null where k ≥ L (that step does not exist). Kernels reducing in registers use these. */
    static final VectorShuffle<Float> X1 = xor(1), X2 = xor(2), X4 = xor(4), X8 = xor(8);
    /** Mk: lanes whose index has bit k set. */
    static final VectorMask<Float> M1 = bit(1), M2 = bit(2), M4 = bit(4), M8 = bit(8);

    private LaneSum() {}

    private static VectorShuffle<Float> xor(int k) {
        return k < L ? VectorShuffle.fromOp(F, i -> i ^ k) : null;
    }

    private static VectorMask<Float> bit(int k) {
        if (k >= L) return null;
        boolean[] m = new boolean[L];
        for (int i = 0; i < L; i++) m[i] = (i & k) != 0;
        return VectorMask.fromArray(F, m, 0);
    }

    /*
     * Vectors cross no method boundary here: callers store their accumulators into a small
     * scratch array and these methods load them back. A FloatVector argument of a call that C2
     * does not inline is boxed, and C2 will not inline a callee whose own compiled code is large
     * (InlineSmallCode), which the Vector API code of these methods is: passing vectors made the
     * bf16 one-token kernel 3.5x slower. A store and a reload (forwarded from the store buffer)
     * cost a few cycles per row.
     */

    /** Σ of the L floats {@code p[off .. off+L)} (a stored accumulator) in butterfly order. */
    static float sum(float[] p, int off) {
        FloatVector v = FloatVector.fromArray(F, p, off);
        // L is a constant: C2 folds the branches away.
        if (L >= 16) v = v.add(v.rearrange(X8));
        if (L >= 8) v = v.add(v.rearrange(X4));
        v = v.add(v.rearrange(X2));
        v = v.add(v.rearrange(X1));
        return v.lane(0);
    }

    /**
     * The lane sums of the four stored accumulators {@code p[off + k·L .. +L)}, k = 0..3, into
     * {@code out[o + k·stride]}, each bit-identical to {@link #sum} of that accumulator.
     */
    static void sum4(float[] p, int off, float[] out, int o, int stride) {
        FloatVector a0 = FloatVector.fromArray(F, p, off), a1 = FloatVector.fromArray(F, p, off + L);
        FloatVector a2 = FloatVector.fromArray(F, p, off + 2 * L), a3 = FloatVector.fromArray(F, p, off + 3 * L);
        // One butterfly step of two vectors at once, u.blend(v, Mk) + v.blend(u, Mk).rearrange(Xk):
        // lanes without bit k hold u[i] + u[i^k], lanes with bit k hold v[i] + v[i^k] (addition
        // commutes exactly, so each equals the one-vector step). Written out, not a helper method:
        // see the comment above on vectors and calls.
        FloatVector q;
        if (L == 16) {
            FloatVector p01 = a0.blend(a1, M8).add(a1.blend(a0, M8).rearrange(X8));
            FloatVector p23 = a2.blend(a3, M8).add(a3.blend(a2, M8).rearrange(X8));
            q = p01.blend(p23, M4).add(p23.blend(p01, M4).rearrange(X4));
            q = q.add(q.rearrange(X2));
            q = q.add(q.rearrange(X1));
        } else if (L == 8) {
            FloatVector p01 = a0.blend(a1, M4).add(a1.blend(a0, M4).rearrange(X4));
            FloatVector p23 = a2.blend(a3, M4).add(a3.blend(a2, M4).rearrange(X4));
            q = p01.blend(p23, M2).add(p23.blend(p01, M2).rearrange(X2));
            q = q.add(q.rearrange(X1));
        } else {
            FloatVector p01 = a0.blend(a1, M2).add(a1.blend(a0, M2).rearrange(X2));
            FloatVector p23 = a2.blend(a3, M2).add(a3.blend(a2, M2).rearrange(X2));
            q = p01.blend(p23, M1).add(p23.blend(p01, M1).rearrange(X1));
        }
        // a0 ends in lane 0, a1 in lane L/2, a2 in lane L/4, a3 in lane 3L/4
        out[o] = q.lane(0);
        out[o + stride] = q.lane(L / 2);
        out[o + 2 * stride] = q.lane(L / 4);
        out[o + 3 * stride] = q.lane(3 * L / 4);
    }

    /** The specification of {@link #sum}: the butterfly over {@code p[off .. off+lanes)} in plain Java. */
    static float sumScalar(float[] p, int off, int lanes) {
        float[] s = java.util.Arrays.copyOfRange(p, off, off + lanes), t = new float[lanes];
        for (int k = lanes / 2; k >= 1; k /= 2) {
            for (int i = 0; i < lanes; i++) t[i] = s[i] + s[i ^ k];
            float[] u = s;
            s = t;
            t = u;
        }
        return s[0];
    }
}
