// A lease on one resident expert, as plain data: key, layout, where its bytes are. Valid until close().
package io.strata.tiering;

import io.strata.compression.codec.EncodedExpert;
import io.strata.compression.floe.PartialRows;
import io.strata.tiering.fast.FastSlot;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What a store hands the compute: the expert's {@link ExpertLayout}, its host bytes ({@link #weights()} for a dense
 * layout, {@link #encoded()} for a codec blob), and, when the fast tier copied it somewhere else (VRAM), the
 * {@link FastSlot} with the device addresses. The store decides where the expert lives; the backend only reads
 * these fields and picks its kernel by layout. The bytes stay valid (the expert cannot be evicted) until
 * {@link #close()}.
 */
public final class ExpertHandle implements AutoCloseable {
    private final ExpertKey key;
    private final Tier servedFrom;
    private final ExpertLayout layout;
    private final ExpertWeights dense;   // Dense layout: the three matrices in host memory, else null
    private final EncodedExpert encoded; // GroupQuant/Ggml/Fp8/Floe layout: the blob in host memory, else null
    private final PartialRows rows;      // Floe layout: loads the gate/downT rows the compute needs, else null
    private final FastSlot fast;         // a copy in the fast tier (device addresses), or null: compute from host memory
    private final Runnable release;
    private final AtomicBoolean open = new AtomicBoolean(true);

    private ExpertHandle(ExpertKey key, Tier servedFrom, ExpertLayout layout, ExpertWeights dense, EncodedExpert encoded,
                         PartialRows rows, FastSlot fast, Runnable release) {
        this.key = key;
        this.servedFrom = servedFrom;
        this.layout = layout;
        this.dense = dense;
        this.encoded = encoded;
        this.rows = rows;
        this.fast = fast != null && fast.inPlace() ? null : fast;
        this.release = release;
    }

    /** A dense expert (layout from the matrices' dtype). */
    public static ExpertHandle dense(ExpertKey key, Tier servedFrom, ExpertWeights w, FastSlot fast, Runnable release) {
        return new ExpertHandle(key, servedFrom, new ExpertLayout.Dense(w.gate().dtype()), w, null, null, fast, release);
    }

    /** A codec blob computed whole by a block kernel: group-quantized, MXFP4, ggml blocks or block-scaled FP8. */
    public static ExpertHandle encoded(ExpertKey key, Tier servedFrom, EncodedExpert e, FastSlot fast, Runnable release) {
        ExpertLayout l = ExpertLayout.of(e.params());
        if (!(l instanceof ExpertLayout.GroupQuant || l instanceof ExpertLayout.Mxfp4 || l instanceof ExpertLayout.Ggml
                || l instanceof ExpertLayout.Fp8)) {
            throw new IllegalArgumentException(key + ": expected a group-quantized, MXFP4, ggml or FP8 blob, found codec " + e.params().codec()
                    + (l instanceof ExpertLayout.Floe ? " (a FloE expert needs its row loader: floe())" : " (serve it as dense matrices)"));
        }
        return new ExpertHandle(key, servedFrom, l, null, e, null, fast, release);
    }

    /**
     * A FloE expert: {@code fastCopy} is its fast blob in host memory (resident up, rows valid where loaded), {@code rows}
     * loads rows (into the host copy and into the {@code fast} slot's copy when there is one, e.g. VRAM).
     */
    public static ExpertHandle floe(ExpertKey key, Tier servedFrom, EncodedExpert fastCopy, PartialRows rows, FastSlot fast,
                                    Runnable release) {
        if (!(ExpertLayout.of(fastCopy.params()) instanceof ExpertLayout.Floe)) {
            throw new IllegalArgumentException(key + ": codec " + fastCopy.params().codec() + " is not a FloE layout");
        }
        return new ExpertHandle(key, servedFrom, ExpertLayout.of(fastCopy.params()), null, fastCopy, rows, fast, release);
    }

    public ExpertKey key() {
        return key;
    }

    /** The tier that served this acquire (FAST = hit, else where it had to come from). */
    public Tier servedFrom() {
        return servedFrom;
    }

    public ExpertLayout layout() {
        return layout;
    }

    /** The dense matrices in host memory; fails for an encoded layout. */
    public ExpertWeights weights() {
        check();
        if (dense == null) throw new IllegalStateException(key + ": a " + layout.name() + " expert has no dense matrices (it runs encoded)");
        return dense;
    }

    /** The codec blob in host memory (for FloE, the fast copy); fails for a dense layout. */
    public EncodedExpert encoded() {
        check();
        if (encoded == null) throw new IllegalStateException(key + ": a " + layout.name() + " expert is not a codec blob");
        return encoded;
    }

    /** FloE's row loader; fails for other layouts. */
    public PartialRows rows() {
        check();
        if (rows == null) throw new IllegalStateException(key + ": a " + layout.name() + " expert has no partial rows");
        return rows;
    }

    /** Where the fast tier copied the expert (device addresses of its parts), or null when it is read from host memory. */
    public FastSlot fast() {
        check();
        return fast;
    }

    private void check() {
        if (!open.get()) throw new IllegalStateException(key + ": handle already closed");
    }

    /** Releases the lease once (later calls do nothing); the store may evict the expert afterwards. */
    @Override
    public void close() {
        if (open.compareAndSet(true, false) && release != null) release.run();
    }
}
