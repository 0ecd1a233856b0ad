// The gpt-oss activation against values worked out by hand from transformers' GptOssExperts._apply_gate.
package io.strata.engine.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ClampedGluTest {
    private static double ref(double g, double u) {
        g = Math.min(g, 7);
        u = Math.max(-7, Math.min(7, u));
        return (u + 1) * g / (1 + Math.exp(-1.702 * g));
    }

    @Test
    void clampsGateAboveOnlyAndUpBothWays() {
        // gate 9 -> 7, up -9 -> -7: (−7 + 1) · 7 · σ(11.914)
        assertEquals(-6 * 7 / (1 + Math.exp(-1.702 * 7)), ClampedGlu.apply(9f, -9f, 1.702f, 7f), 1e-5);
        // a negative gate is not clamped from below: g = −9 stays (σ(−15.3) ≈ 2.3e-7)
        assertEquals(ref(-9, 0.5), ClampedGlu.apply(-9f, 0.5f, 1.702f, 7f), 1e-7);
        // inside the limits: (u + 1) · g · σ(1.702 g)
        assertEquals(2.5 * 0.75 / (1 + Math.exp(-1.702 * 0.75)), ClampedGlu.apply(0.75f, 1.5f, 1.702f, 7f), 1e-6);
        assertEquals(0.0, ClampedGlu.apply(0f, 3f, 1.702f, 7f), 0);
    }
}
