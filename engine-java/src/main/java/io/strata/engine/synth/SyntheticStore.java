// Writes a random MoE model straight into a packed store with group-quantized experts (no checkpoint).
package io.strata.engine.synth;

import io.strata.compression.DType;
import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.codec.CodecParams;
import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.codec.ExpertCodec;
import io.strata.compression.codec.ExpertCodecs;
import io.strata.compression.codec.GroupQuantCodec;
import io.strata.compression.codec.PartLayout;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import io.strata.engine.store.CodecStoreFiles;
import io.strata.tiering.store.StoreWriter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The store {@code strata pack --codec CODEC} would make of {@link SyntheticCheckpoint}'s model, for
 * shapes whose bf16 checkpoint would not fit the disk (Mixtral-8x7B: 93 GB bf16, 25 GB int4). Dense
 * tensors are exactly the checkpoint's (same generator, same seed). Experts are written encoded:
 * per group of a row, codes uniform over [0, 2^bits), zero at the middle code, and a scale drawn
 * around the value that gives the checkpoint's weight standard deviation 1/sqrt(in_features), so
 * activations keep their scale through the layers as in the dense synthetic model. Deterministic
 * from (seed, layer, expert); written through {@link StoreWriter} (atomic, resumable, CRC32C).
 */
public final class SyntheticStore {
    private SyntheticStore() {}

    /** Writes the store into {@code dir} (must not exist; a {@code dir.partial} left by a crash resumes). */
    public static Path write(SyntheticCheckpoint.Spec s, String codecName, Path dir, boolean progress) throws IOException {
        ExpertCodec codec = ExpertCodecs.byName(codecName);
        if (!(codec instanceof GroupQuantCodec gq)) {
            throw new IllegalArgumentException("synthetic stores are written with a group-quantizing codec (int8, int4, int3, int2), not '"
                    + codecName + "'");
        }
        List<SyntheticCheckpoint.TensorSpec> dense = new ArrayList<>();
        java.util.Set<String> expertNames = new java.util.HashSet<>();
        for (int l = 0; l < s.layers(); l++) {
            for (int e = 0; e < s.experts(); e++) for (int p = 0; p < 3; p++) expertNames.add(io.strata.engine.model.TensorNames.expert(s.arch(), l, e, p));
        }
        long denseBytes = 0;
        for (var t : SyntheticCheckpoint.tensors(s)) {
            if (expertNames.contains(t.name())) continue;
            dense.add(t);
            denseBytes += t.numel() * s.dtype().bytes;
        }
        CodecParams params = gq.layout(s.hidden(), s.expertInter());
        long total = denseBytes + (long) s.layers() * s.experts() * params.totalBytes();
        CodecParams[][] all = new CodecParams[s.layers()][s.experts()];
        for (CodecParams[] row : all) java.util.Arrays.fill(row, params);
        try (StoreWriter w = StoreWriter.create(dir, SyntheticCheckpoint.config(s), codec.name(), s.layers(), s.experts(),
                new StoreWriter.Options(progress, total))) {
            for (var t : dense) {
                if (w.isDenseWritten(t.name())) continue;
                try (Arena a = Arena.ofShared()) {
                    MemorySegment m = a.allocate(t.numel() * s.dtype().bytes, 64);
                    SyntheticCheckpoint.fill(s, t, m);
                    w.writeDense(t.name(), s.dtype(), t.shape(), m);
                }
            }
            writeExperts(s, gq.format(), params, w);
            CodecStoreFiles.write(w.stagingDirectory(), codec.name(), all);
            SyntheticCheckpoint.copyTokenizer(s, w.stagingDirectory());
            return w.commit();
        }
    }

