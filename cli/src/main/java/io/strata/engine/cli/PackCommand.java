// strata pack: writes a Hugging Face checkpoint as a packed expert store (atomic, resumable, with progress).
package io.strata.engine.cli;

import io.strata.engine.checkpoint.ModelSource;
import io.strata.engine.checkpoint.TensorInfo;
import io.strata.engine.checkpoint.gguf.GgufCheckpoint;
import io.strata.engine.checkpoint.gguf.GgufTokenizer;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.TensorNames;
import io.strata.tiering.ExpertWeights;
import io.strata.tiering.store.StoreWriter;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "pack", mixinStandardHelpOptions = true,
        description = "Pack a Hugging Face checkpoint or a GGUF file into a store (manifest + 4 KiB-aligned expert blobs with CRC32C). "
                + "An interrupted pack resumes when run again with the same arguments.")
public final class PackCommand implements Callable<Integer> {
    @Option(names = "--model", required = true,
            description = "Hugging Face checkpoint folder, or a .gguf file (one shard NAME-00001-of-0000N.gguf opens the set)")
    Path model;

    @Option(names = "--tokenizer", description = "folder whose tokenizer.json (and tokenizer_config.json) the store takes "
            + "instead of the model's own (for a GGUF file whose tokenizer Strata cannot convert)")
    Path tokenizer;

    @Option(names = "--out", required = true, description = "store folder to create")
    Path out;

    @Option(names = "--codec",
            description = "expert codec: bf16, int8, int4, int3, int2 (group 64; int<B>-g<G> for another group), floe, mxfp4, fp8 "
                    + "(128x128 blocks; fp8-b<R>x<C>), gguf-q8_0; gguf-q4_k, gguf-q5_k, gguf-q6_k keep those GGUF bytes. Default: the "
                    + "experts' own quantized bytes where Strata has a kernel for them (gpt-oss MXFP4, FP8, GGUF Q8_0/Q4_K/Q5_K/Q6_K), "
                    + "else bf16")
    String codec;

    @Option(names = "--dense", defaultValue = "keep",
            description = "dense weights every token reads (attention projections, output head, embedding): keep (the source's "
                    + "floats, default), int8 or int4 (group 64; int<8|4>-g<G> for another group). Routers, norms, shared experts and "
                    + "dense MLPs stay floats. A CPU run computes from the codes; a GPU run expands them to BF16 in VRAM")
    String dense;

    @Option(names = "--dense-head", description = "the output head's format under --dense (and the embedding's when the two are "
            + "tied): keep, int8, int4 or int<8|4>-g<G>. Default: int8 when --dense is int4, else the --dense format")
    String denseHead;

    @Option(names = "--calibration", description = "floe: text file (paragraphs) to calibrate the per-layer thresholds on")
    Path calibration;

    @Option(names = "--sparsity", defaultValue = "0.85", description = "floe: target fraction of skipped channels (default: ${DEFAULT-VALUE})")
    double sparsity;

    @Option(names = "--no-progress", description = "no progress bar")
    boolean noProgress;

    /**
     * The codec that keeps the source's expert bytes, per layer ([layer] null for dense layers), or null when some
     * expert is not of a kept type (why says which); plain float sources give null with why null.
     */
    record Kept(io.strata.compression.codec.ExpertCodec[] perLayer, String storeName, String why) {}

