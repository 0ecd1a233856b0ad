// Weight bytes a decode step must read: the numerator of the memory-bandwidth bound.
package io.strata.bench.suite;

import io.strata.engine.api.StrataModel;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.store.CodecStoreFiles;
import io.strata.tiering.TieredExpertStore;

public final class ActiveBytes {
    private ActiveBytes() {}

    /** Bytes of one routed expert as stored (encoded size for codec stores, gate + up + down otherwise). */
    public static long storedExpertBytes(StrataModel m) {
        if (m.model().store() instanceof TieredExpertStore t) {
            int l = m.config().firstMoeLayer();
            if (CodecStoreFiles.present(t.packedStore().directory())) return t.packedStore().expert(l, 0).matrix(CodecStoreFiles.BLOB).length();
            long b = 0;
            for (var e : t.packedStore().expert(l, 0).matrices()) b += e.length();
            return b;
        }
        var embed = m.model().weights().embed.matrix(); // a checkpoint: its experts have the embedding's float type
        return m.config().expertBytes(embed != null ? embed.dtype().bytes : 2);
    }

    /** Bytes of every routed expert of every layer as stored. */
    public static long allExpertBytes(StrataModel m) {
        ModelConfig c = m.config();
        int moeLayers = 0;
        for (var L : m.model().weights().layers) if (L.router != null) moeLayers++;
        return (long) moeLayers * c.numExperts() * storedExpertBytes(m);
    }

    /**
     * Weight bytes one decode step must read: attention projections, norms, routers, shared
     * experts and dense layers of every layer, top-k routed experts per MoE layer, the final
     * norm and the LM head, and one embedding row.
     */
    public static long perToken(StrataModel m) {
        ModelConfig c = m.config();
        var w = m.model().weights();
        long b = w.lmHead.byteSize() + w.embed.byteSize() / c.vocabSize();
        for (int l = 0; l < c.numLayers(); l++) {
            var L = w.layers[l];
            b += L.mla != null ? L.mla.byteSize() + L.wo.byteSize() // multi-head latent attention has no wq, wk, wv
                    : L.wq.byteSize() + L.wk.byteSize() + L.wv.byteSize() + L.wo.byteSize();
            if (L.router != null) {
                b += L.router.byteSize();
                b += (long) c.topK() * storedExpertBytes(m);
            }
            if (L.shared != null) b += L.shared.byteSize() + (L.sharedGate != null ? L.sharedGate.byteSize() : 0); // DeepSeek's shared experts have no gate
            if (L.dense != null) b += L.dense.byteSize();
        }
        return b;
    }

    /** The CPU, its core count and the JVM's heap limit, for every result file. */
    public static String machine() {
        String cpu = "unknown CPU";
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (Exception ignored) {
            // not Linux: leave the CPU unnamed
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores, "
                + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB max heap";
    }
}
