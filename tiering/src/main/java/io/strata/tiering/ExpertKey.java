// Identifies one expert of one MoE layer.
package io.strata.tiering;

public record ExpertKey(int layer, int expert) implements Comparable<ExpertKey> {
    @Override
    public int compareTo(ExpertKey o) {
        return layer != o.layer ? Integer.compare(layer, o.layer) : Integer.compare(expert, o.expert);
    }

    @Override
    public String toString() {
        return "layer " + layer + " expert " + expert;
    }
}
