// Writes routing decisions as Strata trace JSON lines while the engine runs.
package io.strata.tiering.trace;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Thread-safe JSON-lines writer of the format {@link TraceReader#readJsonLines} reads. The header is written on
 * open; each {@link #record} call is one line, written whole under a lock (lines from several threads never
 * interleave). Readers sort by (token, layer); the pass numbers that {@link #recordPass} writes keep the order of the
 * forward passes (a prompt batch, each decode step, each generation).
 */
public final class TraceRecorder implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final BufferedWriter out;
    private final int numLayers;
    private final int numExperts;
    private boolean closed;
    private int pass = -1;       // the forward pass of the last recordPass call
    private int lastLayer = Integer.MAX_VALUE;

    private TraceRecorder(Path file, BufferedWriter out, int numLayers, int numExperts) {
        this.file = file;
        this.out = out;
        this.numLayers = numLayers;
        this.numExperts = numExperts;
    }

    /**
     * Creates (or truncates) {@code file} and writes the header.
     *
     * @param prompt optional free text stored in the header, may be null
     */
    public static TraceRecorder open(Path file, String model, int numLayers, int numExperts, int topK, String prompt) {
        try {
            BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
            ObjectNode h = JSON.createObjectNode();
            h.put("format", "strata-trace").put("version", 1).put("model", model).put("num_layers", numLayers)
                    .put("num_experts", numExperts).put("top_k", topK);
            if (prompt != null) {
                h.put("prompt", prompt);
            }
            w.write(JSON.writeValueAsString(h));
            w.newLine();
            return new TraceRecorder(file, w, numLayers, numExperts);
        } catch (IOException e) {
            throw new UncheckedIOException("creating trace " + file, e);
        }
    }

    /**
     * Records one layer's routing of a forward pass over tokens {@code pos0 .. pos0 + experts.length - 1} (a prompt
     * batch, or one decode token), each line carrying the pass number. A pass is the run of calls whose layers rise; a
     * call at a layer no higher than the last one starts the next pass. Readers use it to tell a prompt batch (whose
     * experts are read once for all its tokens) from decode steps, and a trace's generations apart.
     *
     * @param experts (tokens) expert ids in rank order
     * @param weights (tokens) router weights parallel to experts, or null
     */
    public void recordPass(int pos0, int layer, int[][] experts, float[][] weights) {
        synchronized (this) {
            if (layer <= lastLayer) pass++;
            lastLayer = layer;
            for (int t = 0; t < experts.length; t++) write(pos0 + t, layer, experts[t], weights == null ? null : weights[t], pass);
        }
    }

    /**
     * Records one routing decision (no pass number).
     *
     * @param experts expert ids in rank order
     * @param weights router weights parallel to experts, or null
     */
    public void record(int token, int layer, int[] experts, float[] weights) {
        write(token, layer, experts, weights, -1);
    }

    private void write(int token, int layer, int[] experts, float[] weights, int pass) {
        if (layer < 0 || layer >= numLayers) {
            throw new IllegalArgumentException("trace " + file + ": layer " + layer + " outside [0, " + numLayers + ")");
        }
        if (weights != null && weights.length != experts.length) {
            throw new IllegalArgumentException("trace " + file + ": token " + token + " layer " + layer + ": expected "
                    + experts.length + " weights, found " + weights.length);
        }
        ObjectNode n = JSON.createObjectNode();
        n.put("token", token).put("layer", layer);
        ArrayNode ex = n.putArray("experts");
        for (int e : experts) {
            if (e < 0 || e >= numExperts) {
                throw new IllegalArgumentException("trace " + file + ": token " + token + " layer " + layer + ": expert "
                        + e + " outside [0, " + numExperts + ")");
            }
            for (int k = 0; k < ex.size(); k++) {
                if (ex.get(k).asInt() == e) {
                    throw new IllegalArgumentException("trace " + file + ": token " + token + " layer " + layer + ": expert "
                            + e + " listed twice (the reader expects distinct ids)");
                }
            }
            ex.add(e);
        }
        if (weights != null) {
            ArrayNode w = n.putArray("weights");
            for (float f : weights) {
                w.add(f);
            }
        }
        if (pass >= 0) {
            n.put("pass", pass);
        }
        String line;
        try {
            line = JSON.writeValueAsString(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("trace " + file + " already closed");
            }
            try {
                out.write(line);
                out.newLine();
            } catch (IOException e) {
                throw new UncheckedIOException("writing trace " + file, e);
            }
        }
    }

    public synchronized void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("flushing trace " + file, e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing trace " + file, e);
        }
    }
}
