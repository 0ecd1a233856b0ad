// A Hugging Face checkpoint folder: config.json plus one or many safetensors shards.
package io.strata.engine.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.compression.Matrix;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Opens {@code config.json} and the weights: {@code model.safetensors}, or the shards listed by
 * {@code model.safetensors.index.json}. Files are memory-mapped into a shared arena that
 * {@link #close()} releases.
 */
public final class Checkpoint implements AutoCloseable, WeightSource {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final JsonNode config;
    private final Arena arena = Arena.ofShared();
    private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();

    private Checkpoint(Path dir, JsonNode config) {
        this.dir = dir;
        this.config = config;
    }

    public static boolean looksLikeCheckpoint(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json"))
                && (Files.isRegularFile(dir.resolve("model.safetensors")) || Files.isRegularFile(dir.resolve("model.safetensors.index.json")));
    }

    public static JsonNode readConfig(Path dir) {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) {
            String store = io.strata.tiering.store.PackedStore.describeIncomplete(dir);
            if (store != null) {
                throw new CheckpointException(store); // not a checkpoint at all: say what is missing from the store
            }
            throw new CheckpointException(cfg + ": not found (a Hugging Face checkpoint folder needs config.json)");
        }
        try {
            return JSON.readTree(cfg.toFile());
        } catch (IOException e) {
            throw new CheckpointException(cfg + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    public static Checkpoint open(Path dir) {
        Checkpoint c = new Checkpoint(dir, readConfig(dir));
        try {
            Path single = dir.resolve("model.safetensors"), index = dir.resolve("model.safetensors.index.json");
            if (Files.isRegularFile(index)) {
                JsonNode map;
                try {
                    map = JSON.readTree(index.toFile()).path("weight_map");
                } catch (IOException e) {
                    throw new CheckpointException(index + ": not valid JSON: " + e.getMessage(), e);
                }
                if (!map.isObject() || map.isEmpty()) {
                    throw new CheckpointException(index + ": expected a non-empty 'weight_map' object");
                }
                TreeSet<String> files = new TreeSet<>();
                for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) files.add(it.next().asText());
                for (String f : files) {
                    Path p = dir.resolve(f);
                    if (!Files.isRegularFile(p)) {
                        throw new CheckpointException(index + ": lists shard " + f + " which does not exist in " + dir);
                    }
                    c.tensors.putAll(SafetensorsFile.open(p, c.arena).tensors());
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    TensorInfo t = c.tensors.get(e.getKey());
                    if (t == null || !t.file().getFileName().toString().equals(e.getValue().asText())) {
                        throw new CheckpointException(index + ": tensor " + e.getKey() + " should be in " + e.getValue().asText()
                                + " but " + (t == null ? "no shard has it" : "it is in " + t.file().getFileName()));
                    }
                }
            } else if (Files.isRegularFile(single)) {
                c.tensors.putAll(SafetensorsFile.open(single, c.arena).tensors());
            } else {
                throw new CheckpointException(dir + ": no model.safetensors or model.safetensors.index.json");
            }
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    public Path dir() {
        return dir;
    }

    public JsonNode config() {
        return config;
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor, checked against the expected shape; the error names file, tensor and shapes. */
    public TensorInfo tensor(String name, long... expectedShape) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(dir + ": missing tensor " + name + " (expected shape " + Arrays.toString(expectedShape) + ")");
        }
        if (!Arrays.equals(t.shape(), expectedShape)) {
            throw new CheckpointException(t.file() + ": tensor " + name + " has shape " + t.shapeString() + ", expected "
                    + Arrays.toString(expectedShape));
        }
        if (!t.dtype().isFloat()) {
            throw new CheckpointException(t.file() + ": tensor " + name + " has dtype " + t.dtype() + ", expected F32, F16 or BF16");
        }
        return t;
    }

    /** A 2-D weight (rows, cols) as a Matrix over the mapped bytes. */
    @Override
    public Matrix matrix(String name, int rows, int cols) {
        TensorInfo t = tensor(name, rows, cols);
        return new Matrix(name, t.data(), t.dtype(), rows, cols);
    }

    /** A 1-D weight (len) as a (1, len) Matrix. */
    @Override
    public Matrix vector(String name, int len) {
        TensorInfo t = tensor(name, len);
        return new Matrix(name, t.data(), t.dtype(), 1, len);
    }

    @Override
    public void close() {
        arena.close();
    }
}
