// Fuzz target: a packed store's manifest.json over fixed blob files, opened and fully verified.
package io.strata.engine.fuzz;

import io.strata.tiering.store.PackedStore;
import io.strata.tiering.store.StoreException;
import java.nio.file.Path;

public final class StoreManifestTarget {
    private StoreManifestTarget() {}

    /** Blob files the seed manifests describe: experts-000.bin (2 experts of 4 KiB) and dense.bin (4 KiB). */
    static final byte[] EXPERTS = new byte[2 * 4096];
    static final byte[] DENSE = new byte[4096];

    static {
        for (int i = 0; i < EXPERTS.length; i++) {
            EXPERTS[i] = (byte) (i * 31 + 7);
        }
        for (int i = 0; i < DENSE.length; i++) {
            DENSE[i] = (byte) (i * 17 + 3);
        }
    }

    public static void fuzzerInitialize() {
        FuzzContract.warmUp("manifest", StoreManifestTarget::fuzzerTestOneInput);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        Path dir = FuzzContract.folder("store");
        FuzzContract.write(dir, "experts-000.bin", EXPERTS);
        FuzzContract.write(dir, "dense.bin", DENSE);
        FuzzContract.write(dir, "manifest.json", data);
        FuzzContract.expect(dir.toString(), () -> {
            try (PackedStore s = PackedStore.open(dir)) {
                s.maxExpertBytes();
                s.verifyAll();
            }
        }, StoreException.class);
    }
}
