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
public final class Checkpoint implements ModelSource {
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
            c.checkFp8Scales();
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Suffix of the block scales of an FP8 weight: "x.weight" has "x.weight_scale_inv". */
    public static final String SCALE_INV = "_scale_inv";

    /** (rows, cols) of one FP8 scale block: quantization_config.weight_block_size, default 128 x 128. */
    private int[] fp8Block() {
        JsonNode b = config.path("quantization_config").path("weight_block_size");
        if (b.isArray() && b.size() == 2 && b.get(0).canConvertToInt() && b.get(1).canConvertToInt()
                && b.get(0).asInt() > 0 && b.get(1).asInt() > 0) {
            return new int[] {b.get(0).asInt(), b.get(1).asInt()};
        }
        if (!b.isMissingNode()) {
            throw new CheckpointException(dir.resolve("config.json") + ": quantization_config.weight_block_size is " + b
                    + ", expected [rows, cols] of positive integers");
        }
        return new int[] {128, 128};
    }

    /** Every FP8 tensor is a 2-D weight with its block scales of the right shape beside it. */
    private void checkFp8Scales() {
        int[] blk = null;
        for (TensorInfo t : tensors.values()) {
            if (t.dtype() != io.strata.compression.DType.F8_E4M3) continue;
            if (blk == null) blk = fp8Block();
            if (t.shape().length != 2) {
                throw new CheckpointException(t.file() + ": tensor " + t.name() + " is F8_E4M3 with shape " + t.shapeString()
                        + "; only 2-D weights with block scales are supported");
            }
            TensorInfo s = tensors.get(t.name() + SCALE_INV);
            long[] want = {(t.shape()[0] + blk[0] - 1) / blk[0], (t.shape()[1] + blk[1] - 1) / blk[1]};
            if (s == null) {
                throw new CheckpointException(t.file() + ": F8_E4M3 tensor " + t.name() + " has no block scales " + t.name() + SCALE_INV
                        + " (expected shape " + Arrays.toString(want) + " for " + blk[0] + "x" + blk[1] + " blocks)");
            }
            if (!Arrays.equals(s.shape(), want) || !s.dtype().isFloat()) {
                throw new CheckpointException(s.file() + ": tensor " + s.name() + " has " + s.dtype() + " " + s.shapeString() + ", expected a float tensor of shape "
                        + Arrays.toString(want) + " (" + t.name() + " is " + t.shapeString() + " in " + blk[0] + "x" + blk[1] + " blocks)");
            }
        }
    }

    /** True when some weight is stored as block-scaled FP8 (and is dequantized to F32 when read). */
    public boolean hasFp8() {
        for (TensorInfo t : tensors.values()) if (t.dtype() == io.strata.compression.DType.F8_E4M3) return true;
        return false;
    }

    /** An FP8 weight with its scales, dequantized to F32 (a fresh off-heap copy the GC frees). */
    private TensorInfo dequantizeFp8(TensorInfo t) {
        int rows = (int) t.shape()[0], cols = (int) t.shape()[1];
        int[] blk = fp8Block();
        TensorInfo s = tensors.get(t.name() + SCALE_INV);
        java.lang.foreign.MemorySegment out = Arena.ofAuto().allocate((long) rows * cols * 4, 64);
        // One band of blk[0] rows at a time: the transient heap copy is a band, not the whole weight.
        float[] band = new float[Math.multiplyExact(Math.min(rows, blk[0]), cols)];
        long scaleRowBytes = (long) ((cols + blk[1] - 1) / blk[1]) * s.dtype().bytes;
        for (int r0 = 0; r0 < rows; r0 += blk[0]) {
            int n = Math.min(blk[0], rows - r0);
            io.strata.compression.Fp8.dequantizeBlockScaled(t.data().asSlice((long) r0 * cols, (long) n * cols),
                    s.data().asSlice(r0 / blk[0] * scaleRowBytes, scaleRowBytes), s.dtype(), n, cols, blk[0], blk[1], band);
            java.lang.foreign.MemorySegment.copy(band, 0, out, io.strata.compression.Layouts.F32, (long) r0 * cols * 4, n * cols);
        }
        return new TensorInfo(t.name(), t.file(), io.strata.compression.DType.F32, t.shape(), out);
    }

    /**
     * An F8_E4M3 weight as stored (codes mapped, no copy) with its block scales widened to F32: what {@code strata
     * pack} keeps for FP8 experts. Fails naming the tensor when it is not FP8.
     */
    public io.strata.compression.fp8.Fp8Matrix fp8(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new CheckpointException(dir + ": missing tensor " + name);
        if (t.dtype() != io.strata.compression.DType.F8_E4M3) {
            throw new CheckpointException(t.file() + ": tensor " + name + " is " + t.dtype() + ", expected F8_E4M3 with block scales");
        }
        int[] blk = fp8Block();
        TensorInfo s = tensors.get(name + SCALE_INV); // present and of the right shape: checkFp8Scales ran at open
        long n = s.data().byteSize() / s.dtype().bytes;
        java.lang.foreign.MemorySegment f32 = Arena.ofAuto().allocate(n * 4, 64);
        for (long i = 0; i < n; i++) {
            float v = switch (s.dtype()) {
                case F32 -> s.data().getAtIndex(io.strata.compression.Layouts.F32, i);
                case BF16 -> io.strata.compression.Halfs.bf16ToFloat(s.data().getAtIndex(io.strata.compression.Layouts.I16, i));
                default -> io.strata.compression.Halfs.f16ToFloat(s.data().getAtIndex(io.strata.compression.Layouts.I16, i));
            };
            f32.setAtIndex(io.strata.compression.Layouts.F32, i, v);
        }
        return new io.strata.compression.fp8.Fp8Matrix(name, (int) t.shape()[0], (int) t.shape()[1], blk[0], blk[1], t.data(), f32);
    }

    /** (rows, cols) of the FP8 scale blocks (quantization_config.weight_block_size, 128 x 128 by default). */
    public int[] fp8BlockSize() {
        return fp8Block();
    }

    public Path dir() {
        return dir;
    }

    @Override
    public JsonNode config() {
        return config;
    }

    @Override
    public Path path() {
        return dir;
    }

    @Override
    public java.util.List<String> tensorNames() {
        java.util.List<String> r = new java.util.ArrayList<>();
        for (TensorInfo t : tensors.values()) {
            String n = t.name();
            if (n.endsWith(SCALE_INV) && tensors.containsKey(n.substring(0, n.length() - SCALE_INV.length()))
                    && tensors.get(n.substring(0, n.length() - SCALE_INV.length())).dtype() == io.strata.compression.DType.F8_E4M3) continue;
            r.add(n);
        }
        return r;
    }

    @Override
    public TensorInfo load(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new CheckpointException(dir + ": missing tensor " + name);
        return t.dtype() == io.strata.compression.DType.F8_E4M3 ? dequantizeFp8(t) : t;
    }

    @Override
    public long totalBytes() {
        long total = 0;
        for (TensorInfo t : tensors.values()) total += t.data().byteSize() * (t.dtype() == io.strata.compression.DType.F8_E4M3 ? 4 : 1);
        return total;
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
        if (t.dtype() == io.strata.compression.DType.F8_E4M3) return dequantizeFp8(t);
        if (!t.dtype().isFloat()) {
            throw new CheckpointException(t.file() + ": tensor " + name + " has dtype " + t.dtype() + ", expected F32, F16, BF16 or F8_E4M3 with block scales");
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
