// The tiered expert store: fast tier → host slots → packed store on SSD, with async deduplicated loads.
package io.strata.tiering;

import io.strata.compression.codec.CodecParams;
import io.strata.compression.codec.EncodedExpert;
import io.strata.tiering.fast.CpuFastTier;
import io.strata.tiering.fast.FastSet;
import io.strata.tiering.fast.FastSlot;
import io.strata.tiering.fast.FastTier;
import io.strata.tiering.host.ArenaSlabAllocator;
import io.strata.tiering.host.ByteSize;
import io.strata.tiering.host.HostTier;
import io.strata.tiering.host.SlabAllocator;
import io.strata.tiering.loader.BlobReader;
import io.strata.tiering.loader.LoadQueue;
import io.strata.tiering.policy.EvictionPolicy;
import io.strata.tiering.policy.LearnedPolicy;
import io.strata.tiering.policy.LfuPolicy;
import io.strata.tiering.policy.LruPolicy;
import io.strata.tiering.policy.RandomPolicy;
import io.strata.tiering.stats.StatsRecorder;
import io.strata.tiering.stats.StoreStats;
import io.strata.tiering.store.PackedStore;
import io.strata.tiering.store.StoreException;
import io.strata.tiering.store.StoreManifest.ExpertEntry;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * An {@link ExpertStore} over a {@link PackedStore}: experts move SSD → host slot (loader threads) → fast tier.
 *
 * <p>Residency. The host tier has {@code floor(hostBudget / slotBytes)} slots (slotBytes = the largest expert
 * region); the fast tier holds up to {@code min(fastBudget / slotBytes, host slots)} of the host-resident experts
 * (inclusive hierarchy). Both budgets are hard limits and each must hold at least one layer's top-k, else the
 * builder refuses them, stating the minimum. Capacity is one pool shared by all layers, or, with
 * {@link Builder#perLayer}, split evenly between layers (each layer then needs top-k slots in each tier).
 *
 * <p>acquire(layer, expert): a fast member is a FAST hit; a host-resident expert is a HOST hit and joins the fast
 * tier (evicting an unpinned member by the fast policy); otherwise a host slot is taken (free, or the host policy's
 * victim among unpinned loaded experts: non-members first, then fast members, then unused prefetches, then requested
 * experts) and the expert is loaded from SSD; the caller blocks until it is loaded and CRC-verified. Two concurrent acquires of one expert share one read. A handle pins its
 * expert: pinned experts are never evicted, so the memory stays valid until {@link ExpertHandle#close()}. If all
 * slots are pinned or loading, acquire waits for a release; callers must not hold more pins than slots.
 *
 * <p>prefetch(layer, expert) starts a low-priority load into a free or evictable slot and returns at once; it never
 * evicts a pinned, loading, requested or prefetched-but-unused expert and is dropped (counted) when there is no such
 * slot. request(layer, experts...) (the current step's experts, before it acquires them) marks them requested until
 * their acquire, the resident ones first, then starts demand-class loads of the others (an acquire of an expert read
 * this way counts as an SSD miss, however early its read finished); it may evict unused prefetches, never another requested
 * expert. The loader queue serves every demand load before any prefetch load (first come, first served within each
 * class); a read under way is never interrupted. A request or acquire of an expert whose prefetch is still queued
 * moves that load into the demand class (the read still happens once). cancelPrefetch(layer, expert) withdraws a
 * hint: a queued load nobody waits for is removed from the queue and its slot freed; an expert already reading or
 * read stays resident but loses the protection of an unused prefetch, so it is evicted like any expert used once.
 *
 * <p>Loads use {@link BlobReader} (O_DIRECT where the file system allows it, else buffered, logged) on a small
 * pool of platform threads; a load that fails (I/O error, CRC mismatch) frees its slot and fails every waiting
 * acquire with a {@link StoreException} naming file, layer, expert and offset. Nothing is served from a bad blob.
 */
public final class TieredExpertStore implements ExpertStore {
    /** Threads reading experts from the SSD unless a run says otherwise: two reads in flight. */
    public static final int DEFAULT_LOADER_THREADS = 2;

    private static final System.Logger LOG = System.getLogger(TieredExpertStore.class.getName());
    private static final int DEMAND = LoadQueue.DEMAND;
    private static final int PREFETCH = LoadQueue.PREFETCH;

    /** Configuration; see {@link #builder}. */
    public static final class Builder {
        private final PackedStore store;
        private boolean ownsStore;
        private long hostBudget = -1;
        private long fastBudget = -1;
        private int topK = 2;
        private String policy = "lfu";
        private LearnedPolicy.Model learned;
        private Supplier<EvictionPolicy> hostPolicy;
        private Supplier<EvictionPolicy> fastPolicy;
        private int loaderThreads = DEFAULT_LOADER_THREADS;
        private boolean directIo = true;
        private SlabAllocator allocator;
        private FastTier fastTier;
        private boolean perLayer;
        private CodecParams[][] codec;
        private java.util.function.Consumer<ExpertKey> beforeRead = k -> {};
        private io.strata.tiering.store.StoreIo fileIo = io.strata.tiering.store.StoreIo.DEFAULT;
        private long loadTimeoutNanos = TimeUnit.SECONDS.toNanos(120);
        private boolean prefetchIntoFast;

        private Builder(PackedStore store) {
            this.store = store;
        }

        /** Host budget in bytes (hard limit). Required. */
        public Builder hostBudget(long bytes) {
            this.hostBudget = bytes;
            return this;
        }

        /** Host budget with units, e.g. "11GiB" ({@link ByteSize#parse}). */
        public Builder hostBudget(String size) {
            return hostBudget(ByteSize.parse(size));
        }

        /** Fast-tier budget in bytes (hard limit); default: the host budget. Ignored when {@link #fastTier} is given. */
        public Builder fastBudget(long bytes) {
            this.fastBudget = bytes;
            return this;
        }

        public Builder fastBudget(String size) {
            return fastBudget(ByteSize.parse(size));
        }

        /** Experts per token per layer: the minimum each tier must hold. Default 2. */
        public Builder topK(int k) {
            this.topK = k;
            return this;
        }

        /** Eviction policy of both tiers by name: lru, lfu (default), learned (needs {@link #learnedModel}), random. */
        public Builder policy(String name) {
            this.policy = name;
            return this;
        }

        public Builder learnedModel(LearnedPolicy.Model model) {
            this.learned = model;
            return this;
        }

        /** Explicit policies (a fresh instance per tier), overriding {@link #policy}. */
        public Builder policies(Supplier<EvictionPolicy> host, Supplier<EvictionPolicy> fast) {
            this.hostPolicy = host;
            this.fastPolicy = fast;
            return this;
        }

        /**
         * Partition both tiers evenly by layer (slot i of the host tier belongs to layer i mod L; the fast capacity
         * is split the same way), so one layer's misses never evict another layer's experts. Every layer then needs
         * top-k slots in each tier. Default: one pool shared by all layers.
         */
        public Builder perLayer(boolean p) {
            this.perLayer = p;
            return this;
        }

        /** Loader threads (platform). Default 2. */
        public Builder loaderThreads(int n) {
            this.loaderThreads = n;
            return this;
        }

        /**
         * Whether prefetch hints also admit the expert into the fast tier once it is read (default false: they fill
         * the host tier only). A GPU run that prefetches into VRAM sets it: the host-to-device copy of a predicted
         * expert is then issued layers before its use, overlapping the compute of the layers between.
         */
        public Builder prefetchIntoFast(boolean p) {
            this.prefetchIntoFast = p;
            return this;
        }

        /** Try O_DIRECT reads (default true). */
        public Builder directIo(boolean direct) {
            this.directIo = direct;
            return this;
        }

        /** Memory of the host slots; default plain off-heap. A GPU backend passes a pinned-memory allocator. */
        public Builder allocator(SlabAllocator a) {
            this.allocator = a;
            return this;
        }

        /** The fast tier; default a {@link CpuFastTier} of the fast budget. */
        public Builder fastTier(FastTier t) {
            this.fastTier = t;
            return this;
        }

        /**
         * The store was packed with a group-quantizing codec: each expert is one blob (matrix "blob") laid out as
         * {@code params[layer][expert]} describes (codec.json); handles then carry the encoded blob. The caller checks
         * the blob sizes against the manifest first (the engine's {@code CodecStoreFiles.checkBlobs}); a blob of another
         * size fails its acquire.
         */
        public Builder codec(CodecParams[][] params) {
            this.codec = params;
            return this;
        }

        /** Where blob files are opened: the file system (default), or a fault-injecting seam in tests. */
        public Builder fileIo(io.strata.tiering.store.StoreIo files) {
            this.fileIo = java.util.Objects.requireNonNull(files);
            return this;
        }

        /**
         * How long an acquire waits for its expert's load (queueing and read) before it fails with a
         * {@link StoreException}; default 120 s, far above any expert read of a working disk. A read that never returns
         * then costs one loader thread and one host slot (kept until the read returns, as the read may still write
         * into it), not the engine.
         */
        public Builder loadTimeout(java.time.Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("expected a positive load timeout, found " + timeout);
            }
            this.loadTimeoutNanos = timeout.toNanos();
            return this;
        }

        /** Called on the loader thread just before each read (tests hold a read here to see the queue order). */
        Builder beforeRead(java.util.function.Consumer<ExpertKey> hook) {
            this.beforeRead = hook;
            return this;
        }

        public TieredExpertStore build() {
            if (hostBudget < 0) {
                throw new IllegalArgumentException("host budget is required (e.g. hostBudget(\"11GiB\"))");
            }
            if (topK < 1 || loaderThreads < 1) {
                throw new IllegalArgumentException("expected topK >= 1 and loaderThreads >= 1, found " + topK + ", " + loaderThreads);
            }
            Supplier<EvictionPolicy> hp = hostPolicy != null ? hostPolicy : named(policy);
            Supplier<EvictionPolicy> fp = fastPolicy != null ? fastPolicy : named(policy);
            return new TieredExpertStore(this, hp.get(), fp.get());
        }

        private Supplier<EvictionPolicy> named(String name) {
            return switch (name) {
                case "lru" -> LruPolicy::new;
                case "lfu" -> LfuPolicy::new;
                case "random" -> () -> new RandomPolicy(1);
                case "learned" -> {
                    if (learned == null) {
                        throw new IllegalArgumentException("policy 'learned' needs trained weights: learnedModel(Model.load(file))");
                    }
                    if (learned.numLayers() != store.numLayers() || learned.numExperts() != store.numExperts()) {
                        throw new IllegalArgumentException("learned policy was trained for " + learned.numLayers() + " layers x "
                                + learned.numExperts() + " experts, store " + store.directory() + " has " + store.numLayers()
                                + " x " + store.numExperts());
                    }
                    yield () -> new LearnedPolicy(learned);
                }
                case "belady" -> throw new IllegalArgumentException(
                        "policy 'belady' needs the future request sequence: it exists only in trace replay");
                default -> io.strata.tiering.policy.Policies.online(name, perLayer); // lfu-aging, lrfu, arc, least-stale; else a clear error
            };
        }
    }

    /** Starts configuring a store over {@code store} (the caller keeps ownership of it). */
    public static Builder builder(PackedStore store) {
        return new Builder(store);
    }

    /** Starts configuring a store over the packed store in {@code dir}, opened here and closed with this store. */
    public static Builder builder(Path dir) {
        Builder b = new Builder(PackedStore.open(dir));
        b.ownsStore = true;
        return b;
    }

    /** Where an entry's bytes are. */
    private enum State {
        /** Its read is queued or under way; acquires wait on {@link Entry#loaded}. */
        LOADING,
        /** Read and CRC-verified in its host slot (and maybe a fast member too: see {@link FastSet}). */
        READY
    }

    /** One expert's residency. Fields are guarded by the store lock unless noted. */
    private static final class Entry {
        final ExpertKey key;
        final ExpertEntry loc;
        final int slot;
        final MemorySegment region; // (loc.length) bytes of the slot
        final CompletableFuture<Void> loaded = new CompletableFuture<>();
        final AtomicBoolean claimed = new AtomicBoolean(); // set by the one loader task that reads it
        State state = State.LOADING;
        boolean prefetched; // loaded by prefetch and not used yet
        boolean requested;  // announced by request() for the current step, not acquired yet
        boolean requestRead; // read for request() (a demand miss of the step): its acquire counts as an SSD miss
        boolean abandoned;  // its acquire timed out during the read: the slot is freed when the read returns
        boolean fastByPrefetch; // admitted to the fast tier by a prefetch hint, not acquired since
        int pins;
        LoadQueue.Task task; // the queued task that reads it (its priority class can change while queued)
        volatile ExpertWeights weights;  // dense layout, built on first use
        volatile EncodedExpert encoded;  // codec layout, built on first use

        Entry(ExpertKey key, ExpertEntry loc, int slot, MemorySegment region) {
            this.key = key;
            this.loc = loc;
            this.slot = slot;
            this.region = region;
        }

        boolean ready() {
            return state == State.READY;
        }
    }

    private final PackedStore store;
    private final boolean ownsStore;
    private final HostTier hostTier;
    private final FastSet fast;
    private final EvictionPolicy hostPolicy;
    private final CodecParams[][] codec;    // [layer][expert] blob layouts, or null for the dense codec
    private final BlobReader reader;
    private final java.util.function.Consumer<ExpertKey> beforeRead;
    private final long loadTimeoutNanos;
    private final boolean prefetchIntoFast;
    private final LoadQueue loader;
    private final StatsRecorder stats;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private final Map<ExpertKey, Entry> resident = new HashMap<>();
    private final int parts;               // 1 (global pool) or numLayers (per-layer partitions)
    private final ArrayDeque<Integer>[] freeSlots; // (part) free host slots
    private final AtomicLong acquireCount = new AtomicLong();
    private volatile AcquireListener listener;
    private volatile long step = -1;
    private volatile boolean closed;

    private TieredExpertStore(Builder b, EvictionPolicy hostPolicy, EvictionPolicy fastPolicy) {
        this.store = b.store;
        this.ownsStore = b.ownsStore;
        this.codec = b.codec;
        long slotBytes = store.maxExpertBytes();
        this.parts = b.perLayer ? store.numLayers() : 1;
        if (b.perLayer) {
            long min = (long) b.topK * parts * slotBytes;
            checkPerLayer("host", b.hostBudget, min, b.topK);
            checkPerLayer("fast", b.fastTier != null ? (long) b.fastTier.capacity() * slotBytes
                    : b.fastBudget >= 0 ? b.fastBudget : b.hostBudget, min, b.topK);
        }
        this.stats = new StatsRecorder(store.numLayers());
        SlabAllocator alloc = b.allocator != null ? b.allocator : new ArenaSlabAllocator();
        this.hostTier = new HostTier(alloc, b.hostBudget, slotBytes, b.topK);
        FastTier fastTier;
        try {
            fastTier = b.fastTier != null ? b.fastTier
                    : new CpuFastTier(b.fastBudget >= 0 ? b.fastBudget : b.hostBudget, slotBytes, b.topK);
        } catch (RuntimeException e) {
            hostTier.close();
            throw e;
        }
        int fastCapacity = Math.min(fastTier.capacity(), hostTier.slots()) / parts; // per part
        this.fast = new FastSet(fastTier, fastPolicy, fastCapacity, parts, stats);
        this.hostPolicy = hostPolicy;
        this.reader = new BlobReader(b.directIo, b.fileIo);
        this.beforeRead = b.beforeRead;
        this.loadTimeoutNanos = b.loadTimeoutNanos;
        this.prefetchIntoFast = b.prefetchIntoFast;
        @SuppressWarnings("unchecked")
        ArrayDeque<Integer>[] free = new ArrayDeque[parts];
        for (int p = 0; p < parts; p++) {
            free[p] = new ArrayDeque<>();
        }
        for (int i = 0; i < hostTier.slots(); i++) {
            free[i % parts].add(i);
        }
        this.freeSlots = free;
        this.loader = new LoadQueue(b.loaderThreads, "strata-loader-");
        LOG.log(System.Logger.Level.INFO, "tiered store " + store.directory() + ": host " + hostTier.slots() + " slots x "
                + ByteSize.format(slotBytes) + " (" + hostTier.describe() + ", budget " + ByteSize.format(b.hostBudget)
                + "), fast " + fastCapacity + " experts" + (parts > 1 ? " per layer" : "") + " (" + fastTier.describe()
                + "), policy " + hostPolicy.name()
                + ", " + b.loaderThreads + " loader threads");
    }

    /** The eviction policy's name ("lru", "lfu", "learned", …). */
    public String policyName() {
        return hostPolicy.name();
    }

    private void checkPerLayer(String tier, long budget, long min, int topK) {
        if (budget < min) {
            throw new IllegalArgumentException(tier + " budget " + ByteSize.format(budget) + " (" + budget
                    + " bytes) is too small for per-layer capacity: top-" + topK + " of each of " + parts
                    + " layers needs at least " + min + " bytes (" + ByteSize.format(min) + ")");
        }
    }

    @Override
    public int numLayers() {
        return store.numLayers();
    }

    @Override
    public int numExperts() {
        return store.numExperts();
    }

    public PackedStore packedStore() {
        return store;
    }

    /** Host slots (experts the host tier holds at once). */
    public int hostSlots() {
        return hostTier.slots();
    }

    /** Experts the fast tier holds at once (per layer when partitioned by layer). */
    public int fastCapacity() {
        return fast.capacity();
    }

    /** The fast tier (VRAM on a GPU, the resident set on a CPU). */
    public FastTier fastTier() {
        return fast.tier();
    }

    /** Bytes of host memory allocated (≤ the host budget). */
    public long hostAllocatedBytes() {
        return hostTier.allocatedBytes();
    }

    /** Experts now in the fast tier, in admission order. */
    public List<ExpertKey> fastMembers() {
        lock.lock();
        try {
            return fast.members();
        } finally {
            lock.unlock();
        }
    }

    /** Experts now read and resident in host slots. */
    public List<ExpertKey> hostResident() {
        lock.lock();
        try {
            return resident.values().stream().filter(Entry::ready).map(e -> e.key).toList();
        } finally {
            lock.unlock();
        }
    }

    /** How (layer, expert)'s blob file is read: null if direct, else the reason for buffered reads. */
    public String readMode(int layer, int expert) {
        Path f = store.file(store.expert(layer, expert));
        return reader.isDirect(f) ? null : reader.fallbackReason(f);
    }

    @Override
    public void beginStep(long s) {
        this.step = s;
    }

    private long now() {
        long s = step;
        return s >= 0 ? s : acquireCount.get();
    }

    @Override
    public StoreStats stats() {
        return stats.snapshot();
    }

    @Override
    public List<ExpertLayout> layouts() {
        java.util.LinkedHashSet<ExpertLayout> out = new java.util.LinkedHashSet<>();
        for (int l = 0; l < store.numLayers(); l++) {
            if (codec != null && codec[l] == null) continue;
            for (int e = 0; e < store.numExperts(); e++) {
                if (codec != null) out.add(ExpertLayout.of(codec[l][e]));
                else if (store.expert(l, e) != null) {
                    var m = store.expert(l, e).matrix("gate");
                    out.add(new ExpertLayout.Dense(io.strata.compression.DType.fromSafetensors(m.dtype())));
                }
            }
        }
        return List.copyOf(out);
    }

    @Override
    public void listen(AcquireListener l) {
        this.listener = l;
    }

    @Override
    public ExpertHandle acquire(int layer, int expert) {
        return acquire(layer, expert, Placement.FAST);
    }

    @Override
    public Residency residency(int layer, int expert) {
        ExpertKey key = new ExpertKey(layer, expert);
        lock.lock();
        try {
            Entry e = resident.get(key);
            if (e == null) return Residency.SSD;
            if (!e.ready()) return Residency.LOADING;
            if (fast.contains(key)) return e.fastByPrefetch ? Residency.FAST_PREFETCHED : Residency.FAST;
            return Residency.HOST;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public ExpertHandle acquire(int layer, int expert, Placement placement) {
        checkOpen();
        ExpertKey key = new ExpertKey(layer, expert);
        ExpertEntry loc = store.expert(layer, expert);
        long t0 = System.nanoTime();
        acquireCount.incrementAndGet();
        Entry e;
        Tier tier;
        boolean wait;
        lock.lock();
        try {
            long time = now();
            hostPolicy.onAccess(key, time);
            fast.policy().onAccess(key, time);
            for (;;) {
                e = resident.get(key);
                if (e != null) {
                    e.pins++;
                    e.requested = false;
                    if (e.ready() && e.requestRead) {
                        // Read from the SSD for this step's request(): a miss, though the read finished before this acquire.
                        tier = Tier.SSD;
                        wait = false;
                    } else if (e.ready()) {
                        tier = fast.contains(key) ? Tier.FAST : Tier.HOST;
                        wait = false;
                    } else {
                        tier = Tier.SSD;
                        wait = true;
                        stats.joinedLoad();
                        if (e.prefetched) {
                            stats.prefetchLate();
                        }
                        toDemand(e);
                    }
                    if (e.prefetched) {
                        e.prefetched = false;
                        stats.prefetchUseful();
                    }
                    e.requestRead = false;
                    break;
                }
                int slot = takeSlot(key.layer(), time, 4);
                if (slot >= 0) {
                    e = newEntry(key, loc, slot, time);
                    e.pins = 1;
                    tier = Tier.SSD;
                    wait = true;
                    enqueue(e, DEMAND);
                    break;
                }
                released.awaitUninterruptibly(); // every slot pinned or loading
                checkOpen();
            }
        } finally {
            lock.unlock();
        }
        if (wait) {
            try {
                awaitLoad(e, loc);
            } catch (CompletionException ex) {
                stats.acquire(layer, Tier.SSD, System.nanoTime() - t0);
                throw ex.getCause() instanceof StoreException se ? new StoreException(se.getMessage(), se)
                        : new StoreException("loading " + key + ": " + ex.getCause(), ex.getCause());
            }
        }
        ExpertHandle h;
        lock.lock();
        try {
            // Joins the fast tier (the fast policy evicts a member that no lease holds and that the current step has
            // not requested, as the simulator's step pinning does); when every member is in use the expert is served
            // from its host slot this time. A HOST placement is not admitted (a member still comes with its fast copy).
            e.fastByPrefetch = false;
            FastSlot fs = placement == Placement.HOST && !fast.contains(e.key) ? null
                    : fast.admitLeased(e.key, segments(e), now(), this::fastEvictable);
            Entry held = e;
            h = handle(e, tier, fs, () -> release(held, fs != null));
        } finally {
            lock.unlock();
        }
        long waited = System.nanoTime() - t0;
        stats.acquire(layer, tier, waited);
        AcquireListener l = listener;
        if (l != null) l.onAcquire(layer, expert, tier, waited);
        return h;
    }

    /** A fast member the fast policy may evict now: no acquire holds it and the current step has not requested it. */
    private boolean fastEvictable(ExpertKey k) {
        Entry x = resident.get(k);
        return x == null || (x.pins == 0 && !x.requested);
    }

    /** Admits a read entry to the fast tier for a prefetch hint (no lease), when the tier has a member to spare. Under lock. */
    private void admitPrefetched(Entry e) {
        if (!prefetchIntoFast || fast.contains(e.key) || closed) return;
        if (fast.admit(e.key, segments(e), now(), this::fastEvictable) != null) e.fastByPrefetch = true;
    }

    /** The host segments the fast tier copies, in the order the compute addresses them. */
    private MemorySegment[] segments(Entry e) {
        if (codec == null) {
            ExpertWeights w = weights(e);
            return new MemorySegment[] {w.gate().data(), w.up().data(), w.down().data()};
        }
        return new MemorySegment[] {encoded(e).blob()};
    }

    private ExpertWeights weights(Entry e) {
        ExpertWeights w = e.weights;
        if (w == null) {
            w = PackedStore.weights(e.loc, e.region);
            e.weights = w;
        }
        return w;
    }

    private EncodedExpert encoded(Entry e) {
        EncodedExpert x = e.encoded;
        if (x == null) {
            var m = e.loc.matrix("blob");
            x = new EncodedExpert(codec[e.key.layer()][e.key.expert()], e.region.asSlice(m.offset(), m.length()));
            e.encoded = x;
        }
        return x;
    }

    private ExpertHandle handle(Entry e, Tier tier, FastSlot fs, Runnable release) {
        return codec == null ? ExpertHandle.dense(e.key, tier, weights(e), fs, release)
                : ExpertHandle.encoded(e.key, tier, encoded(e), fs, release);
    }

    /** Waits for e's load up to the load timeout; on timeout fails every waiter of e and gives its slot up. */
    private void awaitLoad(Entry e, ExpertEntry loc) {
        StoreException why;
        try {
            e.loaded.get(loadTimeoutNanos, TimeUnit.NANOSECONDS);
            return;
        } catch (java.util.concurrent.ExecutionException ex) {
            throw new CompletionException(ex.getCause());
        } catch (java.util.concurrent.TimeoutException ex) {
            why = new StoreException(store.file(loc) + ": " + e.key + " at offset " + loc.offset() + " (" + loc.length()
                    + " bytes) not loaded within " + TimeUnit.NANOSECONDS.toMillis(loadTimeoutNanos) + " ms (the read has not"
                    + " returned: a stalled disk?); other experts are still served");
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            why = new StoreException("interrupted while waiting for " + e.key + " to load from " + store.file(loc));
        }
        abandon(e, why);
        e.loaded.join(); // done now: throws the load's failure (ours, or the read's if it lost the race)
    }

    /**
     * Gives up a load its acquire can no longer wait for, unless it finished meanwhile. A queued read is withdrawn
     * and its slot freed; a read under way keeps its slot until it returns ({@link #load} frees it then).
     */
    private void abandon(Entry e, StoreException why) {
        lock.lock();
        try {
            if (e.ready() || e.loaded.isDone()) {
                return; // finished meanwhile (published or failed under this lock): the waiter sees its outcome
            }
            e.pins--;
            if (resident.get(e.key) == e) {
                resident.remove(e.key);
                hostPolicy.onEvict(e.key);
            }
            if (e.claimed.compareAndSet(false, true)) {
                loader.remove(e.task); // still queued: nothing writes the slot
                freeSlots[part(e.key.layer())].add(e.slot);
            } else {
                e.abandoned = true;
            }
            stats.loadFailure();
            released.signalAll();
            e.loaded.completeExceptionally(why);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void prefetch(int layer, int expert) {
        if (closed) {
            return;
        }
        ExpertKey key = new ExpertKey(layer, expert);
        ExpertEntry loc = store.expert(layer, expert);
        lock.lock();
        try {
            Entry have = resident.get(key);
            if (have != null) {
                if (have.ready() && prefetchIntoFast) admitPrefetched(have); // in host memory: issue its fast copy now
                return;
            }
            int slot = takeSlot(key.layer(), now(), 2);
            if (slot < 0) {
                stats.prefetchDropped();
                return;
            }
            Entry e = newEntry(key, loc, slot, now());
            e.prefetched = true;
            stats.prefetchIssued();
            enqueue(e, PREFETCH);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void cancelPrefetch(int layer, int expert) {
        if (closed) {
            return;
        }
        ExpertKey key = new ExpertKey(layer, expert);
        lock.lock();
        try {
            Entry e = resident.get(key);
            if (e == null || !e.prefetched || e.pins > 0 || e.requested) {
                return; // not a pending hint, or the current step needs it
            }
            e.prefetched = false;
            if (e.ready() || !e.claimed.compareAndSet(false, true)) {
                return; // read or reading: stays resident, evictable like any expert used once
            }
            loader.remove(e.task);
            resident.remove(key);
            hostPolicy.onEvict(key);
            freeSlots[part(layer)].add(e.slot);
            stats.prefetchCancelled();
            released.signalAll();
            e.loaded.completeExceptionally(new StoreException("prefetch of " + key + " cancelled before its read"));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void request(int layer, int... experts) {
        if (closed) {
            return;
        }
        lock.lock();
        try {
            // First every resident expert of the step is marked, so no load of the step can evict it (a step's hits
            // are protected before any of its misses takes a slot), then the misses take slots.
            for (int expert : experts) {
                Entry e = resident.get(new ExpertKey(layer, expert));
                if (e != null) {
                    e.requested = true;
                    if (!e.ready()) {
                        e.requestRead = true;
                        toDemand(e);
                    }
                }
            }
            long time = now();
            for (int expert : experts) {
                ExpertKey key = new ExpertKey(layer, expert);
                if (resident.containsKey(key)) {
                    continue;
                }
                int slot = takeSlot(layer, time, 3);
                if (slot < 0) {
                    return; // every slot pinned, loading or requested: the acquires will wait for one
                }
                Entry e = newEntry(key, store.expert(layer, expert), slot, time);
                e.requested = true;
                e.requestRead = true;
                enqueue(e, DEMAND);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Moves e's queued read into the demand class if it is still queued as a prefetch. Under lock. */
    private void toDemand(Entry e) {
        if (!e.claimed.get() && e.task.priority() != DEMAND) {
            loader.remove(e.task);
            enqueue(e, DEMAND);
        }
    }

    /** Queues e's read in a priority class. Under lock. */
    private void enqueue(Entry e, int priority) {
        // A task left behind by a promotion or a cancellation that lost the race to remove it finds its entry
        // claimed and does nothing.
        e.task = loader.submit(() -> {
            if (e.claimed.compareAndSet(false, true)) {
                load(e);
            }
        }, priority);
    }

    /**
     * A free slot, or the slot of the host policy's victim; -1 if there is none. Under lock. Candidates are loaded,
     * unpinned experts, in order of preference: (1) used and not fast members, (2) fast members, (3) prefetched
     * experts not used yet, (4) requested experts not acquired yet; maxPass is 2 for a prefetch (a prefetch never
     * evicts another prefetch, which would thrash, nor the current step's experts), 3 for a request, 4 for an acquire.
     */
    private int takeSlot(int layer, long time, int maxPass) {
        int part = part(layer);
        Integer free = freeSlots[part].poll();
        if (free != null) {
            return free;
        }
        List<ExpertKey> cands = new ArrayList<>();
        for (int pass = 1; pass <= maxPass && cands.isEmpty(); pass++) {
            for (Entry x : resident.values()) {
                boolean isFast = fast.contains(x.key);
                boolean ok = x.ready() && x.pins == 0 && part(x.key.layer()) == part && switch (pass) {
                    case 1 -> !isFast && !x.prefetched && !x.requested;
                    case 2 -> isFast && !x.prefetched && !x.requested;
                    case 3 -> x.prefetched && !x.requested;
                    default -> x.requested;
                };
                if (ok) {
                    cands.add(x.key);
                }
            }
        }
        if (cands.isEmpty()) {
            return -1;
        }
        ExpertKey v = hostPolicy.chooseVictim(cands, time);
        Entry victim = resident.remove(v);
        if (victim == null || victim.pins != 0 || !victim.ready()) {
            throw new IllegalStateException("host policy " + hostPolicy.name() + " chose " + v + ", not an evictable candidate");
        }
        fast.drop(v); // inclusive hierarchy: a host slot that goes takes its fast copy with it
        hostPolicy.onEvict(v);
        stats.hostEviction();
        return victim.slot;
    }

    private int part(int layer) {
        return parts == 1 ? 0 : layer;
    }

    private Entry newEntry(ExpertKey key, ExpertEntry loc, int slot, long time) {
        Entry e = new Entry(key, loc, slot, hostTier.slot(slot).asSlice(0, loc.length()));
        resident.put(key, e);
        hostPolicy.onInsert(key, time);
        return e;
    }

    /** Runs on a loader thread: read, verify, publish; on failure free the slot and fail the waiters. */
    private void load(Entry e) {
        Path file = store.file(e.loc);
        long t0 = System.nanoTime();
        try {
            if (closed) {
                throw new StoreException("store closed before " + e.key + " was loaded");
            }
            beforeRead.accept(e.key);
            reader.read(file, e.loc.offset(), e.region);
            PackedStore.verifyExpert(e.loc, e.region, file);
            long readNs = System.nanoTime() - t0;
            lock.lock();
            try {
                if (e.abandoned) {
                    freeSlots[part(e.key.layer())].add(e.slot); // its waiters timed out: nothing serves this copy
                } else {
                    e.state = State.READY;
                    if (e.prefetched && e.pins == 0) admitPrefetched(e); // a hint read ahead: its fast copy follows
                }
                released.signalAll();
            } finally {
                lock.unlock();
            }
            // Counted only once the entry is ready: whoever sees the counter move finds the expert resident.
            stats.ssdRead(e.loc.length(), readNs);
            e.loaded.complete(null);
        } catch (Throwable ex) {
            StoreException se = ex instanceof StoreException s ? s
                    : new StoreException(file + ": reading " + e.key + " at offset " + e.loc.offset() + " (" + e.loc.length()
                    + " bytes): " + ex, ex);
            if (closed) {
                // close() interrupts reads under way (a prefetch nobody waits for): not a failure of the store
                LOG.log(System.Logger.Level.DEBUG, "store closing: " + se.getMessage());
            } else {
                // Not logged louder: the error reaches every waiting acquire (and the user) once, as the exception;
                // a failed prefetch nobody waits for is counted, and its acquire reads again.
                stats.loadFailure();
                LOG.log(System.Logger.Level.DEBUG, "load failed: " + se.getMessage());
            }
            lock.lock();
            try {
                if (resident.get(e.key) == e) {
                    resident.remove(e.key);
                    hostPolicy.onEvict(e.key);
                    freeSlots[part(e.key.layer())].add(e.slot);
                } else if (e.abandoned) {
                    freeSlots[part(e.key.layer())].add(e.slot);
                }
                released.signalAll();
            } finally {
                lock.unlock();
            }
            e.loaded.completeExceptionally(se);
        }
    }

    private void release(Entry e, boolean leasedFast) {
        lock.lock();
        try {
            if (leasedFast) fast.unlease(e.key);
            if (--e.pins == 0) {
                released.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("tiered store " + store.directory() + " is closed");
        }
    }

    /** Stops the loaders and frees the host slots; handles must be closed first. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        lock.lock();
        try {
            released.signalAll();
        } finally {
            lock.unlock();
        }
        loader.close();
        reader.close();
        fast.close();
        hostTier.close();
        if (ownsStore) {
            store.close();
        }
    }
}
