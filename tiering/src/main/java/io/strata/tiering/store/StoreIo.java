// The file operations under the packed store's reader and writer: one seam, so tests can inject I/O faults.
package io.strata.tiering.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Every byte the {@link StoreWriter} writes and the loader ({@code BlobReader}) reads goes through a channel opened
 * here, and every rename and delete of the writer goes through here too. {@link #DEFAULT} is the file system; tests
 * pass an implementation that fails reads, shortens them, never returns, runs out of space or "crashes" at a chosen
 * step (see the fault-injection tests).
 */
public interface StoreIo {
    /** Opens {@code file} as {@link FileChannel#open(Path, OpenOption...)} does. */
    FileChannel open(Path file, OpenOption... options) throws IOException;

    /** Renames {@code from} to {@code to} atomically (replacing {@code to}). */
    void move(Path from, Path to) throws IOException;

    /** Deletes {@code file} if it exists. */
    void delete(Path file) throws IOException;

    /** The file system, unchanged. */
    StoreIo DEFAULT = new StoreIo() {
        @Override
        public FileChannel open(Path file, OpenOption... options) throws IOException {
            return FileChannel.open(file, options);
        }

        @Override
        public void move(Path from, Path to) throws IOException {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        }

        @Override
        public void delete(Path file) throws IOException {
            Files.deleteIfExists(file);
        }
    };
}
