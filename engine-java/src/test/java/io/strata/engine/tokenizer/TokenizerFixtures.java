// Where the tokenizer fixtures live: Mistral in test resources, the larger ones in ../shared
// (resolved from the reactor root that surefire passes as strata.root). Loaded tokenizers are cached
// because the gpt-oss file takes a second or two to parse.
package io.strata.engine.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

public final class TokenizerFixtures {
    private static final Map<Path, Tokenizer> LOADED = new ConcurrentHashMap<>();

    private TokenizerFixtures() {}

    static Path mistral() {
        return resource("tokenizer/mistral-spm-32k");
    }

    static Path resource(String name) {
        try {
            return Path.of(TokenizerFixtures.class.getClassLoader().getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A folder of /work/shared/data/tokenizers, found as ../shared beside the repository root. */
    public static Path shared(String name) {
        String root = System.getProperty("strata.root", ".");
        return Path.of(root).toAbsolutePath().resolve("../shared/data/tokenizers").resolve(name).normalize();
    }

    static Tokenizer load(Path dir) {
        return LOADED.computeIfAbsent(dir, d -> {
            try {
                return Tokenizer.load(d);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
