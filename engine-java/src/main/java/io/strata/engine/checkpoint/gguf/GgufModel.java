// A GGUF model: one file, or the shards NAME-0000N-of-0000M.gguf read as one.
package io.strata.engine.checkpoint.gguf;

import io.strata.engine.checkpoint.CheckpointException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Opens a .gguf file; a shard name ({@code NAME-00001-of-00003.gguf}, any of them) opens every
 * shard of the set, checked against their {@code split.no} / {@code split.count} metadata. The
 * metadata is the first shard's; tensors are those of all shards (a name may appear once).
 */
public final class GgufModel implements AutoCloseable {
    private static final Pattern SHARD = Pattern.compile("(.*)-(\\d{5})-of-(\\d{5})\\.gguf");
    private final Path path;
    private final Arena arena = Arena.ofShared();
    private final List<GgufFile> files = new ArrayList<>();
    private final Map<String, GgufTensor> tensors = new LinkedHashMap<>();

    private GgufModel(Path path) {
        this.path = path;
    }

    public static boolean isGguf(Path p) {
        return p.getFileName() != null && p.getFileName().toString().endsWith(".gguf") && Files.isRegularFile(p);
    }

    /** The shard files of p in order (p alone when its name is not a shard name). */
    public static List<Path> shards(Path p) {
        Matcher m = SHARD.matcher(p.getFileName().toString());
        if (!m.matches()) return List.of(p);
        int count = Integer.parseInt(m.group(3));
        if (count < 1 || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > count) {
            throw new CheckpointException(p + ": shard number " + m.group(2) + " of " + m.group(3) + " is not in 1.." + m.group(3));
        }
        List<Path> r = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            Path s = p.resolveSibling(String.format("%s-%05d-of-%05d.gguf", m.group(1), i, count));
            if (!Files.isRegularFile(s)) {
                throw new CheckpointException(p + ": shard " + s.getFileName() + " of the " + count + "-file set is missing");
            }
            r.add(s);
        }
        return r;
    }

    public static GgufModel open(Path p) {
        GgufModel g = new GgufModel(p);
        try {
            List<Path> shards = shards(p);
            for (int i = 0; i < shards.size(); i++) {
                GgufFile f = GgufFile.open(shards.get(i), g.arena);
                if (shards.size() > 1) {
                    Object no = f.metadata().get("split.no"), cnt = f.metadata().get("split.count");
                    if (no != null && !no.equals((long) i) || cnt != null && !cnt.equals((long) shards.size())) {
                        throw new CheckpointException(f.path() + ": split.no " + no + " / split.count " + cnt + ", expected " + i + " / "
                                + shards.size() + " from its name");
                    }
                }
                for (GgufTensor t : f.tensors()) {
                    GgufTensor prev = g.tensors.put(t.name(), t);
                    if (prev != null) {
                        throw new CheckpointException(t.file() + ": tensor " + t.name() + " is also in " + prev.file().getFileName());
                    }
                }
                g.files.add(f);
            }
            Object total = g.files.get(0).metadata().get("split.tensors.count");
            if (shards.size() > 1 && total != null && !total.equals((long) g.tensors.size())) {
                throw new CheckpointException(p + ": split.tensors.count is " + total + " but the " + shards.size() + " shards hold "
                        + g.tensors.size() + " tensors");
            }
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
        return g;
    }

    public Path path() {
        return path;
    }

    public List<GgufFile> files() {
        return Collections.unmodifiableList(files);
    }

    /** The first shard's metadata. */
    public Map<String, Object> metadata() {
        return files.get(0).metadata();
    }

    public Map<String, GgufTensor> tensors() {
        return Collections.unmodifiableMap(tensors);
    }

    /** A metadata value that must be present, else an error naming the file and key. */
    public Object require(String key) {
        Object v = metadata().get(key);
        if (v == null) throw new CheckpointException(path + ": missing GGUF metadata '" + key + "'");
        return v;
    }

    public long requireLong(String key) {
        Object v = require(key);
        if (v instanceof Long l) return l;
        throw new CheckpointException(path + ": GGUF metadata '" + key + "' is " + v + ", expected an integer");
    }

    public double getDouble(String key, double dflt) {
        Object v = metadata().get(key);
        if (v == null) return dflt;
        if (v instanceof Number n) return n.doubleValue();
        throw new CheckpointException(path + ": GGUF metadata '" + key + "' is " + v + ", expected a number");
    }

    public String getString(String key, String dflt) {
        Object v = metadata().get(key);
        if (v == null) return dflt;
        if (v instanceof String s) return s;
        throw new CheckpointException(path + ": GGUF metadata '" + key + "' is " + v + ", expected a string");
    }

    @Override
    public void close() {
        arena.close();
    }
}