    static Kept keptCodecs(ModelSource ck, ModelConfig c) {
        var per = new io.strata.compression.codec.ExpertCodec[c.numLayers()];
        if (ck instanceof GgufCheckpoint g) {
            java.util.TreeSet<io.strata.compression.ggml.GgmlType> other = new java.util.TreeSet<>();
            java.util.Set<String> names = new java.util.TreeSet<>();
            String mixed = null;
            for (int l = 0; l < c.numLayers(); l++) {
                if (!c.moeLayer()[l]) continue;
                io.strata.compression.ggml.GgmlType[] t0 = null;
                for (int e = 0; e < c.numExperts(); e++) {
                    var t = new io.strata.compression.ggml.GgmlType[3];
                    for (int p = 0; p < 3; p++) {
                        t[p] = g.typeOf(TensorNames.expert(c.arch(), l, e, p));
                        if (!io.strata.compression.codec.GgmlCodec.KEPT.contains(t[p])) other.add(t[p]);
                    }
                    if (t0 == null) t0 = t;
                    else if (!java.util.Arrays.equals(t0, t) && mixed == null) {
                        // per-expert tensors (ffn_gate.E) of different types in one layer; stacked tensors never mix
                        mixed = "layer " + l + " expert " + e + " is " + java.util.Arrays.toString(t) + " but expert 0 is " + java.util.Arrays.toString(t0);
                    }
                }
                if (other.isEmpty() && mixed == null) {
                    per[l] = new io.strata.compression.codec.GgmlCodec(t0[0], t0[1], t0[2]);
                    names.add(per[l].name());
                }
            }
            if (other.isEmpty() && mixed != null) {
                return new Kept(null, null, "GGUF experts of one layer differ in type (" + mixed + "); one layer's experts share a layout");
            }
            if (!other.isEmpty()) {
                boolean plain = other.stream().allMatch(t -> t == io.strata.compression.ggml.GgmlType.F32
                        || t == io.strata.compression.ggml.GgmlType.F16 || t == io.strata.compression.ggml.GgmlType.BF16);
                return new Kept(null, null, plain ? null : "GGUF expert types " + other + " have no expert kernel (kept types: "
                        + io.strata.compression.codec.GgmlCodec.keptNames() + ")");
            }
            return new Kept(per, names.size() == 1 ? names.iterator().next() : "gguf", null);
        }
        if (ck instanceof io.strata.engine.checkpoint.Checkpoint hc && hc.hasFp8()) {
            int[] blk = hc.fp8BlockSize();
            for (int l = 0; l < c.numLayers(); l++) {
                if (!c.moeLayer()[l]) continue;
                for (int e = 0; e < c.numExperts(); e++) {
                    for (int p = 0; p < 3; p++) {
                        String n = TensorNames.expert(c.arch(), l, e, p);
                        if (hc.tensors().get(n).dtype() != io.strata.compression.DType.F8_E4M3) {
                            return new Kept(null, null, "expert tensor " + n + " is " + hc.tensors().get(n).dtype() + ", not F8_E4M3 like the others");
                        }
                    }
                }
                per[l] = new io.strata.compression.codec.Fp8Codec(blk[0], blk[1]);
            }
            return new Kept(per, per[c.firstMoeLayer()].name(), null);
        }
        return new Kept(null, null, null);
    }

