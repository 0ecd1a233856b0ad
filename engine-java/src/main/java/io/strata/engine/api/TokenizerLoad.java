// A model folder's tokenizer.json, read on a thread of its own while the weights load.
package io.strata.engine.api;

import io.strata.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Started before the weights load and joined after: the tokenizer (a few hundred milliseconds of a cold start, JSON
 * parsed by code the JIT has not compiled yet) then overlaps the weights' setup on the other core. A cold tiny-moe run
 * from launch to exit: median 0.95x of reading it after the weights, 10 interleaved pairs
 * (bench/results/cpu-speed/aot-cache/tokenizer-thread.txt). {@code -Dstrata.tokenizerThread=false} reads it on the
 * loading thread instead, when joined.
 */
final class TokenizerLoad {
    private final FutureTask<Tokenizer> task;

    private TokenizerLoad(Path dir) {
        task = new FutureTask<>(() -> StrataModel.tokenizerIfPresent(dir));
    }

    /** Starts reading dir's tokenizer (if it has one) on a daemon thread. */
    static TokenizerLoad start(Path dir) {
        TokenizerLoad t = new TokenizerLoad(dir);
        if (Boolean.parseBoolean(System.getProperty("strata.tokenizerThread", "true"))) {
            Thread.ofPlatform().daemon().name("strata-tokenizer").start(t.task);
        }
        return t;
    }

    /** The tokenizer, or null when the folder has none; what reading it threw, thrown here. */
    Tokenizer join() throws IOException {
        task.run(); // nothing when the thread has run it (or is running it)
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading the tokenizer");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new UncheckedIOException(new IOException(c));
        }
    }
}
