// strata pack: writes a Hugging Face checkpoint as a packed expert store (atomic, resumable, with progress).
package io.strata.engine.cli;

import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.checkpoint.TensorInfo;
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
        description = "Pack a Hugging Face checkpoint into a store (manifest + 4 KiB-aligned expert blobs with CRC32C). "
                + "An interrupted pack resumes when run again with the same arguments.")
public final class PackCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face checkpoint folder")
    Path model;

    @Option(names = "--out", required = true, description = "store folder to create")
    Path out;

    @Option(names = "--codec", defaultValue = "bf16", description = "expert codec: bf16 (weights as stored) (default: ${DEFAULT-VALUE})")
    String codec;

    @Option(names = "--no-progress", description = "no progress bar")
    boolean noProgress;

    @Override
    public Integer call() throws java.io.IOException {
        if (!codec.equals("bf16")) {
            throw new IllegalArgumentException("codec '" + codec + "' is not supported by pack (supported: bf16)");
        }
        try (Checkpoint ck = Checkpoint.open(model)) {
            ModelConfig c = ModelConfig.parse(ck.config(), model);
            long total = 0;
            for (TensorInfo t : ck.tensors().values()) total += t.data().byteSize();
            Set<String> expertNames = new HashSet<>();
            for (int l = 0; l < c.numLayers(); l++) {
                if (!c.moeLayer()[l]) continue;
                for (int e = 0; e < c.numExperts(); e++) for (int p = 0; p < 3; p++) expertNames.add(TensorNames.expert(c.arch(), l, e, p));
            }
            try (StoreWriter w = StoreWriter.create(out, ck.config(), codec, c.numLayers(), c.numExperts(),
                    new StoreWriter.Options(!noProgress, total))) {
                if (w.resumedExperts() > 0) System.out.println("resuming: " + w.resumedExperts() + " experts already packed");
                for (TensorInfo t : ck.tensors().values()) {
                    if (expertNames.contains(t.name()) || w.isDenseWritten(t.name())) continue;
                    w.writeDense(t.name(), t.dtype(), t.shape(), t.data());
                }
                int h = c.hidden(), inter = c.expertIntermediate();
                for (int l = 0; l < c.numLayers(); l++) {
                    if (!c.moeLayer()[l]) continue;
                    for (int e = 0; e < c.numExperts(); e++) {
                        if (w.isWritten(l, e)) continue;
                        w.writeExpert(l, e, new ExpertWeights(ck.matrix(TensorNames.expert(c.arch(), l, e, 0), inter, h),
                                ck.matrix(TensorNames.expert(c.arch(), l, e, 1), inter, h),
                                ck.matrix(TensorNames.expert(c.arch(), l, e, 2), h, inter)));
                    }
                }
                // The tokenizer travels with the store so `strata run --model STORE` can take text.
                for (String f : new String[] {"tokenizer.json", "tokenizer_config.json", "generation_config.json"}) {
                    Path src = model.resolve(f);
                    if (java.nio.file.Files.isRegularFile(src)) {
                        java.nio.file.Files.copy(src, w.stagingDirectory().resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                Path done = w.commit();
                System.out.println("packed " + model + " → " + done + " (codec " + codec + ")");
            }
        }
        return 0;
    }
}
