// Reads one .safetensors file by mapping it (no 2 GiB limit) and validating its header.
package io.strata.engine.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.compression.DType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Format: u64 little-endian header length N, N bytes of JSON
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}},
 * then the data; offsets are relative to the end of the header.
 */
public final class SafetensorsFile {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Headers larger than this are rejected as corrupt (the format's own limit is 100 MB). */
    private static final long MAX_HEADER = 100L << 20;

    private final Path path;
    private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();

    private SafetensorsFile(Path path) {
        this.path = path;
    }

    /** Maps the file into arena (its lifetime bounds the tensors) and indexes every tensor. */
    public static SafetensorsFile open(Path path, Arena arena) {
        SafetensorsFile f = new SafetensorsFile(path);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new CheckpointException(path + ": truncated safetensors file (" + size + " bytes, need at least 8 for the header length)");
            }
            MemorySegment map = io.strata.compression.MappedSegments.asNative(ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena), arena);
            long n = map.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (n <= 0 || n > MAX_HEADER || 8 + n > size) {
                throw new CheckpointException(path + ": corrupt or truncated safetensors header: header length " + n
                        + " bytes, file " + size + " bytes");
            }
            byte[] hb = map.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
            JsonNode header;
            try {
                header = JSON.readTree(new String(hb, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new CheckpointException(path + ": safetensors header is not valid JSON: " + e.getMessage(), e);
            }
            long dataStart = 8 + n;
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) continue;
                f.tensors.put(e.getKey(), parse(path, e.getKey(), e.getValue(), map, dataStart, size));
            }
            checkDisjoint(path, f.tensors, map.address() + dataStart);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot read: " + e.getMessage(), e);
        }
        return f;
    }

    private static TensorInfo parse(Path path, String name, JsonNode t, MemorySegment map, long dataStart, long size) {
        DType dtype;
        try {
            dtype = DType.fromSafetensors(t.path("dtype").asText());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(path + ": tensor " + name + ": " + e.getMessage());
        }
        JsonNode sh = t.path("shape"), off = t.path("data_offsets");
        if (!sh.isArray() || !off.isArray() || off.size() != 2) {
            throw new CheckpointException(path + ": tensor " + name + ": header entry needs 'shape' and 'data_offsets' [begin, end]");
        }
        long[] shape = new long[sh.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = sh.get(i).asLong();
            numel *= shape[i];
        }
        long begin = off.get(0).asLong(), end = off.get(1).asLong();
        if (end - begin != numel * dtype.bytes || begin < 0) {
            throw new CheckpointException(path + ": tensor " + name + ": data_offsets [" + begin + ", " + end + ") hold "
                    + (end - begin) + " bytes, expected " + numel * dtype.bytes + " for shape " + java.util.Arrays.toString(shape) + " " + dtype);
        }
        if (dataStart + end > size) {
            throw new CheckpointException(path + ": truncated: tensor " + name + " ends at byte " + (dataStart + end)
                    + " but the file has " + size + " bytes");
        }
        return new TensorInfo(name, path, dtype, shape, map.asSlice(dataStart + begin, end - begin));
    }

    /**
     * Two tensors sharing bytes would make one silently read the other's weights: sort by start
     * offset and require each tensor to begin at or after the end of the previous one. Empty
     * tensors (zero bytes) overlap nothing.
     */
    private static void checkDisjoint(Path path, Map<String, TensorInfo> tensors, long dataAddress) {
        java.util.List<TensorInfo> byStart = new java.util.ArrayList<>();
        for (TensorInfo t : tensors.values()) if (t.data().byteSize() > 0) byStart.add(t);
        byStart.sort(java.util.Comparator.comparingLong(t -> t.data().address()));
        for (int i = 1; i < byStart.size(); i++) {
            TensorInfo a = byStart.get(i - 1), b = byStart.get(i);
            long aBegin = a.data().address() - dataAddress, aEnd = aBegin + a.data().byteSize();
            long bBegin = b.data().address() - dataAddress, bEnd = bBegin + b.data().byteSize();
            if (bBegin < aEnd) {
                throw new CheckpointException(path + ": tensors " + a.name() + " (data_offsets [" + aBegin + ", " + aEnd + ")) and "
                        + b.name() + " (data_offsets [" + bBegin + ", " + bEnd + ")) overlap; each tensor must have its own bytes");
            }
        }
    }

    public Path path() {
        return path;
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }
}
