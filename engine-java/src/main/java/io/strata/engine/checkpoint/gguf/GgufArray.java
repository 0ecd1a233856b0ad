// A metadata array of a GGUF file, kept as one primitive array so large vocabularies stay compact.
package io.strata.engine.checkpoint.gguf;

/**
 * @param elementType the GGUF value type of the elements (see {@link GgufFile#typeName})
 * @param values      long[] for every integer type (unsigned 64-bit values above Long.MAX_VALUE wrap),
 *                    float[] for FLOAT32, double[] for FLOAT64, boolean[], String[], or GgufArray[] for nested arrays
 * @param length      number of elements
 */
public record GgufArray(int elementType, Object values, int length) {
    public String[] strings() {
        if (values instanceof String[] s) return s;
        throw new IllegalStateException("array of " + GgufFile.typeName(elementType) + ", not of strings");
    }

    public long[] longs() {
        if (values instanceof long[] l) return l;
        throw new IllegalStateException("array of " + GgufFile.typeName(elementType) + ", not of integers");
    }

    public float[] floats() {
        if (values instanceof float[] f) return f;
        if (values instanceof double[] d) {
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
            return f;
        }
        if (values instanceof long[] l) {
            float[] f = new float[l.length];
            for (int i = 0; i < l.length; i++) f[i] = l[i];
            return f;
        }
        throw new IllegalStateException("array of " + GgufFile.typeName(elementType) + ", not of numbers");
    }
}