    /** Generates experts on all cores in batches of a few per thread; writes them in order. */
    private static void writeExperts(SyntheticCheckpoint.Spec s, QuantFormat f, CodecParams params, StoreWriter w) {
        int threads = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 16));
        int batch = (int) Math.max(1, Math.min(2L * threads, (4L << 30) / params.totalBytes()));  // ≤ 4 GiB in flight
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "synthetic-store");
            t.setDaemon(true);
            return t;
        });
        try (Arena a = Arena.ofShared()) {
            MemorySegment[] bufs = new MemorySegment[batch];
            for (int i = 0; i < batch; i++) bufs[i] = a.allocate(params.totalBytes(), ExpertCodec.PART_ALIGN);
            int n = s.layers() * s.experts();
            for (int b0 = 0; b0 < n; b0 += batch) {
                List<Future<?>> jobs = new ArrayList<>();
                for (int i = b0; i < Math.min(n, b0 + batch); i++) {
                    int l = i / s.experts(), e = i % s.experts();
                    if (w.isWritten(l, e)) continue;
                    MemorySegment buf = bufs[i - b0];
                    jobs.add(pool.submit(() -> expert(s, f, params, l, e, buf)));
                }
                for (Future<?> j : jobs) j.get();
                for (int i = b0; i < Math.min(n, b0 + batch); i++) {
                    int l = i / s.experts(), e = i % s.experts();
                    if (w.isWritten(l, e)) continue;
                    MemorySegment blob = bufs[i - b0];
                    w.writeExpert(l, e, List.of(new StoreWriter.Blob(CodecStoreFiles.BLOB, DType.U8, new long[] {blob.byteSize()}, blob)));
                }
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while generating experts", ex);
        } catch (java.util.concurrent.ExecutionException ex) {
            throw new IllegalStateException("generating experts: " + ex.getCause(), ex.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Fills {@code blob} with expert (l, e): gate, up [I, H] and down [H, I] in the codec's layout. */
    static void expert(SyntheticCheckpoint.Spec s, QuantFormat f, CodecParams params, int l, int e, MemorySegment blob) {
        blob.fill((byte) 0);
        EncodedExpert enc = new EncodedExpert(params, blob);
        String[] names = {"gate", "up", "down"};
        for (int p = 0; p < 3; p++) {
            PartLayout part = params.part(names[p]);
            int rows = p < 2 ? s.expertInter() : s.hidden(), cols = p < 2 ? s.hidden() : s.expertInter();
            QuantizedMatrix q = QuantizedMatrix.view(names[p], f, rows, cols, enc.part(names[p]));
            long seed = SyntheticCheckpoint.mix(s.seed() * 0x9E3779B97F4A7C15L + ((long) l * 1_000_003 + e) * 3 + p);
            fillMatrix(q, f, (float) (1.0 / Math.sqrt(cols)), seed);
        }
    }

    /**
     * Codes uniform random; per group zero = maxCode/2 and scale = base·(0.75 + 0.5u), base chosen so
     * the weights' standard deviation is {@code std}.
     */
    static void fillMatrix(QuantizedMatrix q, QuantFormat f, float std, long seed) {
        MemorySegment d = q.data();
        long codeBytes = (long) q.rows() * f.codeBytesPerRow(q.cols());
        long x = seed == 0 ? 1 : seed;
        long i = 0;
        for (; i + 8 <= codeBytes; i += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            d.set(Layouts.I64, i, x);
        }
        for (; i < codeBytes; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            d.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) x);
        }
        int levels = f.maxCode() + 1;
        float codeStd = (float) Math.sqrt((levels * (double) levels - 1) / 12.0);  // std of a uniform code
        float base = std / codeStd;
        short zero = Halfs.floatToF16(f.maxCode() / 2f);
        long groups = (long) q.rows() * f.groupsPerRow(q.cols());
        for (long g = 0; g < groups; g++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            float u = (x >>> 40) * 0x1.0p-24f;
            d.set(Layouts.I16, q.scalesOffset() + 2 * g, Halfs.floatToF16(base * (0.75f + 0.5f * u)));
            d.set(Layouts.I16, q.zerosOffset() + 2 * g, zero);
        }
    }
}
