// Writes a packed store directory atomically, with a progress journal so an interrupted pack resumes.
package io.strata.tiering.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.tiering.ExpertWeights;
import io.strata.tiering.store.StoreManifest.DenseEntry;
import io.strata.tiering.store.StoreManifest.ExpertEntry;
import io.strata.tiering.store.StoreManifest.MatrixEntry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Packs experts and dense tensors into a store (layout: {@link StoreManifest}).
 *
 * <p>Atomicity: everything is written into {@code OUT.partial/} beside the target. Each expert or dense tensor is
 * written, its file fsynced, and only then recorded in {@code OUT.partial/progress.jsonl} (fsynced). {@link #commit}
 * writes {@code manifest.json} under a temporary name, fsyncs and renames it, renames the directory to {@code OUT}
 * and then removes the journal. A store directory without a manifest is never produced. All file operations go
 * through a {@link StoreIo} (the file system unless a caller passes another).
 *
 * <p>Resume: {@link #create} on a target whose {@code .partial} directory exists re-reads the journal, re-checks
 * every recorded item's CRC32C against the file, keeps the good ones (see {@link #isWritten}) and truncates each
 * file after its last good item; writing a kept item again is a no-op. The journal header must match the new
 * call's codec and dimensions, or create fails.
 *
 * <p>Not thread-safe for concurrent writers beyond the per-call lock: calls are serialised.
 */
public final class StoreWriter implements AutoCloseable {
    /** One matrix of an expert as raw bytes: row-major {@code shape} of {@code dtype}, or codec-defined bytes (U8). */
    public record Blob(String name, DType dtype, long[] shape, MemorySegment data) {}

    /**
     * @param progress      show a console progress bar (bytes, rate, ETA); {@code expectedBytes} 0 = unknown
     * @param inputProgress the bar counts what the caller reports through {@link #progressInput} (the bytes it has
     *                      read, written or skipped because a resumed pack holds them) instead of the bytes written:
     *                      a codec that writes a quarter of what it reads would otherwise end its bar at 25 %
     */
    public record Options(boolean progress, long expectedBytes, boolean inputProgress) {
        public Options(boolean progress, long expectedBytes) {
            this(progress, expectedBytes, false);
        }

        public static Options quiet() {
            return new Options(false, 0);
        }
    }

    public static final String JOURNAL = "progress.jsonl";
    public static final String MANIFEST = "manifest.json";
    public static final String DENSE_FILE = "dense.bin";

    private final Path out;
    private final Path staging;
    private final StoreIo io;
    private final JsonNode modelConfig;
    private final String codec;
    private final int numLayers;
    private final int numExperts;
    private final Map<Integer, FileChannel> layerFiles = new HashMap<>();
    private final Map<String, Long> fileEnd = new HashMap<>();
    private final ExpertEntry[] experts;
    private final Map<String, DenseEntry> dense = new LinkedHashMap<>();
    private final FileChannel journal;
    private final ProgressBar progress;
    private final boolean inputProgress; // the caller steps the bar (Options.inputProgress)
    private FileChannel denseFile;
    private boolean committed;
    private int resumedExperts;

    private StoreWriter(Path out, JsonNode modelConfig, String codec, int numLayers, int numExperts, Options opt,
                        StoreIo io) throws IOException {
        this.out = out;
        this.io = io;
        this.staging = out.resolveSibling(out.getFileName() + ".partial");
        this.modelConfig = modelConfig;
        this.codec = codec;
        this.numLayers = numLayers;
        this.numExperts = numExperts;
        this.experts = new ExpertEntry[numLayers * numExperts];
        this.inputProgress = opt.inputProgress();
        Path journalPath = staging.resolve(JOURNAL);
        long resumedBytes = 0;
        if (Files.exists(journalPath)) {
            resumedBytes = resume(journalPath);
        } else {
            Files.createDirectories(staging);
            ObjectNode h = StoreManifest.JSON.createObjectNode();
            h.put("kind", "header").put("codec", codec).put("num_layers", numLayers).put("num_experts", numExperts);
            h.set("model", modelConfig);
            // Header under a temporary name, then renamed: a journal that exists always has its whole header.
            Path tmp = staging.resolve(JOURNAL + ".tmp");
            writeFile(tmp, (StoreManifest.JSON.writer().without(
                    com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsString(h) + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            move(tmp, journalPath);
        }
        this.journal = io.open(journalPath, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        this.journal.force(true);
        if (opt.progress()) {
            this.progress = new ProgressBarBuilder().setTaskName("pack " + out.getFileName())
                    .setInitialMax(opt.expectedBytes() > 0 ? opt.expectedBytes() : -1)
                    .setUnit("MiB", 1L << 20).showSpeed().continuousUpdate().build();
            if (!opt.inputProgress()) this.progress.stepTo(resumedBytes);
        } else {
            this.progress = null;
        }
    }

    /**
     * Starts (or resumes) packing into {@code out}, which must not exist yet.
     *
     * @param modelConfig free-form model description stored in the manifest (e.g. config.json)
     * @param codec       codec name of the expert blobs ("dense", "floe", ...)
     */
    public static StoreWriter create(Path out, JsonNode modelConfig, String codec, int numLayers, int numExperts) {
        return create(out, modelConfig, codec, numLayers, numExperts, Options.quiet());
    }

    public static StoreWriter create(Path out, JsonNode modelConfig, String codec, int numLayers, int numExperts,
                                     Options options) {
        return create(out, modelConfig, codec, numLayers, numExperts, options, StoreIo.DEFAULT);
    }

    /** As {@link #create(Path, JsonNode, String, int, int, Options)}, writing every file through {@code io}. */
    public static StoreWriter create(Path out, JsonNode modelConfig, String codec, int numLayers, int numExperts,
                                     Options options, StoreIo io) {
        if (numLayers < 1 || numExperts < 1) {
            throw new IllegalArgumentException("expected numLayers >= 1 and numExperts >= 1, found " + numLayers + ", "
                    + numExperts);
        }
        out = out.toAbsolutePath().normalize();
        if (Files.exists(out)) {
            throw new StoreException(out + ": target already exists (a committed store is never overwritten)");
        }
        try {
            return new StoreWriter(out, modelConfig, codec, numLayers, numExperts, options, io);
        } catch (IOException e) {
            throw new StoreException("creating store " + out + ": " + e.getMessage(), e);
        }
    }

    /** The directory being written ({@code OUT.partial}). */
    public Path stagingDirectory() {
        return staging;
    }

    /** Experts found complete and verified in the journal when this writer was created. */
    public int resumedExperts() {
        return resumedExperts;
    }

    /** True if (layer, expert) is already written (this run or a verified earlier run). */
    public synchronized boolean isWritten(int layer, int expert) {
        return experts[index(layer, expert)] != null;
    }

    /** True if the dense tensor {@code name} is already written. */
    public synchronized boolean isDenseWritten(String name) {
        return dense.containsKey(name);
    }

    /** The manifest dtype a dense tensor was written with ("BF16", "int8-g64"), or null if it was not written. */
    public synchronized String denseDtype(String name) {
        DenseEntry d = dense.get(name);
        return d == null ? null : d.dtype();
    }

    /** Writes a dense expert as gate, up, down. Returns false if it was already written. */
    public boolean writeExpert(int layer, int expert, ExpertWeights w) {
        return writeExpert(layer, expert, List.of(blob("gate", w.gate()), blob("up", w.up()), blob("down", w.down())));
    }

    private static Blob blob(String name, Matrix m) {
        return new Blob(name, m.dtype(), new long[] {m.rows(), m.cols()}, m.data());
    }

    /** Writes one expert's matrices contiguously (each 4 KiB aligned). Returns false if it was already written. */
    public synchronized boolean writeExpert(int layer, int expert, List<Blob> matrices) {
        checkOpen();
        int idx = index(layer, expert);
        if (experts[idx] != null) {
            return false;
        }
        if (matrices.isEmpty()) {
            throw new IllegalArgumentException("layer " + layer + " expert " + expert + ": expected at least one matrix");
        }
        String file = expertFile(layer);
        try {
            FileChannel ch = layerFiles.get(layer);
            if (ch == null) {
                ch = io.open(staging.resolve(file), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.READ);
                layerFiles.put(layer, ch);
            }
            long start = Crc.alignUp(fileEnd.getOrDefault(file, ch.size()), StoreManifest.ALIGNMENT);
            CRC32C region = new CRC32C();
            List<MatrixEntry> entries = new ArrayList<>();
            long rel = 0;
            for (Blob b : matrices) {
                checkBlob(b, "layer " + layer + " expert " + expert);
                long pad = Crc.alignUp(rel, StoreManifest.ALIGNMENT) - rel;
                Crc.updateZeros(region, pad);
                rel += pad;
                write(ch, b.data(), start + rel);
                Crc.update(region, b.data());
                entries.add(new MatrixEntry(b.name(), b.dtype().name(), b.shape().clone(), rel, b.data().byteSize(),
                        Crc.crc32c(b.data())));
                rel += b.data().byteSize();
            }
            long length = Crc.alignUp(rel, StoreManifest.ALIGNMENT);
            Crc.updateZeros(region, length - rel);
            writeZeros(ch, start + rel, length - rel);
            ch.force(false);
            ExpertEntry e = new ExpertEntry(layer, expert, file, start, length, region.getValue(), entries);
            appendJournal("expert", StoreManifest.JSON.valueToTree(e));
            experts[idx] = e;
            fileEnd.put(file, start + length);
            step(length);
            return true;
        } catch (IOException ex) {
            throw new StoreException("writing layer " + layer + " expert " + expert + " to " + staging.resolve(file) + ": "
                    + ex.getMessage(), ex);
        }
    }

    /** Writes one dense tensor ({@code data} row-major {@code shape} of {@code dtype}). Returns false if already written. */
    public synchronized boolean writeDense(String name, DType dtype, long[] shape, MemorySegment data) {
        checkOpen();
        if (dense.containsKey(name)) {
            return false;
        }
        checkBlob(new Blob(name, dtype, shape, data), "dense tensor " + name);
        return writeDenseBytes(name, dtype.name(), shape, data);
    }

    /**
     * Writes one dense weight matrix group-quantized: its manifest dtype is the format's label ("int8-g64"), its shape
     * the matrix's {@code [rows, cols]}, its bytes {@link io.strata.compression.quant.QuantizedMatrix}'s layout.
     * Returns false if already written.
     */
    public synchronized boolean writeDense(io.strata.compression.quant.QuantizedMatrix q) {
        checkOpen();
        if (dense.containsKey(q.name())) {
            return false;
        }
        return writeDenseBytes(q.name(), q.format().label(), new long[] {q.rows(), q.cols()}, q.data());
    }

    private boolean writeDenseBytes(String name, String dtype, long[] shape, MemorySegment data) {
        try {
            if (denseFile == null) {
                denseFile = io.open(staging.resolve(DENSE_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.READ);
            }
            long start = Crc.alignUp(fileEnd.getOrDefault(DENSE_FILE, denseFile.size()), StoreManifest.ALIGNMENT);
            write(denseFile, data, start);
            long end = Crc.alignUp(start + data.byteSize(), StoreManifest.ALIGNMENT);
            writeZeros(denseFile, start + data.byteSize(), end - start - data.byteSize());
            denseFile.force(false);
            DenseEntry d = new DenseEntry(name, dtype, shape.clone(), DENSE_FILE, start, data.byteSize(),
                    Crc.crc32c(data));
            appendJournal("dense", StoreManifest.JSON.valueToTree(d));
            dense.put(name, d);
            fileEnd.put(DENSE_FILE, end);
            step(end - start);
            return true;
        } catch (IOException ex) {
            throw new StoreException("writing dense tensor " + name + " to " + staging.resolve(DENSE_FILE) + ": "
                    + ex.getMessage(), ex);
        }
    }

    /** Writes the manifest and renames the finished store into place. Every expert of every layer must be written. */
    public synchronized Path commit() {
        return commit(l -> true);
    }

    /**
     * As {@link #commit()} for a model whose dense layers have no experts (DeepSeek's first_k_dense_replace, Qwen's
     * mlp_only_layers): every expert of each layer where {@code expertLayer} holds must be written, the others none.
     */
    public synchronized Path commit(java.util.function.IntPredicate expertLayer) {
        checkOpen();
        boolean any = false;
        for (int l = 0; l < numLayers; l++) {
            boolean want = expertLayer.test(l);
            any |= want;
            for (int e = 0; e < numExperts; e++) {
                if (!want && experts[index(l, e)] != null) {
                    throw new StoreException("cannot commit " + out + ": layer " + l + " is dense but expert " + e + " was written");
                }
                if (want && experts[index(l, e)] == null) {
                    throw new StoreException("cannot commit " + out + ": layer " + l + " expert " + e + " was never written");
                }
            }
        }
        if (!any) throw new StoreException("cannot commit " + out + ": no layer has experts");
        try {
            closeFiles();
            List<ExpertEntry> list = Arrays.stream(experts).filter(java.util.Objects::nonNull).toList();
            Map<String, long[]> shapes = new TreeMap<>();
            String dtype = null;
            for (MatrixEntry m : list.get(0).matrices()) {
                shapes.put(m.name(), m.shape());
            }
            for (ExpertEntry e : list) {
                for (MatrixEntry m : e.matrices()) {
                    dtype = dtype == null || dtype.equals(m.dtype()) ? m.dtype() : "mixed";
                }
            }
            StoreManifest man = new StoreManifest(StoreManifest.FORMAT, StoreManifest.VERSION, modelConfig, codec, dtype,
                    numLayers, numExperts, StoreManifest.ALIGNMENT, shapes, list, new ArrayList<>(dense.values()));
            Path tmp = staging.resolve(MANIFEST + ".tmp");
            writeFile(tmp, StoreManifest.JSON.writeValueAsBytes(man));
            move(tmp, staging.resolve(MANIFEST));
            fsyncDir(staging);
            // Renamed with its journal still inside: a crash before the rename resumes (every item verifies, the
            // manifest is written again identically); a crash after it leaves a complete store plus a journal.
            move(staging, out);
            fsyncDir(out.getParent());
            io.delete(out.resolve(JOURNAL));
            fsyncDir(out);
            committed = true;
            if (progress != null) {
                progress.close();
            }
            return out;
        } catch (IOException ex) {
            throw new StoreException("committing store " + out + ": " + ex.getMessage(), ex);
        }
    }

    /** Closes files; an uncommitted store stays in {@code OUT.partial} and resumes on the next create. */
    @Override
    public synchronized void close() {
        try {
            closeFiles();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (progress != null && !committed) {
            progress.close();
        }
        committed = true;
    }

    /** Bytes currently in the staging directory ({@code OUT.partial}), 0 if it is gone. */
    public long stagingBytes() {
        if (!Files.isDirectory(staging)) {
            return 0;
        }
        try (var files = Files.walk(staging)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
    }

    /**
     * Gives up this pack: closes the files and deletes {@code OUT.partial} (for a pack that failed on its input, where
     * resuming cannot help). No-op after {@link #commit}.
     */
    public synchronized void discard() {
        if (committed && Files.exists(out)) {
            return;
        }
        close();
        try (var files = Files.walk(staging)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new StoreException("removing the unfinished store " + staging + ": " + e.getMessage(), e);
        }
    }

    // ---- internals ----

    private long resume(Path journalPath) throws IOException {
        List<String> lines = Files.readAllLines(journalPath, StandardCharsets.UTF_8);
        JsonNode h = lines.isEmpty() ? null : StoreManifest.JSON.readTree(lines.getFirst());
        if (h == null || !"header".equals(h.path("kind").asText()) || !codec.equals(h.path("codec").asText())
                || h.path("num_layers").asInt() != numLayers || h.path("num_experts").asInt() != numExperts) {
            throw new StoreException(journalPath + ": cannot resume: expected codec " + codec + ", " + numLayers
                    + " layers, " + numExperts + " experts; found journal header " + h
                    + " (remove " + staging + " to start over)");
        }
        long bytes = 0;
        List<String> kept = new ArrayList<>();
        kept.add(lines.getFirst());
        for (int i = 1; i < lines.size(); i++) {
            JsonNode n;
            try {
                n = StoreManifest.JSON.readTree(lines.get(i));
            } catch (IOException torn) {
                continue; // a line torn by the interruption: the item is written again
            }
            String kind = n.path("kind").asText();
            JsonNode item = n.path("item");
            if ("expert".equals(kind)) {
                ExpertEntry e = StoreManifest.JSON.treeToValue(item, ExpertEntry.class);
                if (verify(staging.resolve(e.file()), e.offset(), e.length(), e.crc32c())) {
                    experts[index(e.layer(), e.expert())] = e;
                    fileEnd.merge(e.file(), e.offset() + e.length(), Math::max);
                    bytes += e.length();
                    resumedExperts++;
                    kept.add(lines.get(i));
                }
            } else if ("dense".equals(kind)) {
                DenseEntry d = StoreManifest.JSON.treeToValue(item, DenseEntry.class);
                if (verify(staging.resolve(d.file()), d.offset(), d.length(), d.crc32c())) {
                    dense.put(d.name(), d);
                    fileEnd.merge(d.file(), Crc.alignUp(d.offset() + d.length(), StoreManifest.ALIGNMENT), Math::max);
                    bytes += d.length();
                    kept.add(lines.get(i));
                }
            }
        }
        // Drop bytes after the last good item of each file (a partially written item).
        try (var files = Files.list(staging)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".bin")) {
                    try (FileChannel c = io.open(f, StandardOpenOption.WRITE)) {
                        c.truncate(fileEnd.getOrDefault(name, 0L));
                        c.force(true);
                    }
                }
            }
        }
        Path tmp = staging.resolve(JOURNAL + ".tmp");
        writeFile(tmp, (String.join("\n", kept) + "\n").getBytes(StandardCharsets.UTF_8));
        move(tmp, journalPath);
        return bytes;
    }

    private boolean verify(Path file, long offset, long length, long crc) throws IOException {
        if (offset < 0 || length < 0 || !Files.isRegularFile(file) || Files.size(file) < offset + length) {
            return false;
        }
        try (FileChannel c = io.open(file, StandardOpenOption.READ); Arena a = Arena.ofConfined()) {
            MemorySegment m = c.map(FileChannel.MapMode.READ_ONLY, offset, length, a);
            return Crc.crc32c(m) == crc;
        }
    }

    private void appendJournal(String kind, JsonNode item) throws IOException {
        ObjectNode n = StoreManifest.JSON.createObjectNode();
        n.put("kind", kind);
        n.set("item", item);
        byte[] line = (StoreManifest.JSON.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(n) + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.wrap(line);
        while (b.hasRemaining()) {
            journal.write(b);
        }
        journal.force(false);
    }

    private static void write(FileChannel ch, MemorySegment data, long position) throws IOException {
        final long chunk = 1L << 30;
        for (long off = 0; off < data.byteSize(); off += chunk) {
            ByteBuffer b = data.asSlice(off, Math.min(chunk, data.byteSize() - off)).asByteBuffer();
            long pos = position + off;
            while (b.hasRemaining()) {
                pos += ch.write(b, pos);
            }
        }
    }

    private static void writeZeros(FileChannel ch, long position, long n) throws IOException {
        if (n <= 0) {
            return;
        }
        ByteBuffer z = ByteBuffer.allocate((int) Math.min(n, 1 << 16));
        while (n > 0) {
            z.clear().limit((int) Math.min(n, z.capacity()));
            int w = ch.write(z, position);
            position += w;
            n -= w;
        }
    }

    private static void checkBlob(Blob b, String where) {
        long elems = 1;
        for (long d : b.shape()) {
            if (d < 0) {
                throw new IllegalArgumentException(where + " matrix " + b.name() + ": negative dimension in "
                        + Arrays.toString(b.shape()));
            }
            elems *= d;
        }
        if (b.dtype().isFloat() && elems * b.dtype().bytes != b.data().byteSize()) {
            throw new IllegalArgumentException(where + " matrix " + b.name() + ": expected " + elems * b.dtype().bytes
                    + " bytes for " + Arrays.toString(b.shape()) + " " + b.dtype() + ", found " + b.data().byteSize());
        }
    }

    /** With {@link Options#inputProgress}: advances the bar by bytes of input handled (written or found already packed). */
    public synchronized void progressInput(long bytes) {
        if (progress != null && inputProgress) progress.stepBy(bytes);
    }

    private void step(long bytes) {
        if (progress != null && !inputProgress) {
            progress.stepBy(bytes);
        }
    }

    private int index(int layer, int expert) {
        if (layer < 0 || layer >= numLayers || expert < 0 || expert >= numExperts) {
            throw new IllegalArgumentException("expected layer in [0, " + numLayers + ") and expert in [0, " + numExperts
                    + "), found layer " + layer + " expert " + expert);
        }
        return layer * numExperts + expert;
    }

    static String expertFile(int layer) {
        return String.format("experts-%03d.bin", layer);
    }

    private void checkOpen() {
        if (committed) {
            throw new IllegalStateException("store writer for " + out + " is closed");
        }
    }

    private void closeFiles() throws IOException {
        for (FileChannel c : layerFiles.values()) {
            c.close();
        }
        layerFiles.clear();
        if (denseFile != null) {
            denseFile.close();
            denseFile = null;
        }
        if (journal.isOpen()) {
            journal.close();
        }
    }

    private void move(Path from, Path to) throws IOException {
        try {
            io.move(from, to);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("file system cannot rename " + from + " to " + to + " atomically", e);
        }
    }

    /** Creates or replaces {@code file} with {@code bytes} and fsyncs it. */
    private void writeFile(Path file, byte[] bytes) throws IOException {
        try (FileChannel c = io.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            long pos = 0;
            while (b.hasRemaining()) {
                pos += c.write(b, pos);
            }
            c.force(true);
        }
    }

    private void fsyncDir(Path dir) {
        try (FileChannel c = io.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        } catch (IOException e) {
            // Some file systems refuse to open directories for fsync; the renames are still atomic there.
            System.getLogger(StoreWriter.class.getName()).log(System.Logger.Level.DEBUG, "fsync of directory " + dir
                    + " not supported: " + e.getMessage());
        }
    }
}