    /** Writes every expert's own quantized bytes (GGUF blocks, FP8 codes and scales) as one blob each. */
    private void packKept(ModelSource ck, ModelConfig c, StoreWriter w, Kept kept) throws java.io.IOException {
        var params = new io.strata.compression.codec.CodecParams[c.numLayers()][];
        for (int l = 0; l < c.numLayers(); l++) {
            if (!c.moeLayer()[l]) continue;
            params[l] = new io.strata.compression.codec.CodecParams[c.numExperts()];
            for (int e = 0; e < c.numExperts(); e++) {
                String[] n = {TensorNames.expert(c.arch(), l, e, 0), TensorNames.expert(c.arch(), l, e, 1), TensorNames.expert(c.arch(), l, e, 2)};
                params[l][e] = kept.perLayer()[l].layout(c.hidden(), c.expertIntermediate());
                if (w.isWritten(l, e)) continue;
                try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                    var x = switch (kept.perLayer()[l]) {
                        case io.strata.compression.codec.GgmlCodec gc -> {
                            GgufCheckpoint g = (GgufCheckpoint) ck;
                            yield gc.keep(g.ggml(n[0]), g.ggml(n[1]), g.ggml(n[2]), arena);
                        }
                        case io.strata.compression.codec.Fp8Codec fc -> {
                            var hc = (io.strata.engine.checkpoint.Checkpoint) ck;
                            yield fc.keep(hc.fp8(n[0]), hc.fp8(n[1]), hc.fp8(n[2]), arena);
                        }
                        default -> throw new IllegalStateException("not a kept codec: " + kept.perLayer()[l].name());
                    };
                    w.writeExpert(l, e, java.util.List.of(new StoreWriter.Blob(io.strata.engine.store.CodecStoreFiles.BLOB,
                            io.strata.compression.DType.U8, new long[] {x.blob().byteSize()}, x.blob())));
                }
            }
        }
        io.strata.engine.store.CodecStoreFiles.write(w.stagingDirectory(), kept.storeName(), params);
    }

    /**
     * Encodes every expert with the codec and writes one blob each. A codec whose layout depends only on the shape
     * (every codec but FloE) encodes one expert at a time, writes it and frees it, and skips an expert that a
     * resumed pack already holds without reading or encoding it (its layout comes from the shape). FloE
     * calibrates its thresholds on every encoded expert first, so it encodes them all up front.
     *
     * @param expertInputBytes bytes of checkpoint input behind one expert (the progress bar counts input)
     */
    private void packEncoded(ModelSource ck, ModelConfig c, StoreWriter w, long expertInputBytes) throws java.io.IOException {
        var codecImpl = io.strata.compression.codec.ExpertCodecs.byName(codec);
        if (!codec.startsWith("floe")) {
            io.strata.compression.codec.CodecParams[][] params = new io.strata.compression.codec.CodecParams[c.numLayers()][c.numExperts()];
            for (int l = 0; l < c.numLayers(); l++) {
                if (!c.moeLayer()[l]) {
                    params[l] = null; // a dense layer: no experts, a null row in codec.json
                    continue;
                }
                for (int e = 0; e < c.numExperts(); e++) {
                    if (w.isWritten(l, e)) {
                        params[l][e] = codecImpl.layout(c.hidden(), c.expertIntermediate());
                    } else {
                        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) { // shared: rows encode on all threads
                            var ew = c.expert(ck, l, e);
                            var x = codecImpl.encode(new io.strata.compression.codec.ExpertWeights(ew.gate(), ew.up(), ew.down()), arena);
                            params[l][e] = x.params();
                            w.writeExpert(l, e, java.util.List.of(new StoreWriter.Blob(io.strata.engine.store.CodecStoreFiles.BLOB,
                                    io.strata.compression.DType.U8, new long[] {x.blob().byteSize()}, x.blob())));
                        }
                    }
                    w.progressInput(expertInputBytes);
                }
            }
            io.strata.engine.store.CodecStoreFiles.write(w.stagingDirectory(), codec, params);
            return;
        }
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            var enc = io.strata.engine.floe.EncodedExperts.encode(c, ck, codecImpl, arena);
            float[] thresholds = null;
            if (codec.startsWith("floe")) {
                var texts = io.strata.engine.floe.FloeCalibration.readTexts(calibration);
                var tok = io.strata.engine.tokenizer.Tokenizer.load(w.stagingDirectory());
                java.util.List<int[]> ids = new java.util.ArrayList<>();
                for (String t : texts) ids.add(tok.encode(t, true));
                try (var dense = new io.strata.engine.model.MoeModel(c, ck, new io.strata.engine.store.CheckpointExpertStore(c, ck),
                        new io.strata.engine.backend.cpu.CpuBackend())) {
                    thresholds = io.strata.engine.floe.FloeCalibration.calibrate(dense, ids, sparsity, enc);
                }
                System.out.println("calibrated FloE thresholds for sparsity " + sparsity + ": " + java.util.Arrays.toString(thresholds));
            }
            io.strata.compression.codec.CodecParams[][] params = new io.strata.compression.codec.CodecParams[c.numLayers()][c.numExperts()];
            for (int l = 0; l < c.numLayers(); l++) {
                if (!c.moeLayer()[l]) {
                    params[l] = null; // a dense layer: no experts, a null row in codec.json
                    continue;
                }
                for (int e = 0; e < c.numExperts(); e++) {
                    var x = enc.get(l, e);
                    params[l][e] = thresholds != null ? x.params().withThreshold(thresholds[l]) : x.params();
                    if (!w.isWritten(l, e)) {
                        w.writeExpert(l, e, java.util.List.of(new StoreWriter.Blob(io.strata.engine.store.CodecStoreFiles.BLOB,
                                io.strata.compression.DType.U8, new long[] {x.blob().byteSize()}, x.blob())));
                    }
                    w.progressInput(expertInputBytes);
                }
            }
            io.strata.engine.store.CodecStoreFiles.write(w.stagingDirectory(), codec, params);
        }
    }

    /**
     * A failed pack never leaves OUT.partial behind unannounced. A fresh pack that failed on its input (shapes,
     * calibration, codec) is removed: running it again cannot succeed without a change. A failure of the disk (I/O,
     * no space) or a pack that resumed earlier work keeps it, and the error says where it is and how to resume.
     */
    private RuntimeException unfinished(StoreWriter w, Exception ex) {
        String msg = ex.getMessage() != null ? ex.getMessage() : ex.toString();
        boolean diskFailure = ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException
                || ex.getCause() instanceof java.io.IOException;
        if (!diskFailure && w.resumedExperts() == 0) {
            try {
                w.discard();
                return new io.strata.tiering.store.StoreException(msg + " (pack failed; removed the unfinished "
                        + w.stagingDirectory() + ")", ex);
            } catch (RuntimeException cleanup) {
                ex.addSuppressed(cleanup);
            }
        }
        return new io.strata.tiering.store.StoreException(msg + " (pack failed; the unfinished store is kept in "
                + w.stagingDirectory() + ", " + io.strata.tiering.host.ByteSize.format(w.stagingBytes())
                + ": run the same command again to resume, or delete it to start over)", ex);
    }

    @Override
    public Integer call() throws java.io.IOException {
        if (codec != null) io.strata.compression.codec.ExpertCodecs.byName(codec); // an unknown name fails here, listing the known ones
        if (codec != null && codec.startsWith("floe") && calibration == null) {
            throw new IllegalArgumentException("codec " + codec + " needs --calibration FILE (text to calibrate its thresholds on)");
        }
        io.strata.compression.quant.QuantFormat denseFormat = io.strata.engine.store.DenseQuantization.parse(dense);
        if (denseFormat == null && denseHead != null) throw new IllegalArgumentException("--dense-head needs --dense int8 or int4");
        io.strata.compression.quant.QuantFormat headFormat = denseHead == null ? io.strata.engine.store.DenseQuantization.defaultHead(denseFormat)
                : io.strata.engine.store.DenseQuantization.parse(denseHead, "--dense-head");
        if (sparsity < 0 || sparsity >= 1) throw new IllegalArgumentException("--sparsity must be in [0, 1), found " + sparsity);
        try (ModelSource ck = ModelSource.open(model)) {
            ModelConfig c = ck instanceof GgufCheckpoint ? ModelConfig.parse(ck.config(), model + " (its metadata as config.json)")
                    : ModelConfig.parse(ck.config(), model);
            if (codec == null) {
                // MXFP4 experts stay MXFP4 unless another codec is asked for: the blobs keep the checkpoint's scales and codes.
                boolean mxfp4 = c.arch() == io.strata.engine.model.Architecture.GPT_OSS && c.numLayers() > 0
                        && (io.strata.engine.model.GptOssExperts.isMxfp4(ck, 0) || ck instanceof GgufCheckpoint g
                        && g.gguf().tensors().get("blk.0.ffn_gate_exps.weight") != null
                        && g.gguf().tensors().get("blk.0.ffn_gate_exps.weight").type() == io.strata.compression.ggml.GgmlType.MXFP4);
                if (mxfp4) {
                    codec = "mxfp4";
                    System.out.println("experts are MXFP4 in " + model + ": packing them as mxfp4 (--codec X converts them)");
                }
            }
            Set<String> expertNames = new HashSet<>();
            for (int l = 0; l < c.numLayers(); l++) {
                if (!c.moeLayer()[l]) continue;
                expertNames.addAll(TensorNames.expertTensors(c.arch(), l, c.numExperts()));
            }
            Kept kept = keptCodecs(ck, c);
            boolean keep = kept.perLayer() != null && (codec == null || codec.equals(kept.storeName()));
            if (codec == null) codec = keep ? kept.storeName() : "bf16";
            if (!keep && kept.perLayer() == null && kept.why() != null && !codec.equals("mxfp4")) {
                System.out.println("experts not kept as stored: " + kept.why() + "; converting them with codec " + codec);
            } else if (!keep && kept.perLayer() != null) {
                System.out.println("experts stored as " + kept.storeName() + " are converted to codec " + codec + " as asked (omit --codec to keep "
                        + "their bytes)");
            }
            StoreWriter w = StoreWriter.create(out, ck.config(), codec, c.numLayers(), c.numExperts(),
                    new StoreWriter.Options(!noProgress, ck.totalBytes(), !codec.equals("bf16")));
            try (w) {
                if (w.resumedExperts() > 0) System.out.println("resuming: " + w.resumedExperts() + " experts already packed");
                // The tokenizer travels with the store so `strata run --model STORE` can take text (and FloE can calibrate).
                copyTokenizer(ck, w.stagingDirectory());
                boolean embedIsHead = io.strata.engine.model.ModelWeights.embeddingIsHead(c, ck);
                // A resumed pack asked for another --dense would leave a store of both: refused before anything is written.
                for (String name : ck.tensorNames()) {
                    String was = w.denseDtype(name);
                    if (was == null) continue;
                    TensorInfo t = ck.load(name);
                    var qf = denseFormatOf(c, t, denseFormat, headFormat, embedIsHead);
                    String now = qf != null ? qf.label() : t.dtype().name();
                    if (!was.equals(now)) {
                        throw new IllegalArgumentException("resuming " + w.stagingDirectory() + ": dense tensor " + name + " was written as " + was
                                + ", this run would write " + now + "; run with the --dense/--dense-head of the first run, or delete the folder");
                    }
                }
                int skipped = 0, quantizedDense = 0;
                long denseBytes = 0;
                for (String name : ck.tensorNames()) {
                    if (expertNames.contains(name)) continue;
                    if (pastLastLayer(name, c.numLayers())) { // DeepSeek-V3 / GLM-4.5 multi-token-prediction layers
                        skipped++;
                        continue;
                    }
                    TensorInfo t = ck.load(name);
                    denseBytes += t.data().byteSize();
                    var qf = denseFormatOf(c, t, denseFormat, headFormat, embedIsHead);
                    if (qf != null) quantizedDense++;
                    if (!w.isDenseWritten(name)) {
                        if (qf != null) {
                            try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofShared()) { // shared: rows encode on all threads
                                var m = new io.strata.compression.Matrix(name, t.data(), t.dtype(), (int) t.shape()[0], (int) t.shape()[1]);
                                w.writeDense(io.strata.compression.quant.QuantizedMatrix.encode(m, qf, a));
                            }
                        } else {
                            w.writeDense(t.name(), t.dtype(), t.shape(), t.data());
                        }
                    }
                    w.progressInput(t.data().byteSize());
                }
                if (denseFormat != null) {
                    System.out.println("dense weights: " + quantizedDense + " matrices quantized (attention " + denseFormat.label() + ", output head "
                            + (headFormat == null ? "kept" : headFormat.label()) + ")");
                }
                if (skipped > 0) {
                    System.out.println("skipped " + skipped + " tensors of layers past num_hidden_layers " + c.numLayers()
                            + " (multi-token prediction, not run by Strata)");
                }
                // Every routed expert has the same shape and dtype in the checkpoints this reads, so each stands for
                // an equal share of the input that is not dense.
                long routed = (long) c.numMoeLayers() * c.numExperts();
                long expertInputBytes = expertNames.isEmpty() || routed == 0 ? 0 : (ck.totalBytes() - denseBytes) / routed;
                if (keep) {
                    packKept(ck, c, w, kept);
                    java.util.Set<String> layers = new java.util.LinkedHashSet<>();
                    for (var lc : kept.perLayer()) if (lc != null) layers.add(lc.name());
                    System.out.println("experts kept as stored: codec " + codec + (layers.size() > 1 ? " (layers: " + String.join(", ", layers) + ")" : "")
                            + "; computed from these bytes by their block kernels on the CPU and CUDA, never expanded");
                } else if (codec.equals("bf16")) {
                    for (int l = 0; l < c.numLayers(); l++) {
                        if (!c.moeLayer()[l]) continue;
                        for (int e = 0; e < c.numExperts(); e++) {
                            if (w.isWritten(l, e)) continue;
                            w.writeExpert(l, e, c.expert(ck, l, e));
                        }
                    }
                } else {
                    packEncoded(ck, c, w, expertInputBytes);
                }
                String experts = keep ? "experts keep their bytes (codec " + codec + ")"
                        : "experts " + (codec.equals("bf16") ? "as F32 (codec bf16 keeps what it is given)" : "encoded by codec " + codec);
                if (ck instanceof GgufCheckpoint g && !g.convertedTypes().isEmpty()) {
                    System.out.println("GGUF types " + g.convertedTypes() + " were dequantized to F32: dense tensors are stored as F32, " + experts
                            + (keep ? "" : "; their quantized bytes are not kept"));
                }
                if (ck instanceof io.strata.engine.checkpoint.Checkpoint hc && hc.hasFp8()) {
                    System.out.println("F8_E4M3 weights were dequantized with their block scales to F32: dense tensors are stored as F32, " + experts
                            + (keep ? "" : "; the FP8 bytes are not kept"));
                }
                Path done = w.commit(l -> c.moeLayer()[l]); // dense layers (first_k_dense_replace, mlp_only_layers) have no experts
                System.out.println("packed " + model + " → " + done + " (codec " + codec + ")");
            } catch (RuntimeException | java.io.IOException ex) {
                throw unfinished(w, ex);
            }
        }
        return 0;
    }

    /**
     * The format --dense/--dense-head store a dense tensor in, or null where it stays as the source has it
     * ({@code embedIsHead}: {@link io.strata.engine.model.ModelWeights#embeddingIsHead} of the checkpoint).
     */
    private static io.strata.compression.quant.QuantFormat denseFormatOf(ModelConfig c, TensorInfo t, io.strata.compression.quant.QuantFormat dense,
                                                                     io.strata.compression.quant.QuantFormat head, boolean embedIsHead) {
        return t.dtype().isFloat() ? io.strata.engine.store.DenseQuantization.formatFor(c, t.name(), t.shape(), dense, head, embedIsHead) : null;
    }

    /** Whether a checkpoint tensor belongs to a layer at or past numLayers ("model.layers.61.…" of a 61-layer model). */
    static boolean pastLastLayer(String name, int numLayers) {
        if (!name.startsWith("model.layers.")) return false;
        int end = name.indexOf('.', "model.layers.".length());
        if (end < 0) return false;
        try {
            return Integer.parseInt(name.substring("model.layers.".length(), end)) >= numLayers;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** tokenizer.json and friends: from --tokenizer, the checkpoint folder, or converted from the GGUF metadata. */
    private void copyTokenizer(ModelSource ck, Path staging) throws java.io.IOException {
        Path from = tokenizer != null ? tokenizer : ck instanceof GgufCheckpoint ? null : model;
        if (from == null) {
            GgufCheckpoint g = (GgufCheckpoint) ck;
            String why = GgufTokenizer.write(g.gguf(), staging);
            System.out.println(why == null ? "tokenizer and chat template converted from the GGUF metadata"
                    : "no tokenizer in the store: " + why + " (give --tokenizer DIR with a tokenizer.json to add one)");
            return;
        }
        if (tokenizer != null && !java.nio.file.Files.isRegularFile(tokenizer.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException("--tokenizer " + tokenizer + ": no tokenizer.json in that folder");
        }
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json", "generation_config.json", "special_tokens_map.json",
                "chat_template.jinja", "chat_template.json"}) { // every chat-template file travels too
            Path src = from.resolve(f);
            if (java.nio.file.Files.isRegularFile(src)) {
                java.nio.file.Files.copy(src, staging.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
