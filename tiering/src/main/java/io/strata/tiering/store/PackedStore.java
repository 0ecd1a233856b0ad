// Opens a packed store: validates the manifest against the files, maps dense tensors, locates expert blobs.
package io.strata.tiering.store;

import io.strata.compression.DType;
import io.strata.compression.Matrix;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import io.strata.tiering.ExpertWeights;
import io.strata.tiering.store.StoreManifest.DenseEntry;
import io.strata.tiering.store.StoreManifest.ExpertEntry;
import io.strata.tiering.store.StoreManifest.MatrixEntry;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A read-only view of a store written by {@link StoreWriter}. {@link #open} checks the manifest's structure and
 * every file's size against it (a truncated file or a manifest that does not describe the files fails at open,
 * naming the file, layer and expert); content checksums are verified whenever bytes are served: an expert when it
 * is read ({@link #readExpert}, or by the tiered store's loader), a dense tensor on its first {@link #dense} call.
 * Dense files are memory-mapped into a shared arena that lives until {@link #close}, or, after
 * {@link #readDenseIntoMemory}, read whole into native memory of that arena on the first {@link #dense} call that
 * needs them.
 */
public final class PackedStore implements AutoCloseable {
    /**
     * A dense tensor: row-major {@code shape} of {@code dtype} in {@code data} (read-only by contract). A weight matrix
     * packed group-quantized ({@code strata pack --dense}) has {@code quant} set, dtype U8, and its bytes laid out as
     * {@link QuantizedMatrix} describes; {@code quant} is null for a float tensor.
     */
    public record DenseTensor(String name, DType dtype, long[] shape, MemorySegment data, QuantFormat quant) {
        /** The quantized matrix over these bytes; fails for a float tensor. */
        public QuantizedMatrix quantized() {
            if (quant == null) throw new IllegalStateException(name + " is stored as " + dtype + ", not quantized");
            return QuantizedMatrix.view(name, quant, (int) shape[0], (int) shape[1], data);
        }
    }

    private final Path dir;
    private final StoreManifest manifest;
    private final ExpertEntry[] experts; // (layer, expert)
    private final Map<String, DenseEntry> dense = new LinkedHashMap<>();
    private final Map<String, MemorySegment> denseFiles = new HashMap<>(); // file name -> its bytes, mapped or read
    private final Set<String> denseVerified = ConcurrentHashMap.newKeySet();
    private final Arena arena = Arena.ofShared();
    private volatile boolean denseInMemory;

    private PackedStore(Path dir, StoreManifest m) {
        this.dir = dir;
        this.manifest = m;
        this.experts = new ExpertEntry[m.numLayers() * m.numExperts()];
    }

    /**
     * Says what {@code dir} is when it holds store files but no manifest.json, or null when it holds none: the
     * staging folder of an unfinished pack (its journal present), or a store whose manifest was removed (expert or
     * dense blob files present). Lets a caller that expected a checkpoint or a store name what is actually missing.
     */
    public static String describeIncomplete(Path dir) {
        if (!Files.isDirectory(dir) || Files.isRegularFile(dir.resolve(StoreWriter.MANIFEST))) {
            return null;
        }
        if (Files.isRegularFile(dir.resolve(StoreWriter.JOURNAL))) {
            return dir + ": an unfinished pack (" + StoreWriter.JOURNAL + " present, no " + StoreWriter.MANIFEST
                    + "): run the same strata pack command again to finish it";
        }
        java.util.List<String> blobs;
        try (var files = Files.list(dir)) {
            blobs = files.map(f -> f.getFileName().toString())
                    .filter(n -> n.equals(StoreWriter.DENSE_FILE) || n.matches("experts-\\d{3}\\.bin")).sorted().toList();
        } catch (IOException e) {
            return null;
        }
        if (blobs.isEmpty()) {
            return null;
        }
        return dir + ": looks like a packed store (" + String.join(", ", blobs.subList(0, Math.min(3, blobs.size())))
                + (blobs.size() > 3 ? ", ... " + blobs.size() + " blob files" : "") + " present) without its "
                + StoreWriter.MANIFEST + ", which lists where every expert lies and its checksum; the blobs cannot be used"
                + " without it: restore " + StoreWriter.MANIFEST + " or pack the model again";
    }

    public static PackedStore open(Path dir) {
        Path mf = dir.resolve(StoreWriter.MANIFEST);
        if (!Files.isRegularFile(mf)) {
            String incomplete = describeIncomplete(dir);
            if (incomplete != null) {
                throw new StoreException(incomplete);
            }
            String hint = Files.isDirectory(dir.resolveSibling(dir.getFileName() + ".partial"))
                    ? " (an unfinished pack is in " + dir.getFileName() + ".partial: run the pack again to resume)" : "";
            throw new StoreException(dir + ": not a packed store, expected " + mf + hint);
        }
        StoreManifest m;
        try {
            m = StoreManifest.JSON.readValue(mf.toFile(), StoreManifest.class);
        } catch (IOException e) {
            throw new StoreException(mf + ": unreadable manifest: " + e.getMessage(), e);
        }
        if (!StoreManifest.FORMAT.equals(m.format()) || m.version() != StoreManifest.VERSION) {
            throw new StoreException(mf + ": expected format " + StoreManifest.FORMAT + " version " + StoreManifest.VERSION
                    + ", found " + m.format() + " version " + m.version());
        }
        // Checked before anything is sized by them: the expert table has numLayers x numExperts entries, of which the
        // dense layers (no experts) list none; validate() then checks each layer lists all of its experts or none.
        int listed = m.experts() == null ? 0 : m.experts().size();
        if (m.numLayers() < 1 || m.numExperts() < 1 || listed < 1 || listed > (long) m.numLayers() * m.numExperts()
                || listed % m.numExperts() != 0) {
            throw new StoreException(mf + ": expected " + (long) m.numLayers() * m.numExperts() + " experts (" + m.numLayers()
                    + " layers x " + m.numExperts() + ", each at least 1; a dense layer lists none, so a multiple of "
                    + m.numExperts() + " up to that), found " + listed);
        }
        PackedStore s = new PackedStore(dir, m);
        try {
            s.validate(mf);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private void validate(Path mf) {
        int align = manifest.alignment();
        if (align != StoreManifest.ALIGNMENT) {
            throw new StoreException(mf + ": expected alignment " + StoreManifest.ALIGNMENT + ", found " + align);
        }
        Map<String, Long> sizes = new HashMap<>();
        for (ExpertEntry e : manifest.experts()) {
            if (e == null || e.file() == null || e.matrices() == null) {
                throw new StoreException(mf + ": expected every expert entry to have a file and a list of matrices, found " + e);
            }
            String where = mf + ": layer " + e.layer() + " expert " + e.expert() + " in " + e.file();
            if (e.layer() < 0 || e.layer() >= manifest.numLayers() || e.expert() < 0 || e.expert() >= manifest.numExperts()) {
                throw new StoreException(where + ": outside " + manifest.numLayers() + " layers x " + manifest.numExperts()
                        + " experts");
            }
            int i = e.layer() * manifest.numExperts() + e.expert();
            if (experts[i] != null) {
                throw new StoreException(where + ": listed twice");
            }
            if (e.offset() < 0 || e.offset() % align != 0 || e.length() % align != 0 || e.length() <= 0) {
                throw new StoreException(where + ": expected offset and length multiples of " + align + ", found offset "
                        + e.offset() + " length " + e.length());
            }
            long size = sizes.computeIfAbsent(e.file(), f -> fileSize(mf, f, where));
            if (e.length() > size - e.offset()) {
                throw new StoreException(where + ": needs bytes [" + e.offset() + ", " + (e.offset() + e.length())
                        + ") but the file has " + size + " bytes (truncated?)");
            }
            for (MatrixEntry m : e.matrices()) {
                if (m == null || m.name() == null || m.dtype() == null || m.shape() == null) {
                    throw new StoreException(where + ": expected each matrix to have a name, dtype and shape, found " + m);
                }
                if (m.offset() < 0 || m.length() < 0 || m.length() > e.length() - m.offset()) {
                    throw new StoreException(where + ": matrix " + m.name() + " [" + m.offset() + ", "
                            + (m.offset() + m.length()) + ") lies outside the expert's " + e.length() + " bytes");
                }
                DType dt = dtype(m.dtype(), where + ": matrix " + m.name());
                if (dt.isFloat()) {
                    long elems = elements(m.shape(), where + ": matrix " + m.name());
                    if (elems > Long.MAX_VALUE / dt.bytes || elems * dt.bytes != m.length()) {
                        throw new StoreException(where + ": matrix " + m.name() + " " + Arrays.toString(m.shape()) + " "
                                + dt + " needs " + elems * dt.bytes + " bytes, manifest says " + m.length());
                    }
                }
            }
            experts[i] = e;
        }
        for (int l = 0; l < manifest.numLayers(); l++) { // a layer lists all its experts, or none (a dense layer)
            int have = 0;
            for (int x = 0; x < manifest.numExperts(); x++) if (experts[l * manifest.numExperts() + x] != null) have++;
            if (have != 0 && have != manifest.numExperts()) {
                throw new StoreException(mf + ": layer " + l + " lists " + have + " of its " + manifest.numExperts()
                        + " experts (expected all, or none for a dense layer)");
            }
        }
        for (DenseEntry d : manifest.dense() == null ? java.util.List.<DenseEntry>of() : manifest.dense()) {
            if (d == null || d.name() == null || d.file() == null || d.dtype() == null || d.shape() == null) {
                throw new StoreException(mf + ": expected every dense entry to have a name, file, dtype and shape, found " + d);
            }
            String where = mf + ": dense tensor " + d.name() + " in " + d.file();
            QuantFormat q = quantFormat(d.dtype());
            long elems = elements(d.shape(), where);
            if (q != null) {
                if (d.shape().length != 2 || d.shape()[0] <= 0 || d.shape()[0] > Integer.MAX_VALUE || d.shape()[1] <= 0
                        || d.shape()[1] > Integer.MAX_VALUE || d.shape()[1] % q.groupSize() != 0) {
                    throw new StoreException(where + ": a " + q.label() + " tensor must be a matrix whose columns are a multiple of "
                            + q.groupSize() + ", found shape " + Arrays.toString(d.shape()));
                }
                long need = QuantizedMatrix.byteSize(q, (int) d.shape()[0], (int) d.shape()[1]);
                if (need != d.length()) {
                    throw new StoreException(where + ": " + Arrays.toString(d.shape()) + " " + q.label() + " needs " + need
                            + " bytes, manifest says " + d.length());
                }
            }
            DType dt = q != null ? DType.U8 : dtype(d.dtype(), where);
            if (q == null && (elems > Long.MAX_VALUE / dt.bytes || elems * dt.bytes != d.length())) {
                throw new StoreException(where + ": " + Arrays.toString(d.shape()) + " " + dt + " needs " + elems + " x "
                        + dt.bytes + " bytes, manifest says " + d.length());
            }
            long size = sizes.computeIfAbsent(d.file(), f -> fileSize(mf, f, where));
            if (d.offset() < 0 || d.length() < 0 || d.length() > size - d.offset()) {
                throw new StoreException(where + ": needs bytes [" + d.offset() + ", " + (d.offset() + d.length())
                        + ") but the file has " + size + " bytes (truncated?)");
            }
            dense.put(d.name(), d);
        }
    }

    /** The group-quantization format a dense entry's dtype names ("int8-g64"), or null for a safetensors dtype. */
    static QuantFormat quantFormat(String dtype) {
        if (!dtype.startsWith("int") || !dtype.contains("-g")) return null;
        try {
            return QuantFormat.parse(dtype);
        } catch (IllegalArgumentException e) {
            return null; // not a format label: the dtype check names what is expected
        }
    }

    private static DType dtype(String name, String where) {
        try {
            return DType.fromSafetensors(name);
        } catch (IllegalArgumentException e) {
            throw new StoreException(where + ": " + e.getMessage());
        }
    }

    /** Elements of a shape: each dimension >= 0, the product without overflow. */
    private static long elements(long[] shape, String where) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new StoreException(where + ": expected dimensions >= 0, found " + Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new StoreException(where + ": shape " + Arrays.toString(shape) + " has more than 2^63 elements");
            }
        }
        return n;
    }

    private long fileSize(Path mf, String file, String where) {
        Path p;
        try {
            p = dir.resolve(file);
        } catch (java.nio.file.InvalidPathException e) {
            throw new StoreException(where + ": invalid file name: " + e.getMessage());
        }
        if (!p.normalize().startsWith(dir.normalize())) {
            throw new StoreException(where + ": file name escapes the store directory");
        }
        if (!Files.isRegularFile(p)) {
            throw new StoreException(where + ": blob file " + p + " missing or not a regular file");
        }
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new StoreException(where + ": blob file " + p + " missing or unreadable (" + e + ")", e);
        }
    }

    public Path directory() {
        return dir;
    }

    public StoreManifest manifest() {
        return manifest;
    }

    public int numLayers() {
        return manifest.numLayers();
    }

    public int numExperts() {
        return manifest.numExperts();
    }

    public String codec() {
        return manifest.codec();
    }

    /** Where (layer, expert) lives; null for a dense layer (one without experts). */
    public ExpertEntry expert(int layer, int expert) {
        if (layer < 0 || layer >= numLayers() || expert < 0 || expert >= numExperts()) {
            throw new IllegalArgumentException("expected layer in [0, " + numLayers() + ") and expert in [0, " + numExperts()
                    + "), found layer " + layer + " expert " + expert);
        }
        return experts[layer * numExperts() + expert];
    }

    /** Largest expert region (bytes, a multiple of 4 KiB): the size of one host slot. */
    public long maxExpertBytes() {
        long m = 0;
        for (ExpertEntry e : experts) {
            if (e != null) m = Math.max(m, e.length()); // null: a dense layer's
        }
        return m;
    }

    public Path file(ExpertEntry e) {
        return dir.resolve(e.file());
    }

    /** Names of the dense tensors, in manifest order. */
    public Set<String> denseNames() {
        return dense.keySet();
    }

    /**
     * Dense files will be read whole into native memory rather than mapped (for tensors not yet served). For the CPU
     * backend, which computes from these bytes: its kernels then see one kind of segment, native, for dense weights and
     * for the host tier's experts. With mapped dense weights beside native experts, the kernels' memory accesses were
     * compiled for two segment classes, and a bf16 decode of the OLMoE-shaped store ran at 0.72–0.78 of the speed it has
     * with both native (three interleaved pairs on the 2-core VM). A GPU run keeps the mapping: its dense weights live
     * in VRAM, and mapped pages can be dropped once uploaded.
     *
     * @return this store
     */
    public PackedStore readDenseIntoMemory() {
        denseInMemory = true;
        return this;
    }

    /** The whole file {@code file} (open as {@code c}) in native memory of this store's arena, in 2 MiB pages where granted. */
    private MemorySegment readWhole(FileChannel c, String file) throws IOException {
        MemorySegment m = io.strata.compression.HugePages.allocate(arena, Math.max(1, c.size()), 4096);
        io.strata.tiering.loader.BlobReader.readFully(c, dir.resolve(file), 0, m.asSlice(0, c.size()));
        return m;
    }

    /** A dense tensor (its file read on first use); its CRC32C is verified on the first call. */
    public DenseTensor dense(String name) {
        DenseEntry d = dense.get(name);
        if (d == null) {
            throw new StoreException(dir + ": no dense tensor '" + name + "' (store has " + dense.size() + ")");
        }
        MemorySegment all;
        synchronized (denseFiles) {
            all = denseFiles.get(d.file());
            if (all == null) {
                try (FileChannel c = FileChannel.open(dir.resolve(d.file()), StandardOpenOption.READ)) {
                    all = denseInMemory ? readWhole(c, d.file())
                            : io.strata.compression.MappedSegments.asNative(c.map(FileChannel.MapMode.READ_ONLY, 0, c.size(), arena), arena);
                } catch (IOException e) {
                    throw new StoreException((denseInMemory ? "reading " : "mapping ") + dir.resolve(d.file()) + ": " + e.getMessage(), e);
                }
                denseFiles.put(d.file(), all);
            }
        }
        MemorySegment data = all.asSlice(d.offset(), d.length());
        if (!denseVerified.contains(name)) {
            long crc = Crc.crc32c(data);
            if (crc != d.crc32c()) {
                throw new StoreException(dir.resolve(d.file()) + ": dense tensor " + name + " at offset " + d.offset()
                        + ": CRC32C mismatch (expected " + Long.toHexString(d.crc32c()) + ", found " + Long.toHexString(crc)
                        + "): corrupt blob");
            }
            denseVerified.add(name);
        }
        QuantFormat q = quantFormat(d.dtype());
        return new DenseTensor(name, q != null ? DType.U8 : DType.fromSafetensors(d.dtype()), d.shape().clone(), data, q);
    }

    /**
     * Reads (layer, expert)'s whole region into {@code dst} (at least {@code length} bytes) with buffered I/O and
     * verifies its CRC32C; the simple path (the tiered store uses its own direct-I/O loader).
     */
    public void readExpert(int layer, int expert, MemorySegment dst) {
        ExpertEntry e = expert(layer, expert);
        if (e == null) throw new IllegalArgumentException(dir + ": layer " + layer + " is dense: it has no expert " + expert);
        MemorySegment region = dst.asSlice(0, e.length());
        try (FileChannel c = FileChannel.open(file(e), StandardOpenOption.READ)) {
            ByteBuffer b = region.asByteBuffer();
            long pos = e.offset();
            while (b.hasRemaining()) {
                int n = c.read(b, pos);
                if (n < 0) {
                    throw new StoreException(file(e) + ": layer " + layer + " expert " + expert + ": end of file at offset "
                            + pos + ", expected " + e.length() + " bytes from " + e.offset() + " (truncated)");
                }
                pos += n;
            }
        } catch (IOException ex) {
            throw new StoreException(file(e) + ": reading layer " + layer + " expert " + expert + ": " + ex.getMessage(), ex);
        }
        verifyExpert(e, region, file(e));
    }

    /** Checks a region just read against the manifest; throws naming file, layer, expert and offset on mismatch. */
    public static void verifyExpert(ExpertEntry e, MemorySegment region, Path file) {
        long crc = Crc.crc32c(region.asSlice(0, e.length()));
        if (crc != e.crc32c()) {
            // Name the first bad matrix too, when one is.
            String which = "";
            for (MatrixEntry m : e.matrices()) {
                if (Crc.crc32c(region.asSlice(m.offset(), m.length())) != m.crc32c()) {
                    which = ", matrix " + m.name() + " at offset " + (e.offset() + m.offset());
                    break;
                }
            }
            throw new StoreException(file + ": layer " + e.layer() + " expert " + e.expert() + " at offset " + e.offset()
                    + " (" + e.length() + " bytes): CRC32C mismatch (expected " + Long.toHexString(e.crc32c()) + ", found "
                    + Long.toHexString(crc) + which + "): corrupt blob");
        }
    }

    /** Reads and verifies every expert and dense tensor; the first failure throws. */
    public void verifyAll() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(maxExpertBytes(), StoreManifest.ALIGNMENT);
            for (int l = 0; l < numLayers(); l++) {
                for (int x = 0; x < numExperts(); x++) {
                    if (expert(l, x) != null) readExpert(l, x, buf);
                }
            }
        }
        for (String n : dense.keySet()) {
            dense(n);
        }
    }

    /**
     * The expert's matrices over {@code region} (its bytes as read, starting at the region start). Only for codecs
     * whose matrices are plain float tensors named gate, up and down (the dense codec); other codecs decode the bytes.
     */
    public static ExpertWeights weights(ExpertEntry e, MemorySegment region) {
        return new ExpertWeights(matrix(e, "gate", region), matrix(e, "up", region), matrix(e, "down", region));
    }

    private static Matrix matrix(ExpertEntry e, String name, MemorySegment region) {
        MatrixEntry m = e.matrix(name);
        DType dt = DType.fromSafetensors(m.dtype());
        if (!dt.isFloat() || m.shape().length != 2) {
            throw new StoreException("layer " + e.layer() + " expert " + e.expert() + " matrix " + name + ": " + m.dtype() + " "
                    + Arrays.toString(m.shape()) + " is not a plain 2-D float matrix; the codec must decode it");
        }
        return new Matrix("layers." + e.layer() + ".experts." + e.expert() + "." + name,
                region.asSlice(m.offset(), m.length()), dt, (int) m.shape()[0], (int) m.shape()[1]);
    }

    @Override
    public void close() {
        synchronized (denseFiles) {
            denseFiles.clear();
        }
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
