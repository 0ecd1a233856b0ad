// Fuzz target: a tokenizer.json loaded, then used to encode and decode a short text.
package io.strata.engine.fuzz;

import io.strata.engine.tokenizer.Tokenizer;
import io.strata.engine.tokenizer.TokenizerFormatException;
import java.nio.file.Path;

public final class TokenizerTarget {
    private TokenizerTarget() {}

    public static void fuzzerInitialize() {
        FuzzContract.warmUp("tokenizer", TokenizerTarget::fuzzerTestOneInput);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        Path dir = FuzzContract.folder("tokenizer");
        Path f = FuzzContract.write(dir, "tokenizer.json", data);
        FuzzContract.expect(f, () -> {
            Tokenizer t = Tokenizer.load(dir);
            int[] ids = t.encode("Hello wörld, 12 <s>\n", true);
            t.decode(ids, true);
        }, TokenizerFormatException.class);
    }
}
