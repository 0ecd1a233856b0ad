// A StoreIo that injects faults into the store's file operations: failed, short or stalled reads, a full disk, a crash.
package io.strata.tiering.fault;

import io.strata.tiering.store.StoreIo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every operation is numbered: reads in one sequence, "write steps" (a positional or appending write, a force, a
 * rename, a delete) in another. A {@link Plan} looks at each operation and answers what happens to it. After a
 * {@link Fault#CRASH} every further operation fails too, as if the process had died; {@link #closeAll} then releases
 * the open files the dead writer left behind.
 */
final class FaultyIo implements StoreIo {
    enum Kind { READ, WRITE, FORCE, MOVE, DELETE }

    enum Fault {
        /** The operation fails with an I/O error (EIO). */
        EIO,
        /** A write fails with "No space left on device" (ENOSPC) after writing nothing. */
        ENOSPC,
        /** A read returns at most {@link #SHORT_BYTES} bytes (legal for FileChannel; callers must loop). */
        SHORT,
        /** A read returns end-of-file (-1) at once, as if the file had been truncated. */
        EOF,
        /** A read blocks until {@link #release} (or an interrupt). */
        HANG,
        /** The process dies: a write writes the first half of its bytes, then this and every later operation fails. */
        CRASH
    }

    /** What happens to the n-th operation of its sequence (reads or write steps); null = nothing. */
    interface Plan {
        Fault at(Kind kind, Path file, long n);
    }

    static final int SHORT_BYTES = 1000;

    /** Thrown for a simulated crash; not an IOException, so no code path handles it as an I/O failure. */
    static final class Crash extends RuntimeException {
        Crash(String what) {
            super("simulated crash at " + what);
        }
    }

    private final Plan plan;
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong writeSteps = new AtomicLong();
    private final List<FileChannel> open = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.CountDownLatch hang = new java.util.concurrent.CountDownLatch(1);
    private final AtomicLong faults = new AtomicLong();
    private volatile boolean crashed;

    FaultyIo(Plan plan) {
        this.plan = plan;
    }

    /** Write steps so far (a clean run's total is the number of crash points). */
    long writeSteps() {
        return writeSteps.get();
    }

    long reads() {
        return reads.get();
    }

    /** Faults injected so far. */
    long faults() {
        return faults.get();
    }

    /** Lets every hung read go on. */
    void release() {
        hang.countDown();
    }

    /** Closes every channel opened here (what the OS does for a dead process). */
    void closeAll() {
        for (FileChannel c : open) {
            try {
                c.close();
            } catch (IOException ignored) {
                // already dead
            }
        }
    }

    private Fault next(Kind kind, Path file) {
        if (crashed) {
            throw new Crash(kind + " " + file + " after the crash");
        }
        long n = kind == Kind.READ ? reads.incrementAndGet() : writeSteps.incrementAndGet();
        Fault f = plan.at(kind, file, n);
        if (f != null) {
            faults.incrementAndGet();
        }
        return f;
    }

    private void simple(Kind kind, Path file) throws IOException {
        Fault f = next(kind, file);
        if (f == Fault.CRASH) {
            crashed = true;
            throw new Crash(kind + " " + file);
        }
        if (f == Fault.EIO) {
            throw new IOException(file + ": Input/output error (injected)");
        }
        if (f == Fault.ENOSPC) {
            throw new IOException(file + ": No space left on device (injected)");
        }
    }

    @Override
    public FileChannel open(Path file, OpenOption... options) throws IOException {
        if (crashed) {
            throw new Crash("open " + file + " after the crash");
        }
        FileChannel c = new Channel(file, StoreIo.DEFAULT.open(file, options));
        open.add(c);
        return c;
    }

    @Override
    public void move(Path from, Path to) throws IOException {
        simple(Kind.MOVE, to);
        StoreIo.DEFAULT.move(from, to);
    }

    @Override
    public void delete(Path file) throws IOException {
        simple(Kind.DELETE, file);
        StoreIo.DEFAULT.delete(file);
    }

    /** Delegates to a real channel, consulting the plan on reads, writes and forces. */
    private final class Channel extends FileChannel {
        private final Path file;
        private final FileChannel real;

        Channel(Path file, FileChannel real) {
            this.file = file;
            this.real = real;
        }

        private int read(ByteBuffer dst, long position, boolean positional) throws IOException {
            Fault f = next(Kind.READ, file);
            if (f == Fault.HANG) {
                try {
                    hang.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.nio.channels.ClosedByInterruptException();
                }
            } else if (f == Fault.EIO) {
                throw new IOException(file + ": Input/output error (injected)");
            } else if (f == Fault.EOF) {
                return -1;
            } else if (f == Fault.CRASH) {
                crashed = true;
                throw new Crash("read " + file);
            } else if (f == Fault.SHORT && dst.remaining() > SHORT_BYTES) {
                ByteBuffer part = dst.slice().limit(SHORT_BYTES);
                int n = positional ? real.read(part, position) : real.read(part);
                if (n > 0) {
                    dst.position(dst.position() + n);
                }
                return n;
            }
            return positional ? real.read(dst, position) : real.read(dst);
        }

        private int write(ByteBuffer src, long position, boolean positional) throws IOException {
            Fault f = next(Kind.WRITE, file);
            if (f == Fault.ENOSPC || f == Fault.EIO) {
                throw new IOException(file + (f == Fault.ENOSPC ? ": No space left on device" : ": Input/output error")
                        + " (injected)");
            }
            if (f == Fault.CRASH) {
                // A torn write: the first half reaches the file, then the process is gone.
                ByteBuffer half = src.slice().limit(src.remaining() / 2);
                if (positional) {
                    real.write(half, position);
                } else {
                    real.write(half);
                }
                crashed = true;
                throw new Crash("write " + file);
            }
            return positional ? real.write(src, position) : real.write(src);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return read(dst, -1, false);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return read(dst, position, true);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) {
            throw new UnsupportedOperationException("scattering reads are not used by the store");
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return write(src, -1, false);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            return write(src, position, true);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            throw new UnsupportedOperationException("gathering writes are not used by the store");
        }

        @Override
        public void force(boolean metaData) throws IOException {
            simple(Kind.FORCE, file);
            real.force(metaData);
        }

        @Override
        public long position() throws IOException {
            return real.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            real.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return real.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            simple(Kind.WRITE, file);
            real.truncate(size);
            return this;
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) {
            throw new UnsupportedOperationException("not used by the store");
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) {
            throw new UnsupportedOperationException("not used by the store");
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return real.map(mode, position, size);
        }

        @Override
        public MemorySegment map(MapMode mode, long offset, long size, Arena arena) throws IOException {
            return real.map(mode, offset, size, arena);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return real.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return real.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            real.close();
        }
    }
}
